# RUN: rm -rf %t && mkdir -p %t && env ATTN_CACHE_DIR=%t/cache %python %s %t | FileCheck %s --implicit-check-not=BAD
# REQUIRES: onnx

"""attn-import-onnx on com.microsoft MultiHeadAttention with the inputs
real exports give it: a packed bias, key_padding_mask as lengths, [B, T]
and [B, S, T] masks, attention_bias, past_key/past_value with present
outputs, unidirectional (with and without a past), mask_filter_value,
scale, pre-split [B, N, L, H] key/value, a value head dim unlike the
key's, and packed QKV [B, S, N, 3, H] / KV [B, L, N, 2, H] (ONNX Runtime's
GPU layouts; its CPU kernels reject them, so onnx-mha-ort.py skips them). Each imports decomposed, `--attn-raise` makes it one
attn.attention, and both the unraised and the raised module match the
float64 numpy model of the operator (every output; relative to the
largest value, 1e-5). Bad nodes give an error naming the node and write
no output file. onnx-mha-ort.py checks the numpy model against ONNX
Runtime itself."""

import os
import re
import subprocess
import sys

import numpy as np
import onnx

from attn import onnx_models, runner

work = sys.argv[1]
tool = os.path.join(os.path.dirname(runner.__file__), "..", "..", "tools",
                    "attn-import-onnx", "attn-import-onnx")


def run(text, model, feeds, want):
    lib = runner.compile_module(text)
    outs = [np.zeros(w.shape, np.float32) for w in want]
    runner.call(lib, model.graph.name, list(feeds.values()), outs)
    errs = [np.abs(o - w).max() / max(np.abs(w).max(), 1e-30)
            for o, w in zip(outs, want)]
    return " ".join("ok" if e <= 1e-5 else "BAD %.2g" % e for e in errs)


