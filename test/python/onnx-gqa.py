# RUN: rm -rf %t && mkdir -p %t && env ATTN_CACHE_DIR=%t/cache %python %s %t | FileCheck %s --implicit-check-not=BAD
# REQUIRES: onnx

"""attn-import-onnx on com.microsoft GroupQueryAttention (ONNX Runtime's
fused GQA with a KV cache): decode steps against a right-padded past cache
with per-sequence lengths, padded prompts without past, chunked prefill,
local windows, softcap, smooth softmax, an explicit scale and packed QKV.
Each imports to one attn.attention, compiles on the CPU path and matches
the float64 numpy model of the operator (output, present_key,
present_value; relative to the largest value, 1e-5). Bad nodes give an
error naming the node and write no output file. onnx-gqa-ort.py checks the
numpy model against ONNX Runtime itself."""

import os
import subprocess
import sys

import numpy as np
import onnx

from attn import onnx_models, runner

work = sys.argv[1]
tool = os.path.join(os.path.dirname(runner.__file__), "..", "..", "tools",
                    "attn-import-onnx", "attn-import-onnx")

for name, kw in onnx_models.GQA_CASES:
    model, feeds, reference = onnx_models.gqa(**kw)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    mlir = os.path.join(work, name + ".mlir")
    r = subprocess.run([sys.executable, tool, path, "-o", mlir],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = open(mlir).read()
    want = reference(feeds)
    lib = runner.compile_module(text)
    outs = [np.zeros(w.shape, np.float32) for w in want]
    runner.call(lib, model.graph.name, list(feeds.values()), outs)
    errs = [np.abs(o - w).max() / max(np.abs(w).max(), 1e-30)
            for o, w in zip(outs, want)]
    print("%s: %d attn.attention, %s" % (
        name, text.count("attn.attention ins("),
        " ".join("ok" if e <= 1e-5 else "BAD %.2g" % e for e in errs)))
# CHECK: decode: 1 attn.attention, ok ok ok
# CHECK: decode-mha: 1 attn.attention, ok ok ok
# CHECK: prompt-padded: 1 attn.attention, ok ok ok
# CHECK: chunked-prefill: 1 attn.attention, ok ok ok
# CHECK: window: 1 attn.attention, ok ok ok
# CHECK: prompt-window: 1 attn.attention, ok ok ok
# CHECK: softcap-smooth-scale: 1 attn.attention, ok ok ok
# CHECK: packed-qkv: 1 attn.attention, ok ok ok


def bad(label, model):
    path = os.path.join(work, label + ".onnx")
    out = os.path.join(work, label + ".mlir")
    onnx.save(model, path)
    r = subprocess.run([sys.executable, tool, path, "-o", out],
                       capture_output=True, text=True)
    print("%s: rc %d, output written %s: %s" % (
        label, r.returncode, os.path.exists(out), r.stderr.strip()))


def edited(kw, **changes):
    model, _, _ = onnx_models.gqa(**kw)
    node = model.graph.node[0]
    for key, value in changes.items():
        if key == "inputs":
            del node.input[:]
            node.input.extend(value)
        else:
            node.attribute.extend([onnx.helper.make_attribute(key, value)])
    return model


base = dict(B=2, S=1, Hq=4, Hkv=2, D=8, past=4)
bad("rotary", edited(base, do_rotary=1))
# CHECK: rotary: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): attribute do_rotary = 1 is not supported
bad("heads", onnx_models.gqa(B=2, S=1, Hq=4, Hkv=3, D=8, past=4)[0])
# CHECK: heads: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): num_heads (4) must be a positive multiple of kv_num_heads (3)
bad("no-seqlens", edited(base, inputs=["q", "k", "v", "pk", "pv"]))
# CHECK: no-seqlens: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): seqlens_k and total_sequence_length are required
bad("half-past", edited(base, inputs=["q", "k", "v", "pk", "", "seqlens_k",
                                      "total"]))
# CHECK: half-past: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): past_key and past_value must both be given or both be absent
bad("kv-shape", edited(base, inputs=["q", "q", "v", "pk", "pv", "seqlens_k",
                                     "total"]))
# CHECK: kv-shape: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): key must be f32 [2, 1, 16], got f32 [2, 1, 32]
bad("rope-input", edited(base, inputs=["q", "k", "v", "pk", "pv",
                                       "seqlens_k", "total", "q"]))
# CHECK: rope-input: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): input 'cos_cache' is not supported
bad("window-zero", edited(base, local_window_size=0))
# CHECK: window-zero: rc 1, output written False: attn-import-onnx: error: node 0 'gqa' (GroupQueryAttention): local_window_size must be -1 (none) or positive, got 0
