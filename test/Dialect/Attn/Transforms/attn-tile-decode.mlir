// RUN: attn-opt %s -attn-tile="num-threads=16 vector-bits=512" -canonicalize -cse -split-input-file | FileCheck %s
// RUN: attn-opt %s -attn-tile="num-threads=2 vector-bits=512" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=T2
// RUN: attn-opt %s -attn-tile="num-threads=16 vector-bits=512 decode=false" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s -attn-tile="num-threads=2 vector-bits=256" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s -attn-tile="num-threads=2 vector-bits=128" -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=V128

/// The lanes and register blocks of the tile body come from `vector-bits`
/// (Utils/CPUTarget.h); the RUN lines pin it so the output does not depend
/// on the host. 512: vector<16xf32> and P.V blocks of 16 accumulators;
/// 256 (AVX2): vector<8xf32> and blocks of 8; 128: vector<4xf32>.

/// GQA decode (32 query heads over 8 key/value heads, Lq = 1): one tile per
/// GQA group (4 query heads, one key/value head), so each K/V byte is read
/// once per group. With 16 threads the 8 groups leave threads idle: the key
/// axis is split 16 ways (256 keys, 4 key tiles each) over an scf.forall,
/// each split runs the 8 groups in an scf.for over head tiles of 4, and
/// attn.merge_states merges the 16 partial states. The tile body's rows are
/// the 4 (head, row) pairs: per key, 4 vector<16xf32> accumulators along D
/// fed by one read of the key row, then one horizontal sum per row.
// CHECK-LABEL: func @gqa_decode_split
// CHECK:   %[[STATE:.+]]:3 = scf.forall (%[[S:.+]]) in (16) shared_outs(
// CHECK:     %[[KV0:.+]] = affine.apply #{{.+}}(%[[S]])
// CHECK:     scf.for %[[H:.+]] = %c0 to %c32 step %c4 iter_args(
// CHECK:       tensor.extract_slice %{{.+}}[0, %[[H]], 0, 0] [1, 4, 1, 128] [1, 1, 1, 1] : tensor<1x32x1x128xf32> to tensor<1x4x1x128xf32>
// CHECK:       %[[LO:.+]] = arith.maxsi %[[KV0]], %c0 : index
// CHECK:       %[[END:.+]] = arith.addi %[[KV0]], %c256 : index
// CHECK:       %[[HI:.+]] = arith.minsi %[[END]], %c4096 : index
// CHECK:       scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c64 iter_args({{.*}}) -> (tensor<4xf32>, tensor<4xf32>, tensor<4x128xf32>)
// CHECK:         scf.for %[[J:.+]] = %c0 to %{{.+}} step %c1 iter_args(%{{.+}} = %{{.+}}) -> (tensor<64x4xf32>)
// CHECK:           %[[K0:.+]] = vector.transfer_read %{{.+}}[%[[J]], %c0], %{{.+}} {in_bounds = [true]} : tensor<?x128xf32>, vector<16xf32>
// CHECK-COUNT-4:   vector.fma %[[K0]]
// CHECK-COUNT-4:   vector.reduction <add>
// CHECK:           vector.from_elements {{.*}} : vector<4xf32>
// CHECK:     tensor.parallel_insert_slice %{{.+}} into %{{.+}}[0, 0, 0, %[[S]], 0] [1, 32, 1, 1, 128]
// CHECK:   attn.merge_states values(%[[STATE]]#0 : tensor<1x32x1x16x128xf32>) lses(%[[STATE]]#1 : tensor<1x32x1x16xf32>) sums(%[[STATE]]#2 : tensor<1x32x1x16xf32>) {{.*}} {dimension = 3 : i64}
/// With 2 threads the 8 groups keep both busy: no split, a forall over the
/// (batch, group) tiles.
// T2-LABEL: func @gqa_decode_split
// T2-NOT:   attn.merge_states
// T2:       scf.forall (%[[G:.+]]) in (8) shared_outs(
// T2:         %[[H0:.+]] = affine.apply #{{.+}}(%[[G]])
// T2:         tensor.extract_slice %{{.+}}[0, %[[H0]], 0, 0] [1, 4, 1, 128]
// T2:         tensor.extract_slice %{{.+}}[0, %[[G]], 0, 0] [1, 1, 4096, 128]
// T2:         vector.reduction <add>
// T2-NOT:   attn.merge_states
/// decode=false: the general path, one tile per query head (32 items, no
/// split), each of 32 padded rows for one real one.
// OFF-LABEL: func @gqa_decode_split
// OFF-NOT:   vector.reduction
// OFF:       scf.forall (%{{.+}}) in (32)
/// With AVX2, the same tile with 8-lane vectors: 16 key vectors per row, each
/// into 4 row accumulators; P.V in blocks of 1 row x 8 vectors (64 of the
/// 128 columns), every FMA fed by one V load.
// AVX2-LABEL: func @gqa_decode_split
// AVX2:       scf.forall (%{{.+}}) in (8) shared_outs(
// AVX2:         scf.for %{{.+}} step %c64 iter_args({{.*}}) -> (tensor<4xf32>, tensor<4xf32>, tensor<4x128xf32>)
// AVX2:           %[[K0:.+]] = vector.transfer_read %{{.+}}[%{{.+}}, %c0], %{{.+}} {in_bounds = [true]} : tensor<?x128xf32>, vector<8xf32>
// AVX2-COUNT-4:   vector.fma %[[K0]], {{.*}} : vector<8xf32>
// AVX2:           %[[K15:.+]] = vector.transfer_read %{{.+}}[%{{.+}}, %c120], %{{.+}} {in_bounds = [true]} : tensor<?x128xf32>, vector<8xf32>
// AVX2-COUNT-4:   vector.fma %[[K15]], {{.*}} : vector<8xf32>
// AVX2-COUNT-4:   vector.reduction <add>, %{{.+}} fastmath<reassoc,contract> : vector<8xf32> into f32
// AVX2:           vector.from_elements {{.*}} : vector<4xf32>
// AVX2:         scf.for %{{.+}} = %c0 to %c4 step %c1
// AVX2:           scf.for %{{.+}} = %c0 to %c128 step %c64
// AVX2:             scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// AVX2:               vector.broadcast %{{.+}} : f32 to vector<8xf32>
// AVX2-COUNT-8:       vector.fma
// AVX2-NEXT:          scf.yield
// AVX2-NOT:   vector<16xf32>
// AVX2-NOT:   attn.merge_states
/// 128-bit vectors: 32 key vectors of 4 lanes per row.
// V128-LABEL: func @gqa_decode_split
// V128:         vector.transfer_read %{{.+}}[%{{.+}}, %c124], %{{.+}} {in_bounds = [true]} : tensor<?x128xf32>, vector<4xf32>
// V128:         vector.reduction <add>, %{{.+}} fastmath<reassoc,contract> : vector<4xf32> into f32
func.func @gqa_decode_split(%q: tensor<1x32x1x128xf32>, %k: tensor<1x8x4096x128xf32>, %v: tensor<1x8x4096x128xf32>) -> tensor<1x32x1x128xf32> {
  %init = tensor.empty() : tensor<1x32x1x128xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x32x1x128xf32>, tensor<1x8x4096x128xf32>, tensor<1x8x4096x128xf32>)
      outs(%init : tensor<1x32x1x128xf32>) -> tensor<1x32x1x128xf32>
  return %o : tensor<1x32x1x128xf32>
}

