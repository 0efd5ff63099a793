# Random variants with a mask_mod region (among them causal, window,
# chunked, prefix-LM, dilated and a 2-D neighbourhood written as regions,
# python/attn/ir.py MASK_MOD_KINDS), compiled with the CPU pipeline and
# compared with the float64 numpy reference: the key bounds and the tile
# classification of the mask analysis (Utils/MaskAnalysis.h) on tiles that
# divide no length, single-row tiles and micro-kernel tiles.
# RUN: %python -m attn.testing.check --seed 41 --count 40 --require mask_mod --pipeline "attn-cpu-pipeline=q-tile=3 kv-tile=5" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 42 --count 30 --require mask_mod --pipeline "attn-cpu-pipeline=q-tile=1 kv-tile=2" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 43 --count 30 --require mask_mod --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 44 --count 30 --require mask_mod --pipeline "attn-cpu-pipeline=kv-splits=2 q-tile=4 kv-tile=3" | FileCheck %s
# #attn.neighborhood terms (1-3 axes, dilation, causal axes; the numpy
# reference transcribes NATTEN's window start): the reference decomposition,
# then the tiled path whose key range is the hull of the window rows and
# whose tiles between them are skipped.
# RUN: %python -m attn.testing.check --seed 52 --count 30 --require neighborhood --pipeline attn-cpu-pipeline=reference=true | FileCheck %s
# RUN: %python -m attn.testing.check --seed 53 --count 30 --require neighborhood --pipeline "attn-cpu-pipeline=q-tile=1 kv-tile=1" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 54 --count 30 --require neighborhood --pipeline "attn-cpu-pipeline=q-tile=32 kv-tile=8" | FileCheck %s
# RUN: %python -m attn.testing.check --seed 57 --count 30 --require neighborhood --pipeline "attn-cpu-pipeline=q-tile=2 kv-tile=7" | FileCheck %s
# CHECK: numeric check: {{[0-9]+}} variants, 0 mismatches
