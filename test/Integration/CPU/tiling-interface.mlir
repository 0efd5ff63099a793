// RUN: attn-opt %s -transform-preload-library=transform-library-paths=%S/Inputs/tiling-interface-schedule.mlir \
// RUN:     -transform-interpreter -canonicalize -cse --attn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: attn-opt %s -transform-preload-library=transform-library-paths=%S/Inputs/tiling-interface-schedule.mlir \
// RUN:     -transform-interpreter -canonicalize -cse | FileCheck %s --check-prefix=IR

/// Upstream tiling of attn.attention agrees with the untiled op: the same op
/// (GQA 4:2, Lq = 7 != Lkv = 11, odd head dims) is tiled over (b, h, q) with
/// tile_using_forall (`forall`: tile coordinates carry the global indices of
/// the masks, regions and the GQA head mapping), split over its key axis with
/// tile_reduction_using_forall (`split`: four partial states merged by
/// attn.merge_states, then finalised with the sinks), and both (`both`). For
/// each normaliser the test prints 1 where the tiled result matches the
/// untiled one to 1e-5 relative (max |a - b| / max |a|).

// IR-LABEL: func @softmax
// IR: scf.forall
// IR: attn.attention {{.*}} offsets({{.*}}) problem({{.*}})
// IR: attn.merge_states {{.*}} {dimension = 3 : i64}

func.func private @printMemrefF32(tensor<*xf32>)

/// Deterministic, varied inputs: sin(seed + 0.7 b + 1.3 h + 0.37 i + 0.91 d).
func.func @input_q(%seed: f32, %t: tensor<2x4x7x5xf32>) -> tensor<2x4x7x5xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%t : tensor<2x4x7x5xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %i = linalg.index 2 : index
    %d = linalg.index 3 : index
    %c0 = arith.constant 0.7 : f32
    %c1 = arith.constant 1.3 : f32
    %c2 = arith.constant 0.37 : f32
    %c3 = arith.constant 0.91 : f32
    %bf = arith.index_cast %b : index to i64
    %hf = arith.index_cast %h : index to i64
    %if = arith.index_cast %i : index to i64
    %df = arith.index_cast %d : index to i64
    %b1 = arith.sitofp %bf : i64 to f32
    %h1 = arith.sitofp %hf : i64 to f32
    %i1 = arith.sitofp %if : i64 to f32
    %d1 = arith.sitofp %df : i64 to f32
    %x0 = arith.mulf %b1, %c0 : f32
    %x1 = arith.mulf %h1, %c1 : f32
    %x2 = arith.mulf %i1, %c2 : f32
    %x3 = arith.mulf %d1, %c3 : f32
    %s0 = arith.addf %seed, %x0 : f32
    %s1 = arith.addf %s0, %x1 : f32
    %s2 = arith.addf %s1, %x2 : f32
    %s3 = arith.addf %s2, %x3 : f32
    %v = math.sin %s3 : f32
    %two = arith.constant 2.0 : f32
    %v2 = arith.mulf %v, %two : f32
    linalg.yield %v2 : f32
  } -> tensor<2x4x7x5xf32>
  return %r : tensor<2x4x7x5xf32>
}

