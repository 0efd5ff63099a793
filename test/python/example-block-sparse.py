# The MoBA, NSA, SeerAttention and BLASST compositions of
# examples/block_sparse (attn.block_scores, attn.select_blocks with top-k
# and threshold selection, the block lists passed to attn.attention as
# kv_blocks, attn.merge_states / the gated sum, the learned gate's
# projections and softmax and the block maxima in linalg) against numpy
# models of the papers.
# RUN: %python %S/../../examples/block_sparse/run.py | FileCheck %s
# RUN: %python %S/../../examples/block_sparse/run.py --seed 1 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s

# CHECK: ok   moba: relative error
# CHECK: ok   nsa: relative error
# CHECK: ok   seer: relative error
# CHECK: ok   blasst: relative error
