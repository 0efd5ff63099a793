# attn.linear_attention on a long sequence (L = 2000, not a multiple of the
# chunk): the form picked from the shape (chunked, 64 or 32 tokens per
# chunk) and the recurrent form against the float64 recurrence, every decay
# kind, with and without the normaliser, initial and final states; f32
# within 1e-5 relative (output and states).
# RUN: %python %s | FileCheck %s

import numpy as np

from attn import runner
from attn.testing import linear_check as lc
from attn.testing.check import compare

base = {"B": 1, "Hkv": 2, "Hq": 4, "L": 2000, "Dk": 32, "Dv": 48,
        "dtype": "f32", "causal": True, "feature": "elu1",
        "initial_state": True, "final_state": True}
variants = [dict(base, decay=d, normalize=n)
            for d in (None, "token", "channel") for n in (False, True)]
for pipeline in ("attn-cpu-pipeline",
                 "attn-cpu-pipeline=linear-form=recurrent"):
    lib = runner.compile_module("\n".join(
        lc.function("v%d" % i, v) for i, v in enumerate(variants)),
        pipeline=pipeline)
    rng = np.random.default_rng(1)
    for i, v in enumerate(variants):
        x = lc.random_inputs(v, rng)
        args = lc.arguments(v)
        st = [runner.to_storage(x[n], e) for n, _, e, _ in args]
        ref = lc.reference_for(v, {n: runner.from_storage(s, e)
                                   for (n, _, e, _), s in zip(args, st)})
        outs = [np.zeros(s, runner.STORAGE[e])
                for _, s, e, _ in lc.results(v)]
        runner.call(lib, "v%d" % i, st, outs)
        ok = all(compare(o.astype(np.float64), r, 1e-5)[0]
                 for o, r in zip(outs, ref))
        print("%s decay=%s normalize=%s: %s" % (
            pipeline, v["decay"], v["normalize"], "ok" if ok else "FAIL"))
# CHECK-COUNT-12: : ok
# CHECK-NOT: FAIL
