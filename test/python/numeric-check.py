# Reference decomposition:
# RUN: %python -m attn.testing.check --seed 0 --count 150 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# Tiled online-softmax path: default tiles, then tile sizes that divide no
# length (and a single-row, single-key tile), parallel and sequential.
# RUN: %python -m attn.testing.check --seed 1 --count 150 | FileCheck %s
# RUN: %python -m attn.testing.check --seed 2 --count 150 --pipeline "attn-cpu-pipeline=q-tile=3 kv-tile=5" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 3 --count 100 --pipeline "attn-cpu-pipeline=q-tile=1 kv-tile=1 parallel=false" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 4 --count 100 --pipeline "attn-cpu-pipeline=q-tile=4 kv-tile=7 num-threads=3" | FileCheck %s
# Split-KV: key-axis splits merged through their maxima (with sinks, LSE,
# every normaliser), generic and micro-kernel tiles.
# RUN: %python -m attn.testing.check --seed 10 --count 100 --pipeline "attn-cpu-pipeline=kv-splits=3 q-tile=3 kv-tile=5" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 11 --count 80 --pipeline "attn-cpu-pipeline=kv-splits=2 q-tile=32 kv-tile=8" | FileCheck %s
# Tile sizes that enable the register micro-kernels on the larger variants
# (f32, static Dv a multiple of 32, query tile a multiple of 32), with
# partial boundary tiles.
# RUN: %python -m attn.testing.check --seed 8 --count 120 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 9 --count 80 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=16 parallel=false" | FileCheck %s
# Mask tensors (half of them block-sparse, blocks not aligned with the
# tiles) through the runtime block summary: skipped and mask-free blocks.
# RUN: %python -m attn.testing.check --seed 21 --count 40 --require mask --pipeline "attn-cpu-pipeline=q-tile=3 kv-tile=5" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 22 --count 40 --require mask --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# Half precision inputs on both paths.
# RUN: %python -m attn.testing.check --seed 5 --count 40 --dtype bf16 | FileCheck %s
# RUN: %python -m attn.testing.check --seed 12 --count 60 --dtype bf16 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 6 --count 40 --dtype f16 --pipeline "attn-cpu-pipeline=q-tile=2 kv-tile=3" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 7 --count 40 --dtype bf16 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# bf16 Q.K^T with the AVX512-BF16 dot product on micro-kernel tiles (about
# one variant in five qualifies: static Dv a multiple of 32, static even D),
# where the CPU has it.
# RUN: %if avx512-bf16 %{ %python -m attn.testing.check --seed 13 --count 120 --dtype bf16 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8 bf16-dot=true" | FileCheck %s %}
# RUN: %if avx512-bf16 %{ %python -m attn.testing.check --seed 14 --count 120 --dtype bf16 --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=16 kv-splits=2 parallel=false bf16-dot=true" | FileCheck %s %}

# Random variants of attn.attention (every mask kind, normaliser and
# modifier; odd lengths, Lq != Lkv, GQA ratios, dynamic dims) compiled with
# the CPU pipeline and compared with the float64 numpy reference.
# CHECK: numeric check: {{[0-9]+}} variants, 0 mismatches
