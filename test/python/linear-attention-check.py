# Random variants of attn.linear_attention (GQA, Dk != Dv, odd lengths and
# L = 0 / 1, every decay kind and feature map, normalisation, segment ids
# and cumulative lengths, initial and final states, dynamic dims, f32 / f16
# / bf16) compared with the float64 recurrence of attn.linear_reference.
# Reference decomposition (the parallel form):
# RUN: %python -m attn.testing.linear_check --seed 0 --count 40 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 1 --count 20 --dtype bf16 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s

# CHECK: linear attention check: {{[0-9]+}} variants, 0 mismatches
