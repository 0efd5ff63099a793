#!/usr/bin/env python3
"""Compiles an ONNX transformer layer with attn (attn-import-onnx,
--attn-raise, --attn-cpu-pipeline) and runs it and ONNX Runtime on the same
.onnx file and the same inputs: prints the relative difference of the
outputs and the best time of each over REPS runs.

  PYTHONPATH=python python3 bench/onnx/compare.py bert|gpt2 B L H D [REPS]

ONNX Runtime comes from npm (onnxruntime-node, installed by attn.ort as the
CPU anchors do under $ATTN_ANCHOR_CACHE or ~/.cache/attn-anchors)."""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

from attn import onnx_import, onnx_models, ort, runner

kind, B, L, H, D = sys.argv[1], *map(int, sys.argv[2:6])
reps = int(sys.argv[6]) if len(sys.argv) > 6 else 3
ort.install()

work = tempfile.mkdtemp(prefix="onnx-compare-")
model, feeds, _ = onnx_models.layer(kind, B, L, H, D)
path = os.path.join(work, "model.onnx")
onnx.save(model, path)

# attn: import, raise, compile.
text = onnx_import.import_file(path)
raised = subprocess.run([runner.attn_opt(), "-", "--attn-raise"], input=text,
                        capture_output=True, text=True, check=True).stdout
count = raised.count("attn.attention ins(")
lib = runner.compile_module(raised)
out = np.zeros((B, L, H * D), np.float32)
ins = [np.ascontiguousarray(v) for v in feeds.values()]
runner.call(lib, model.graph.name, ins, [out])
best = 1e30
for _ in range(reps):
    t0 = time.perf_counter()
    runner.call(lib, model.graph.name, ins, [out])
    best = min(best, time.perf_counter() - t0)

# ONNX Runtime on the same file and inputs.
outs, ort_ms = ort.run(path, feeds, reps=reps)
theirs = outs[model.graph.output[0].name].reshape(out.shape)
rel = np.abs(out - theirs).max() / np.abs(theirs).max()
print("%s B=%d L=%d H=%d D=%d: raised %d, max rel diff %.2e, attn %.3f ms, "
      "ort %.3f ms" % (kind, B, L, H, D, count, rel, best * 1e3, ort_ms))