for name, kw in onnx_models.MHA_CASES + onnx_models.MHA_PACKED_CASES:
    model, feeds, reference = onnx_models.mha_cache(**kw)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    mlir = os.path.join(work, name + ".mlir")
    r = subprocess.run([sys.executable, tool, path, "-o", mlir],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = open(mlir).read()
    raised = subprocess.run([runner.attn_opt(), mlir, "--attn-raise"],
                            capture_output=True, text=True,
                            check=True).stdout
    want = reference(feeds)
    masks = re.findall(r"masks = \[([^]]*)\]", raised)
    print("%s: raised %d%s, mask operand %s, unraised %s, raised %s" % (
        name, raised.count("attn.attention ins("),
        " " + masks[0] if masks else "",
        "yes" if re.search(r"attn.attention .*mask\(", raised) else "no",
        run(text, model, feeds, want), run(raised, model, feeds, want)))
# CHECK: bias: raised 1, mask operand no, unraised ok, raised ok
# CHECK: cross-bnsh: raised 1, mask operand no, unraised ok, raised ok
# CHECK: cross-dv: raised 1, mask operand yes, unraised ok, raised ok
# CHECK: decode-past: raised 1, mask operand yes, unraised ok ok ok, raised ok ok ok
# CHECK: prefill-causal: raised 1 #attn.causal, mask operand no, unraised ok, raised ok
# CHECK: chunk-causal-past: raised 1 #attn.causal, mask operand no, unraised ok ok ok, raised ok ok ok
# CHECK: causal-padding-bias: raised 1, mask operand yes, unraised ok ok ok, raised ok ok ok
# CHECK: mask3d-scale: raised 1, mask operand yes, unraised ok, raised ok
# CHECK: all-padding-row: raised 1, mask operand yes, unraised ok ok ok, raised ok ok ok
# CHECK: packed-qkv: raised 1, mask operand no, unraised ok, raised ok
# CHECK: packed-qkv-bias-scale: raised 1, mask operand no, unraised ok, raised ok
# CHECK: packed-kv-bias: raised 1, mask operand no, unraised ok, raised ok


def bad(label, model):
    path = os.path.join(work, label + ".onnx")
    out = os.path.join(work, label + ".mlir")
    onnx.save(model, path)
    r = subprocess.run([sys.executable, tool, path, "-o", out],
                       capture_output=True, text=True)
    print("%s: rc %d, output written %s: %s" % (
        label, r.returncode, os.path.exists(out), r.stderr.strip()))


def edited(kw, inputs=None, outputs=None, **attrs):
    model, _, _ = onnx_models.mha_cache(**kw)
    node = model.graph.node[0]
    if inputs is not None:
        del node.input[:]
        node.input.extend(inputs)
    if outputs is not None:
        del node.output[:]
        node.output.extend(outputs)
    for key, value in attrs.items():
        node.attribute.extend([onnx.helper.make_attribute(key, value)])
    return model


base = dict(B=2, S=1, N=2, H=8, past=4, bias=True)
bad("cross-causal", onnx_models.mha_cache(B=1, S=2, N=2, H=8, L=5,
                                          unidirectional=1)[0])
# CHECK: cross-causal: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): unidirectional needs self-attention (key length 5 = query length 2)
bad("bnsh-past", edited(dict(B=2, S=1, N=2, H=8, L=4, bnsh=True),
                        inputs=["q", "k", "v", "", "", "", "k", "v"]))
# CHECK: bnsh-past: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): past_key/past_value need key/value of [B, L, E]
bad("half-past", edited(base, inputs=["q", "k", "v", "bias", "", "", "pk"]))
# CHECK: half-past: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): past_key and past_value must both be given or both be absent
bad("bias-shape", edited(base, inputs=["q", "k", "v", "q"]))
# CHECK: bias-shape: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): bias must be f32 [48], got f32 [2, 1, 16]
bad("packed", edited(base, inputs=["q"]))
# CHECK: packed: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): key and value are required (or packed QKV in the query, or packed KV [B, L, N, 2, H] in the key)
qkv = dict(B=2, S=5, N=2, H=8, packed="qkv")
bad("packed-qkv-with-key", edited(qkv, inputs=["q", "q"]))
# CHECK: packed-qkv-with-key: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): packed QKV in the query takes no key or value
heads4 = onnx_models.mha_cache(**qkv)[0]
for a in heads4.graph.node[0].attribute:
    if a.name == "num_heads":
        a.i = 4
bad("packed-qkv-heads", heads4)
# CHECK: packed-qkv-heads: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): packed QKV must be f32 [B, S, 4, 3, H], got f32 [2, 5, 2, 3, 8]
bad("packed-qkv-causal", edited(qkv, unidirectional=1))
# CHECK: packed-qkv-causal: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): unidirectional is not supported with packed QKV/KV
bad("packed-kv-mask", onnx_models.mha_cache(B=2, S=3, N=2, H=8, L=9,
                                            packed="kv", padding="2d")[0])
# CHECK: packed-kv-mask: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): input 'key_padding_mask' is not supported with packed QKV/KV
bad("padding-type", edited(dict(B=2, S=1, N=2, H=8),
                           inputs=["q", "k", "v", "", "q"]))
# CHECK: padding-type: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): key_padding_mask must be i32 or i64, got f32
bad("past-length", edited(base, inputs=["q", "k", "v", "bias", "", "",
                                        "pk", "pv", "q"]))
# CHECK: past-length: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): input 'past_sequence_length' is not supported
bad("qk-output", edited(base, outputs=["o", "present_key", "present_value",
                                       "qk"]))
# CHECK: qk-output: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): output 'qk' is not supported
bad("present-shape", edited(dict(B=2, S=1, N=2, H=8, Hv=4, past=4),
                            outputs=["o", "present_value", "present_key"]))
# CHECK: present-shape: rc 1, output written False: attn-import-onnx: error: node 0 'mha' (MultiHeadAttention): output 1 is declared [2, 2, 5, 4], not [2, 2, 5, 8]
