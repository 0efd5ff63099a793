// RUN: attn-opt %s --convert-attn-to-gpu --canonicalize --cse --split-input-file | FileCheck %s

/// A causal sliding window of 100 keys written as a mask_mod region: the
/// key tiles of the block (query rows [q0, min(q0 + 63, 511)]) come from the
/// mask analysis through buildKeyRange, [max(0, q0 - 100), qHi + 1), in
/// tiles of 64: the kernel's key loop never visits the tiles outside.
// CHECK-LABEL: gpu.func @window_region_attn_0(
// CHECK:   %[[BX:.+]] = gpu.block_id x
// CHECK:   %[[Q0:.+]] = arith.muli %[[BX]], %c64 : index
// CHECK:   %[[QE:.+]] = arith.addi %[[Q0]], %c63 : index
// CHECK:   %[[QHI:.+]] = arith.minsi %[[QE]], %c511 : index
// CHECK:   %[[W:.+]] = arith.subi %[[Q0]], %c100 : index
// CHECK:   %[[END:.+]] = arith.addi %[[QHI]], %c1 : index
// CHECK:   %[[LO0:.+]] = arith.maxsi %[[W]], %c0 : index
// CHECK:   %[[HI0:.+]] = arith.minsi %[[END]], %c512 : index
// CHECK:   %[[LO:.+]] = arith.maxsi %[[LO0]], %c0 : index
// CHECK:   %[[HI:.+]] = arith.minsi %[[HI0]], %c512 : index
// CHECK:   %[[TLO:.+]] = arith.divsi %[[LO]], %c64 : index
// CHECK:   %[[THI:.+]] = arith.ceildivsi %[[HI]], %c64 : index
// CHECK:   scf.for %{{.+}} = %[[TLO]] to %{{.+}} step %c1
func.func @window_region(%q: tensor<1x1x512x64xbf16>, %k: tensor<1x1x512x64xbf16>, %v: tensor<1x1x512x64xbf16>) -> tensor<1x1x512x64xbf16> {
  %init = tensor.empty() : tensor<1x1x512x64xbf16>
  %o = attn.attention ins(%q, %k, %v : tensor<1x1x512x64xbf16>, tensor<1x1x512x64xbf16>, tensor<1x1x512x64xbf16>) outs(%init : tensor<1x1x512x64xbf16>) -> tensor<1x1x512x64xbf16>
      mask_mod {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c100 = arith.constant 100 : index
        %d = arith.subi %i, %j : index
        %near = arith.cmpi sle, %d, %c100 : index
        %past = arith.cmpi sle, %j, %i : index
        %keep = arith.andi %near, %past : i1
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x512x64xbf16>
}
