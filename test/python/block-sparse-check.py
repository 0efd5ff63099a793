# Random variants of attn.block_scores (GQA ratios, per-head and per-group
# rows, query blocks, block sizes that divide no length, Lq != Lk, zero
# sizes (L, Nk, D, B), mean / max / compressed keys, sum / max, causal, the block softmax
# with a computed or given lse, dynamic dims, f32 / f16 / bf16) and of
# attn.select_blocks (k from 0 to Nk, forced first and local blocks, the
# full/partial split, a run-time k, explicit lengths, threshold selection,
# ties, -inf and NaN scores), compared with attn.block_sparse_reference.
# RUN: %python -m attn.testing.block_sparse_check --op scores --seed 0 --count 40 | FileCheck %s --check-prefix=SCORES
# RUN: %python -m attn.testing.block_sparse_check --op scores --seed 1 --count 30 --dtype bf16 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s --check-prefix=SCORES
# RUN: %python -m attn.testing.block_sparse_check --op scores --seed 2 --count 20 --dtype f16 | FileCheck %s --check-prefix=SCORES
# RUN: %python -m attn.testing.block_sparse_check --op select --seed 0 --count 60 | FileCheck %s --check-prefix=SELECT
# RUN: %python -m attn.testing.block_sparse_check --op select --seed 1 --count 40 --pipeline "attn-cpu-pipeline=reference=true parallel=false" | FileCheck %s --check-prefix=SELECT

# SCORES: block scores check: {{[0-9]+}} variants, 0 mismatches
# SELECT: block select check: {{[0-9]+}} variants, 0 mismatches
