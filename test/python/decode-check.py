# The decode path of -attn-tile (tiles of one GQA group, (head, row) rows,
# split-KV) against the float64 numpy reference: a fixed grid, then random
# decode-shaped variants (every mask, region, length, normaliser).
# RUN: %python %s | FileCheck %s
# RUN: %python -m attn.testing.check --decode --seed 1 --count 60 --pipeline "attn-cpu-pipeline=num-threads=8" | FileCheck %s --check-prefix=RANDOM
# RUN: %python -m attn.testing.check --decode --seed 2 --count 60 --pipeline "attn-cpu-pipeline=num-threads=16 kv-tile=8" | FileCheck %s --check-prefix=RANDOM
# RUN: %python -m attn.testing.check --decode --seed 3 --count 40 --dtype bf16 --pipeline "attn-cpu-pipeline=kv-splits=3 kv-tile=16" | FileCheck %s --check-prefix=RANDOM
# RUN: %python -m attn.testing.check --decode --seed 4 --count 40 --pipeline "attn-cpu-pipeline=kv-tile=5 parallel=false" | FileCheck %s --check-prefix=RANDOM
# CHECK: numeric check: 36 variants, 0 mismatches
# CHECK: numeric check: 36 variants, 0 mismatches
# CHECK: numeric check: 12 variants, 0 mismatches
# CHECK: numeric check: 12 variants, 0 mismatches
# CHECK: numeric check: 12 variants, 0 mismatches
# RANDOM: numeric check: {{[0-9]+}} variants, 0 mismatches

import sys

from attn.testing import check

# Lq in {1, 3, 16}, GQA groups g in {1, 4, 8}, odd Lkv, f32 and bf16 caches;
# causal (bottom-right aligned, so query-row dependent for Lq > 1) with
# per-sequence key lengths on half of them, sinks and an LSE on others.
variants = []
for lq in (1, 3, 16):
    for g in (1, 4, 8):
        for dtype in ("f32", "bf16"):
            for causal in (False, True):
                variants.append(dict(
                    B=2, Hkv=2, Hq=2 * g, Lq=lq, Lkv=1001, D=32, Dv=32,
                    dtype=dtype, masks=[("causal",)] if causal else [],
                    kv_lengths=causal, q_lengths=False, segments=False,
                    normalizer="softmax", sinks=not causal, lse=causal))
failures = 0
# Automatic splits for 16 threads (the 4 groups leave threads idle), then
# no split for 2 threads.
for pipeline in ("attn-cpu-pipeline=num-threads=16",
                 "attn-cpu-pipeline=num-threads=2"):
    failures += check.run(0, len(variants), pipeline, variants=variants)

# The vector width of the tile body (vector-bits): 16, 8 and 4 f32 lanes,
# with value rows that are whole vectors (Dv = 32), and ones that make the
# tile narrow its vectors (Dv = 8, 12, 20: not a multiple of 16 or 8 lanes)
# with D tails (D = 5, 13) read with padding.
widths = []
for dv, d in ((32, 32), (8, 5), (12, 13), (20, 20)):
    for lq, dtype in ((1, "f32"), (5, "bf16"), (16, "f32")):
        widths.append(dict(
            B=2, Hkv=2, Hq=8, Lq=lq, Lkv=301, D=d, Dv=dv, dtype=dtype,
            masks=[("causal",)] if lq == 5 else [], kv_lengths=lq == 5,
            q_lengths=False, segments=False, normalizer="softmax",
            sinks=lq == 1, lse=lq != 1))
for bits in (512, 256, 128):
    failures += check.run(
        0, len(widths), "attn-cpu-pipeline=num-threads=2 vector-bits=%d" % bits,
        variants=widths)
sys.exit(1 if failures else 0)
