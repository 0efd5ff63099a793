# RUN: rm -rf %t && mkdir -p %t && env ATTN_CACHE_DIR=%t/cache %python %s %t | FileCheck %s --implicit-check-not=BAD
# REQUIRES: onnx, onnxruntime

"""ONNX Runtime on the same MultiHeadAttention files as onnx-mha.py: its
outputs (output and, with a past, present_key and present_value) equal
the numpy model of the operator that onnx-mha.py checks attn against, and
attn's compiled import of the file, raised to attn.attention, equals ONNX
Runtime's answer (relative to the largest value, 1e-5)."""

import os
import subprocess
import sys

import numpy as np
import onnx

from attn import onnx_import, onnx_models, ort, runner

work = sys.argv[1]
for name, kw in onnx_models.MHA_CASES:
    model, feeds, reference = onnx_models.mha_cache(**kw)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    names = [o.name for o in model.graph.output]
    want = reference(feeds)
    theirs, _ = ort.run(path, feeds)
    raised = subprocess.run([runner.attn_opt(), "--attn-raise"],
                            input=onnx_import.import_file(path),
                            capture_output=True, text=True,
                            check=True).stdout
    lib = runner.compile_module(raised)
    ours = [np.zeros(w.shape, np.float32) for w in want]
    runner.call(lib, model.graph.name, list(feeds.values()), ours)

    def verdict(a, b):
        e = np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)
        return "ok" if e <= 1e-5 else "BAD %.2g" % e
    print("%s: ort vs numpy %s; attn vs ort %s" % (
        name, " ".join(verdict(theirs[n], w) for n, w in zip(names, want)),
        " ".join(verdict(o, theirs[n]) for n, o in zip(names, ours))))
# CHECK: bias: ort vs numpy ok; attn vs ort ok
# CHECK: cross-bnsh: ort vs numpy ok; attn vs ort ok
# CHECK: cross-dv: ort vs numpy ok; attn vs ort ok
# CHECK: decode-past: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: prefill-causal: ort vs numpy ok; attn vs ort ok
# CHECK: chunk-causal-past: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: causal-padding-bias: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: mask3d-scale: ort vs numpy ok; attn vs ort ok
# CHECK: all-padding-row: ort vs numpy ok ok ok; attn vs ort ok ok ok
