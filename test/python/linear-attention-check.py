# Random variants of attn.linear_attention (GQA, Dk != Dv, odd lengths and
# L = 0 / 1, every decay kind and feature map, user feature maps traced
# into q_mod / k_mod (x*x, exp, 1 + x + x*x/2, captured tables), segment ids
# and cumulative lengths, initial and final states, dynamic dims, f32 / f16
# / bf16) compared with the float64 recurrence of attn.linear_reference,
# in every form.
# Reference decomposition (the parallel form):
# RUN: %python -m attn.testing.linear_check --seed 0 --count 40 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 1 --count 20 --dtype bf16 --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# Chunked form: chunk sizes that divide no length, single-token chunks,
# sequential; packed sequences and initial states on their own.
# RUN: %python -m attn.testing.linear_check --seed 2 --count 40 --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=5" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 3 --count 25 --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=1 parallel=false" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 4 --count 20 --require segments --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=7" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 5 --count 20 --require initial_state --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=16" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 6 --count 20 --dtype f16 --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=3" | FileCheck %s
# Recurrent form, and the form picked from the shape.
# RUN: %python -m attn.testing.linear_check --seed 7 --count 30 --pipeline "attn-cpu-pipeline=linear-form=recurrent" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 8 --count 20 --require segments --pipeline "attn-cpu-pipeline=linear-form=recurrent" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 9 --count 30 | FileCheck %s
# User feature maps in f32 (1e-5) in every form.
# RUN: %python -m attn.testing.linear_check --seed 10 --count 20 --dtype f32 --require q_mod --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 11 --count 20 --dtype f32 --require k_mod --pipeline "attn-cpu-pipeline=linear-form=chunked linear-chunk=6" | FileCheck %s
# RUN: %python -m attn.testing.linear_check --seed 12 --count 20 --dtype f32 --require q_mod --pipeline "attn-cpu-pipeline=linear-form=recurrent" | FileCheck %s

# CHECK: linear attention check: {{[0-9]+}} variants, 0 mismatches
