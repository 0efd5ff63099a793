# RUN: rm -rf %t && mkdir -p %t && env ATTN_CACHE_DIR=%t/cache %python %s %t | FileCheck %s --implicit-check-not=BAD
# REQUIRES: onnx, onnxruntime

"""ONNX Runtime on the same GroupQueryAttention files as onnx-gqa.py: its
outputs (output, present_key, present_value) equal the numpy model of the
operator that onnx-gqa.py checks attn against, and attn's compiled import
of the file equals ONNX Runtime's answer (relative to the largest value,
1e-5)."""

import os
import sys

import numpy as np
import onnx

from attn import onnx_import, onnx_models, ort, runner

work = sys.argv[1]
NAMES = ("o", "present_key", "present_value")
for name, kw in onnx_models.GQA_CASES:
    model, feeds, reference = onnx_models.gqa(**kw)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    want = reference(feeds)
    theirs, _ = ort.run(path, feeds)
    lib = runner.compile_module(onnx_import.import_file(path))
    ours = [np.zeros(w.shape, np.float32) for w in want]
    runner.call(lib, model.graph.name, list(feeds.values()), ours)

    def verdict(a, b):
        e = np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)
        return "ok" if e <= 1e-5 else "BAD %.2g" % e
    print("%s: ort vs numpy %s; attn vs ort %s" % (
        name, " ".join(verdict(theirs[n], w) for n, w in zip(NAMES, want)),
        " ".join(verdict(o, theirs[n]) for n, o in zip(NAMES, ours))))
# CHECK: decode: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: decode-mha: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: prompt-padded: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: chunked-prefill: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: window: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: prompt-window: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: softcap-smooth-scale: ort vs numpy ok ok ok; attn vs ort ok ok ok
# CHECK: packed-qkv: ort vs numpy ok ok ok; attn vs ort ok ok ok