/// Deterministic, varied inputs: sin(seed + 0.7 b + 1.3 h + 0.37 i + 0.91 d).
func.func @input_k(%seed: f32, %t: tensor<2x2x11x5xf32>) -> tensor<2x2x11x5xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%t : tensor<2x2x11x5xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %i = linalg.index 2 : index
    %d = linalg.index 3 : index
    %c0 = arith.constant 0.7 : f32
    %c1 = arith.constant 1.3 : f32
    %c2 = arith.constant 0.37 : f32
    %c3 = arith.constant 0.91 : f32
    %bf = arith.index_cast %b : index to i64
    %hf = arith.index_cast %h : index to i64
    %if = arith.index_cast %i : index to i64
    %df = arith.index_cast %d : index to i64
    %b1 = arith.sitofp %bf : i64 to f32
    %h1 = arith.sitofp %hf : i64 to f32
    %i1 = arith.sitofp %if : i64 to f32
    %d1 = arith.sitofp %df : i64 to f32
    %x0 = arith.mulf %b1, %c0 : f32
    %x1 = arith.mulf %h1, %c1 : f32
    %x2 = arith.mulf %i1, %c2 : f32
    %x3 = arith.mulf %d1, %c3 : f32
    %s0 = arith.addf %seed, %x0 : f32
    %s1 = arith.addf %s0, %x1 : f32
    %s2 = arith.addf %s1, %x2 : f32
    %s3 = arith.addf %s2, %x3 : f32
    %v = math.sin %s3 : f32
    %two = arith.constant 2.0 : f32
    %v2 = arith.mulf %v, %two : f32
    linalg.yield %v2 : f32
  } -> tensor<2x2x11x5xf32>
  return %r : tensor<2x2x11x5xf32>
}

/// Deterministic, varied inputs: sin(seed + 0.7 b + 1.3 h + 0.37 i + 0.91 d).
func.func @input_v(%seed: f32, %t: tensor<2x2x11x3xf32>) -> tensor<2x2x11x3xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, i, d) -> (b, h, i, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%t : tensor<2x2x11x3xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %i = linalg.index 2 : index
    %d = linalg.index 3 : index
    %c0 = arith.constant 0.7 : f32
    %c1 = arith.constant 1.3 : f32
    %c2 = arith.constant 0.37 : f32
    %c3 = arith.constant 0.91 : f32
    %bf = arith.index_cast %b : index to i64
    %hf = arith.index_cast %h : index to i64
    %if = arith.index_cast %i : index to i64
    %df = arith.index_cast %d : index to i64
    %b1 = arith.sitofp %bf : i64 to f32
    %h1 = arith.sitofp %hf : i64 to f32
    %i1 = arith.sitofp %if : i64 to f32
    %d1 = arith.sitofp %df : i64 to f32
    %x0 = arith.mulf %b1, %c0 : f32
    %x1 = arith.mulf %h1, %c1 : f32
    %x2 = arith.mulf %i1, %c2 : f32
    %x3 = arith.mulf %d1, %c3 : f32
    %s0 = arith.addf %seed, %x0 : f32
    %s1 = arith.addf %s0, %x1 : f32
    %s2 = arith.addf %s1, %x2 : f32
    %s3 = arith.addf %s2, %x3 : f32
    %v = math.sin %s3 : f32
    %two = arith.constant 2.0 : f32
    %v2 = arith.mulf %v, %two : f32
    linalg.yield %v2 : f32
  } -> tensor<2x2x11x3xf32>
  return %r : tensor<2x2x11x3xf32>
}

/// 1 when max |a - b| <= 1e-5 * max |a| (0 for NaN).
func.func @close(%a: tensor<?xf32>, %b: tensor<?xf32>) -> f32 {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %m:2 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> ()>, affine_map<(i) -> ()>],
                         iterator_types = ["reduction"]}
      ins(%a, %b : tensor<?xf32>, tensor<?xf32>) outs(%init, %init : tensor<f32>, tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %dmax: f32, %amax: f32):
    %d = arith.subf %x, %y : f32
    %ad = math.absf %d : f32
    %ax = math.absf %x : f32
    %r = arith.maximumf %dmax, %ad : f32
    %s = arith.maximumf %amax, %ax : f32
    linalg.yield %r, %s : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %dv = tensor.extract %m#0[] : tensor<f32>
  %av = tensor.extract %m#1[] : tensor<f32>
  %rel = arith.constant 1.0e-5 : f32
  %tol = arith.mulf %av, %rel : f32
  %ok = arith.cmpf ole, %dv, %tol : f32
  %one = arith.constant 1.0 : f32
  %r = arith.select %ok, %one, %z : f32
  return %r : f32
}