// -----

/// Three bf16 query rows per head, causal (bottom-right aligned), per-
/// sequence key lengths: 4 groups of 4 heads keep 2 threads busy, so no split.
/// The tile's 12 (head, row) rows pad to 16 (two blocks of 8 rows); the key
/// loop ends at the causal bound of the last row, min(kv_len, 1000); the
/// bf16 key row is widened in registers; tiles not proven full (the
/// ragged last one, or rows beyond the diagonal) take the masked branch.
// T2-LABEL: func @gqa_decode_causal_bf16
// T2:   scf.forall (%[[B:.+]], %[[G:.+]]) in (2, 2) shared_outs(
// T2:     %[[LEN:.+]] = arith.index_cast %{{.+}} : i32 to index
// T2:     %[[END:.+]] = arith.minsi %[[LEN]], %c1000 : index
// T2:     %[[HI:.+]] = arith.minsi %[[END]], %[[LEN]] : index
// T2:     tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<4x3x64xf32> into tensor<12x64xf32>
// T2:     scf.for %{{.+}} = %c0 to %[[HI]] step %c64 iter_args({{.*}}) -> (tensor<16xf32>, tensor<16xf32>, tensor<16x64xf32>)
// T2:       scf.for %{{.+}} = %c0 to %c16 step %c8
// T2:         %[[KB:.+]] = vector.transfer_read {{.*}} : tensor<?x64xbf16>, vector<16xbf16>
// T2:         arith.extf %[[KB]] : vector<16xbf16> to vector<16xf32>
// T2:       scf.if
// T2:     tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [4, 3, 64] : tensor<12x64xbf16> into tensor<4x3x64xbf16>
// T2-NOT: attn.merge_states
/// With AVX2, the bf16 key row is read and widened 8 lanes at a time; P.V
/// takes blocks of 2 rows x 4 vectors: the widened V vectors need registers
/// of their own, and 8 accumulators + 8 V vectors + a broadcast would not
/// fit in 16.
// AVX2-LABEL: func @gqa_decode_causal_bf16
// AVX2:       scf.for %{{.+}} = %c0 to %c16 step %c8
// AVX2:         %[[KB:.+]] = vector.transfer_read {{.*}} : tensor<?x64xbf16>, vector<8xbf16>
// AVX2:         arith.extf %[[KB]] : vector<8xbf16> to vector<8xf32>
// AVX2:       scf.for %{{.+}} = %c0 to %c16 step %c2
// AVX2:         scf.for %{{.+}} = %c0 to %c64 step %c32
// AVX2:           scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// AVX2-COUNT-4:     arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
func.func @gqa_decode_causal_bf16(%q: tensor<2x8x3x64xbf16>, %k: tensor<2x2x1000x64xbf16>, %v: tensor<2x2x1000x64xbf16>, %kl: tensor<2xi32>) -> tensor<2x8x3x64xbf16> {
  %init = tensor.empty() : tensor<2x8x3x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<2x8x3x64xbf16>, tensor<2x2x1000x64xbf16>, tensor<2x2x1000x64xbf16>)
      kv_lengths(%kl : tensor<2xi32>)
      outs(%init : tensor<2x8x3x64xbf16>) {masks = [#attn.causal]} -> tensor<2x8x3x64xbf16>
  return %o : tensor<2x8x3x64xbf16>
}

// -----

/// negative: 17 query rows are past the decode path (Lq <= 16): one tile
/// per query head on the general path.
// T2-LABEL: func @negative_decode_17_rows
// T2-NOT:   vector.reduction
// T2:       scf.forall (%{{.+}}) in (8)
func.func @negative_decode_17_rows(%q: tensor<1x8x17x64xf32>, %k: tensor<1x2x1000x64xf32>, %v: tensor<1x2x1000x64xf32>) -> tensor<1x8x17x64xf32> {
  %init = tensor.empty() : tensor<1x8x17x64xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x17x64xf32>, tensor<1x2x1000x64xf32>, tensor<1x2x1000x64xf32>)
      outs(%init : tensor<1x8x17x64xf32>) -> tensor<1x8x17x64xf32>
  return %o : tensor<1x8x17x64xf32>
}

