# RUN: %python -m attn.check --seed 0 --count 150 | FileCheck %s
# RUN: %python -m attn.check --seed 1 --count 40 --dtype bf16 | FileCheck %s
# RUN: %python -m attn.check --seed 2 --count 40 --dtype f16 | FileCheck %s

# Random variants of attn.attention (every mask kind, normaliser and
# modifier; odd lengths, Lq != Lkv, GQA ratios, dynamic dims) compiled with
# the CPU pipeline and compared with the float64 numpy reference.
# CHECK: numeric check: {{[0-9]+}} variants, 0 mismatches