func.func @softmax(%q: tensor<2x4x7x5xf32>, %k: tensor<2x2x11x5xf32>, %v: tensor<2x2x11x3xf32>, %sk: tensor<4xf32>, %slopes: tensor<4xf32>) -> tensor<6xf32> {
  %eo = tensor.empty() : tensor<2x4x7x3xf32>
  %el = tensor.empty() : tensor<2x4x7xf32>
  %o0, %l0 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) sinks(%sk : tensor<4xf32>)
      outs(%eo, %el : tensor<2x4x7x3xf32>, tensor<2x4x7xf32>) {masks = [#attn.causal]} -> tensor<2x4x7x3xf32>, tensor<2x4x7xf32>
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %sl = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %sl, %df : f32
        %r = arith.addf %x, %bias : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %hb = arith.addi %h, %b : index
        %s = arith.addi %hb, %j : index
        %c3 = arith.constant 3 : index
        %r = arith.remui %s, %c3 : index
        %c1 = arith.constant 1 : index
        %keep = arith.cmpi ne, %r, %c1 : index
        attn.yield %keep : i1
      }
  %o1, %l1 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) sinks(%sk : tensor<4xf32>)
      outs(%eo, %el : tensor<2x4x7x3xf32>, tensor<2x4x7xf32>) {masks = [#attn.causal], forall} -> tensor<2x4x7x3xf32>, tensor<2x4x7xf32>
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %sl = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %sl, %df : f32
        %r = arith.addf %x, %bias : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %hb = arith.addi %h, %b : index
        %s = arith.addi %hb, %j : index
        %c3 = arith.constant 3 : index
        %r = arith.remui %s, %c3 : index
        %c1 = arith.constant 1 : index
        %keep = arith.cmpi ne, %r, %c1 : index
        attn.yield %keep : i1
      }
  %o2, %l2 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) sinks(%sk : tensor<4xf32>)
      outs(%eo, %el : tensor<2x4x7x3xf32>, tensor<2x4x7xf32>) {masks = [#attn.causal], split} -> tensor<2x4x7x3xf32>, tensor<2x4x7xf32>
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %sl = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %sl, %df : f32
        %r = arith.addf %x, %bias : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %hb = arith.addi %h, %b : index
        %s = arith.addi %hb, %j : index
        %c3 = arith.constant 3 : index
        %r = arith.remui %s, %c3 : index
        %c1 = arith.constant 1 : index
        %keep = arith.cmpi ne, %r, %c1 : index
        attn.yield %keep : i1
      }
  %o3, %l3 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) sinks(%sk : tensor<4xf32>)
      outs(%eo, %el : tensor<2x4x7x3xf32>, tensor<2x4x7xf32>) {masks = [#attn.causal], both} -> tensor<2x4x7x3xf32>, tensor<2x4x7xf32>
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %sl = tensor.extract %slopes[%h] : tensor<4xf32>
        %d = arith.subi %j, %i : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %bias = arith.mulf %sl, %df : f32
        %r = arith.addf %x, %bias : f32
        attn.yield %r : f32
      } mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %hb = arith.addi %h, %b : index
        %s = arith.addi %hb, %j : index
        %c3 = arith.constant 3 : index
        %r = arith.remui %s, %c3 : index
        %c1 = arith.constant 1 : index
        %keep = arith.cmpi ne, %r, %c1 : index
        attn.yield %keep : i1
      }
  %fo0 = tensor.collapse_shape %o0 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go0 = tensor.cast %fo0 : tensor<168xf32> to tensor<?xf32>
  %fo1 = tensor.collapse_shape %o1 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go1 = tensor.cast %fo1 : tensor<168xf32> to tensor<?xf32>
  %co1 = call @close(%go0, %go1) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo2 = tensor.collapse_shape %o2 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go2 = tensor.cast %fo2 : tensor<168xf32> to tensor<?xf32>
  %co2 = call @close(%go0, %go2) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo3 = tensor.collapse_shape %o3 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go3 = tensor.cast %fo3 : tensor<168xf32> to tensor<?xf32>
  %co3 = call @close(%go0, %go3) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fl0 = tensor.collapse_shape %l0 [[0, 1, 2]] : tensor<2x4x7xf32> into tensor<56xf32>
  %gl0 = tensor.cast %fl0 : tensor<56xf32> to tensor<?xf32>
  %fl1 = tensor.collapse_shape %l1 [[0, 1, 2]] : tensor<2x4x7xf32> into tensor<56xf32>
  %gl1 = tensor.cast %fl1 : tensor<56xf32> to tensor<?xf32>
  %cl1 = call @close(%gl0, %gl1) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fl2 = tensor.collapse_shape %l2 [[0, 1, 2]] : tensor<2x4x7xf32> into tensor<56xf32>
  %gl2 = tensor.cast %fl2 : tensor<56xf32> to tensor<?xf32>
  %cl2 = call @close(%gl0, %gl2) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fl3 = tensor.collapse_shape %l3 [[0, 1, 2]] : tensor<2x4x7xf32> into tensor<56xf32>
  %gl3 = tensor.cast %fl3 : tensor<56xf32> to tensor<?xf32>
  %cl3 = call @close(%gl0, %gl3) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %r = tensor.from_elements %co1, %co2, %co3, %cl1, %cl2, %cl3 : tensor<6xf32>
  return %r : tensor<6xf32>
}