// -----

/// Dv = 8 is not a multiple of 16 lanes: the predicate (Dv a multiple of 4,
/// the lanes of the narrowest target, so it does not depend on the target)
/// keeps the decode path and the tile narrows its vectors to 8 lanes, which
/// divide Dv, on a 512-bit target.
// T2-LABEL: func @gqa_decode_dv8
// T2:       scf.forall (%{{.+}}) in (2)
// T2:         vector.transfer_read {{.*}} : tensor<?x8xf32>, vector<8xf32>
// T2:         vector.reduction <add>, %{{.+}} fastmath<reassoc,contract> : vector<8xf32> into f32
// T2-NOT:     vector<16xf32>
// T2:       return
func.func @gqa_decode_dv8(%q: tensor<1x8x1x8xf32>, %k: tensor<1x2x100x8xf32>, %v: tensor<1x2x100x8xf32>) -> tensor<1x8x1x8xf32> {
  %init = tensor.empty() : tensor<1x8x1x8xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x8xf32>)
      outs(%init : tensor<1x8x1x8xf32>) -> tensor<1x8x1x8xf32>
  return %o : tensor<1x8x1x8xf32>
}

// -----

/// negative: Dv = 6 is not a multiple of 4 lanes: the general path.
// T2-LABEL: func @negative_decode_dv6
// T2-NOT:   vector.reduction
// T2:       return
func.func @negative_decode_dv6(%q: tensor<1x8x1x8xf32>, %k: tensor<1x2x100x8xf32>, %v: tensor<1x2x100x6xf32>) -> tensor<1x8x1x6xf32> {
  %init = tensor.empty() : tensor<1x8x1x6xf32>
  %o = attn.attention ins(%q, %k, %v : tensor<1x8x1x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x6xf32>)
      outs(%init : tensor<1x8x1x6xf32>) -> tensor<1x8x1x6xf32>
  return %o : tensor<1x8x1x6xf32>
}
