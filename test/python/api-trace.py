# RUN: %python %s > %t.mlir
# RUN: FileCheck %s < %t.mlir
# The printed functions are valid IR:
# RUN: attn-opt %t.mlir --attn-decompose > /dev/null

"""The IR that traced score_mod/mask_mod functions print, and the numpy
evaluation of the same traces."""

import numpy as np

import attn
from attn import trace as tr

S = (1, 4, 8, 16)
slopes = np.linspace(-1.0, -0.125, 4)


# CHECK-LABEL: func.func @alibi(
# CHECK-SAME: %cap_slopes: tensor<4xf32>
# CHECK: score_mod {
# CHECK-NEXT: ^bb0(%sm_s: f32, %sm_b: index, %sm_h: index, %sm_i: index, %sm_j: index):
# CHECK-NEXT: %[[SL:.*]] = tensor.extract %cap_slopes[%sm_h] : tensor<4xf32>
# CHECK-NEXT: %[[D:.*]] = arith.subi %sm_j, %sm_i : index
# CHECK-NEXT: %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
# CHECK-NEXT: %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
# CHECK-NEXT: %[[B:.*]] = arith.mulf %[[SL]], %[[DF]] : f32
# CHECK-NEXT: %[[R:.*]] = arith.addf %sm_s, %[[B]] : f32
# CHECK-NEXT: attn.yield %[[R]] : f32
def alibi(score, b, h, q_idx, kv_idx):
    return score + slopes[h] * (kv_idx - q_idx)


print(attn.attention(S, score_mod=alibi, name="alibi", compile=False).mlir)

# Python's floor division and modulo on indices; constants shared.
# CHECK-LABEL: func.func @floor_mod(
# CHECK: mask_mod {
# CHECK-NEXT: ^bb0(%mm_b: index, %mm_h: index, %mm_i: index, %mm_j: index):
# CHECK-NEXT: %[[C4:.*]] = arith.constant 4 : index
# CHECK-NEXT: %[[QI:.*]] = arith.floordivsi %mm_i, %[[C4]] : index
# CHECK-NEXT: %[[QJ:.*]] = arith.floordivsi %mm_j, %[[C4]] : index
# CHECK-NEXT: %[[EQ:.*]] = arith.cmpi eq, %[[QI]], %[[QJ]] : index
# CHECK-NEXT: %[[C3:.*]] = arith.constant 3 : index
# CHECK-NEXT: %[[F:.*]] = arith.floordivsi %mm_h, %[[C3]] : index
# CHECK-NEXT: %[[M:.*]] = arith.muli %[[F]], %[[C3]] : index
# CHECK-NEXT: %[[MOD:.*]] = arith.subi %mm_h, %[[M]] : index
# CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
# CHECK-NEXT: %[[NE:.*]] = arith.cmpi ne, %[[MOD]], %[[C0]] : index
# CHECK-NEXT: %[[OR:.*]] = arith.ori %[[EQ]], %[[NE]] : i1
# CHECK-NEXT: attn.yield %[[OR]] : i1
print(attn.attention(S, name="floor_mod", compile=False,
                     mask_mod=lambda b, h, i, j: (i // 4 == j // 4) |
                     (h % 3 != 0)).mlir)

# where, tanh, comparisons of floats, a bool constant, i1 -> f32, numpy
# ufuncs on traced values, a dynamic int32 capture, a negative constant
# index into a static capture.
doc = attn.capture(np.arange(8, dtype=np.int32), name="doc", dynamic=True)
pos = np.arange(8)
# CHECK-LABEL: func.func @mixed(
# CHECK-SAME: %cap_doc: tensor<?xi32>, %cap_pos: tensor<8xi64>
# CHECK: score_mod {
# CHECK: %[[C:.*]] = arith.cmpf ogt, %sm_s, %{{.*}} : f32
# CHECK: %[[T:.*]] = math.tanh %{{.*}} : f32
# CHECK-NEXT: %[[CAP:.*]] = arith.mulf %{{.*}}, %[[T]] : f32
# CHECK-NEXT: %[[SEL:.*]] = arith.select %[[C]], %[[CAP]], %sm_s : f32
# CHECK: %[[X:.*]] = math.exp %{{.*}} : f32
# CHECK: arith.uitofp %{{.*}} : i1 to f32
# CHECK: attn.yield %{{.*}} : f32
# CHECK: mask_mod {
# CHECK: %[[E:.*]] = tensor.extract %cap_doc[%mm_i] : tensor<?xi32>
# CHECK-NEXT: %[[EI:.*]] = arith.index_cast %[[E]] : i32 to index
# CHECK: %[[C7:.*]] = arith.constant 7 : index
# CHECK-NEXT: %[[L:.*]] = tensor.extract %cap_pos[%[[C7]]] : tensor<8xi64>
# CHECK-NEXT: arith.index_cast %[[L]] : i64 to index
# CHECK: %[[T1:.*]] = arith.constant true
# CHECK: arith.xori %{{.*}}, %[[T1]] : i1
# CHECK: attn.yield %{{.*}} : i1


def mixed_score(s, b, h, i, j):
    capped = 4.0 * attn.tanh(s / 4.0)
    return attn.where(s > 1.5, capped, s) + np.exp(-s) * (i == j)


def mixed_mask(b, h, i, j):
    return ~((doc[i] != doc[j]) | (j > pos[-1]))


print(attn.attention(S, name="mixed", compile=False, score_mod=mixed_score,
                     mask_mod=mixed_mask).mlir)

# Constant modifiers and an explicit placeholder capture.
# CHECK-LABEL: func.func @consts(
# CHECK-SAME: %cap_bias: tensor<8x8xf32>
# CHECK: score_mod {
# CHECK: %[[H:.*]] = arith.constant 5.000000000e-01 : f32
# CHECK: attn.yield
# CHECK: mask_mod {
# CHECK-NEXT: ^bb0
# CHECK-NEXT: %[[T:.*]] = arith.constant true
# CHECK-NEXT: attn.yield %[[T]] : i1
bias = attn.capture(shape=(8, 8), dtype=np.float32, name="bias")
print(attn.attention(S, name="consts", compile=False,
                     score_mod=lambda s, b, h, i, j: s * 0.5 + bias[i, j],
                     mask_mod=lambda b, h, i, j: True).mlir)

# The numpy evaluation of a trace equals the function run on numpy values
# directly (for functions written with operators only).
# CHECK: // evaluation matches: True


def plain(s, b, h, i, j):
    return (s * 0.5 - (i - j) / 3 + (h + 1) ** 2) * ((j % 3) < 2) + i // 2


t = tr.trace(plain, "score_mod")
grids = np.meshgrid(np.arange(2), np.arange(3), np.arange(5), np.arange(7),
                    indexing="ij")
s = np.random.default_rng(0).standard_normal(grids[0].shape)
print("// evaluation matches:",
      np.allclose(tr.evaluate(t, [s] + grids, {}), plain(s, *grids)))