func.func @softpick(%q: tensor<2x4x7x5xf32>, %k: tensor<2x2x11x5xf32>, %v: tensor<2x2x11x3xf32>) -> tensor<3xf32> {
  %eo = tensor.empty() : tensor<2x4x7x3xf32>
  %o0 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>)
      outs(%eo : tensor<2x4x7x3xf32>) {masks = [#attn.sliding_window<left = 6, right = 1>], normalizer = #attn.normalizer<softpick>} -> tensor<2x4x7x3xf32>
  %o1 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>)
      outs(%eo : tensor<2x4x7x3xf32>) {masks = [#attn.sliding_window<left = 6, right = 1>], normalizer = #attn.normalizer<softpick>, forall} -> tensor<2x4x7x3xf32>
  %o2 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>)
      outs(%eo : tensor<2x4x7x3xf32>) {masks = [#attn.sliding_window<left = 6, right = 1>], normalizer = #attn.normalizer<softpick>, split} -> tensor<2x4x7x3xf32>
  %o3 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>)
      outs(%eo : tensor<2x4x7x3xf32>) {masks = [#attn.sliding_window<left = 6, right = 1>], normalizer = #attn.normalizer<softpick>, both} -> tensor<2x4x7x3xf32>
  %fo0 = tensor.collapse_shape %o0 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go0 = tensor.cast %fo0 : tensor<168xf32> to tensor<?xf32>
  %fo1 = tensor.collapse_shape %o1 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go1 = tensor.cast %fo1 : tensor<168xf32> to tensor<?xf32>
  %co1 = call @close(%go0, %go1) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo2 = tensor.collapse_shape %o2 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go2 = tensor.cast %fo2 : tensor<168xf32> to tensor<?xf32>
  %co2 = call @close(%go0, %go2) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo3 = tensor.collapse_shape %o3 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go3 = tensor.cast %fo3 : tensor<168xf32> to tensor<?xf32>
  %co3 = call @close(%go0, %go3) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %r = tensor.from_elements %co1, %co2, %co3 : tensor<3xf32>
  return %r : tensor<3xf32>
}

func.func @sigmoid(%q: tensor<2x4x7x5xf32>, %k: tensor<2x2x11x5xf32>, %v: tensor<2x2x11x3xf32>, %m: tensor<2x1x7x11xi1>) -> tensor<3xf32> {
  %eo = tensor.empty() : tensor<2x4x7x3xf32>
  %o0 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) mask(%m : tensor<2x1x7x11xi1>)
      outs(%eo : tensor<2x4x7x3xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -0.5} -> tensor<2x4x7x3xf32>
  %o1 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) mask(%m : tensor<2x1x7x11xi1>)
      outs(%eo : tensor<2x4x7x3xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -0.5, forall} -> tensor<2x4x7x3xf32>
  %o2 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) mask(%m : tensor<2x1x7x11xi1>)
      outs(%eo : tensor<2x4x7x3xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -0.5, split} -> tensor<2x4x7x3xf32>
  %o3 = attn.attention ins(%q, %k, %v : tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) mask(%m : tensor<2x1x7x11xi1>)
      outs(%eo : tensor<2x4x7x3xf32>) {normalizer = #attn.normalizer<sigmoid>, sigmoid_bias = -0.5, both} -> tensor<2x4x7x3xf32>
  %fo0 = tensor.collapse_shape %o0 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go0 = tensor.cast %fo0 : tensor<168xf32> to tensor<?xf32>
  %fo1 = tensor.collapse_shape %o1 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go1 = tensor.cast %fo1 : tensor<168xf32> to tensor<?xf32>
  %co1 = call @close(%go0, %go1) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo2 = tensor.collapse_shape %o2 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go2 = tensor.cast %fo2 : tensor<168xf32> to tensor<?xf32>
  %co2 = call @close(%go0, %go2) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %fo3 = tensor.collapse_shape %o3 [[0, 1, 2, 3]] : tensor<2x4x7x3xf32> into tensor<168xf32>
  %go3 = tensor.cast %fo3 : tensor<168xf32> to tensor<?xf32>
  %co3 = call @close(%go0, %go3) : (tensor<?xf32>, tensor<?xf32>) -> f32
  %r = tensor.from_elements %co1, %co2, %co3 : tensor<3xf32>
  return %r : tensor<3xf32>
}

func.func @main() {
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c11 = arith.constant 11 : index
  %s0 = arith.constant 0.1 : f32
  %s1 = arith.constant 1.7 : f32
  %s2 = arith.constant 2.9 : f32
  %eq = tensor.empty() : tensor<2x4x7x5xf32>
  %ek = tensor.empty() : tensor<2x2x11x5xf32>
  %ev = tensor.empty() : tensor<2x2x11x3xf32>
  %q = call @input_q(%s0, %eq) : (f32, tensor<2x4x7x5xf32>) -> tensor<2x4x7x5xf32>
  %k = call @input_k(%s1, %ek) : (f32, tensor<2x2x11x5xf32>) -> tensor<2x2x11x5xf32>
  %v = call @input_v(%s2, %ev) : (f32, tensor<2x2x11x3xf32>) -> tensor<2x2x11x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %sinks = arith.constant dense<[0.5, -1.0, 2.0, 0.0]> : tensor<4xf32>
  %slopes = arith.constant dense<[0.25, 0.125, 0.0625, 0.5]> : tensor<4xf32>
  %mask = arith.constant dense<true> : tensor<2x1x7x11xi1>
  %m0 = tensor.insert %false into %mask[%c0, %c0, %c3, %c5] : tensor<2x1x7x11xi1>
  %m = tensor.insert %false into %m0[%c1, %c0, %c2, %c4] : tensor<2x1x7x11xi1>

  // CHECK: [1,  1,  1,  1,  1,  1]
  %a = call @softmax(%q, %k, %v, %sinks, %slopes) : (tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<6xf32>
  %au = tensor.cast %a : tensor<6xf32> to tensor<*xf32>
  call @printMemrefF32(%au) : (tensor<*xf32>) -> ()
  // CHECK: [1,  1,  1]
  %b = call @softpick(%q, %k, %v) : (tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>) -> tensor<3xf32>
  %bu = tensor.cast %b : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%bu) : (tensor<*xf32>) -> ()
  // CHECK: [1,  1,  1]
  %c = call @sigmoid(%q, %k, %v, %m) : (tensor<2x4x7x5xf32>, tensor<2x2x11x5xf32>, tensor<2x2x11x3xf32>, tensor<2x1x7x11xi1>) -> tensor<3xf32>
  %cu = tensor.cast %c : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%cu) : (tensor<*xf32>) -> ()
  return
}
