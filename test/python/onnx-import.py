# RUN: rm -rf %t && mkdir -p %t && env ATTN_CACHE_DIR=%t/cache %python %s %t | FileCheck %s
# REQUIRES: onnx

"""attn-import-onnx on BERT-style and GPT-2-style layers built with
onnx.helper (random weights): the attention of each raises, and the model
compiled with and without --attn-raise matches the float64 numpy model of
the layer (relative to the largest output, 1e-4). Bad input gives an error
naming the node and writes no output file. The fused com.microsoft
MultiHeadAttention is imported decomposed and raised too."""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from attn import onnx_models, runner

work = sys.argv[1]
tool = os.path.join(os.path.dirname(runner.__file__), "..", "..", "tools",
                    "attn-import-onnx", "attn-import-onnx")


def importer(path, out):
    return subprocess.run([sys.executable, tool, path, "-o", out],
                          capture_output=True, text=True)


for kind in ("bert", "gpt2", "mha", "mha-causal"):
    model, feeds, reference = onnx_models.layer(kind, 2, 16, 2, 8)
    path = os.path.join(work, kind + ".onnx")
    onnx.save(model, path)
    mlir = os.path.join(work, kind + ".mlir")
    r = importer(path, mlir)
    assert r.returncode == 0, r.stderr
    text = open(mlir).read()
    raised = subprocess.run([runner.attn_opt(), mlir, "--attn-raise"],
                            capture_output=True, text=True, check=True).stdout
    ref = reference(*[v.astype(np.float64) for v in feeds.values()])
    errs = []
    for src in (text, raised):
        lib = runner.compile_module(src)
        out = np.zeros(ref.shape, np.float32)
        runner.call(lib, model.graph.name, list(feeds.values()), [out])
        errs.append(np.abs(out - ref).max() / np.abs(ref).max())
    print("%s: raised %d, unraised %s, raised %s" % (
        kind, raised.count("attn.attention ins("),
        *["ok" if e <= 1e-4 else "BAD %g" % e for e in errs]))
# CHECK: bert: raised 1, unraised ok, raised ok
# CHECK: gpt2: raised 1, unraised ok, raised ok
# CHECK: mha: raised 1, unraised ok, raised ok
# CHECK: mha-causal: raised 1, unraised ok, raised ok


def ops_model():
    """Concat, Slice, Gather, Expand, Gelu, Cast against numpy."""
    from onnx import numpy_helper
    rng = np.random.default_rng(3)
    table = rng.standard_normal((10, 4)).astype(np.float32)
    consts = {"table": table, "ids": np.array([[1, 9, -1]], np.int64),
              "st": np.array([1], np.int64), "en": np.array([3], np.int64),
              "ax": np.array([1], np.int64),
              "shape": np.array([2, 3, 4], np.int64)}
    inits = [numpy_helper.from_array(v, n) for n, v in consts.items()]
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["emb"], name="g"),
        helper.make_node("Expand", ["emb", "shape"], ["ex"], name="e"),
        helper.make_node("Slice", ["x", "st", "en", "ax"], ["sl"], name="s"),
        helper.make_node("Concat", ["ex", "sl"], ["cat"], axis=1, name="c"),
        helper.make_node("Gelu", ["cat"], ["y"], name="gelu"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 4])
    m = helper.make_model(helper.make_graph(nodes, "ops", [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    xin = rng.standard_normal((2, 4, 4)).astype(np.float32)
    emb = np.broadcast_to(table[[1, 9, -1]][None], (2, 3, 4))
    cat = np.concatenate([emb, xin[:, 1:3]], 1).astype(np.float64)
    erf = np.vectorize(__import__("math").erf)
    return m, xin, 0.5 * cat * (1 + erf(cat / np.sqrt(2.0)))


m, xin, ref = ops_model()
path = os.path.join(work, "ops.onnx")
onnx.save(m, path)
mlir = os.path.join(work, "ops.mlir")
r = importer(path, mlir)
assert r.returncode == 0, r.stderr
lib = runner.compile_module(open(mlir).read())
out = np.zeros(ref.shape, np.float32)
runner.call(lib, "ops", [xin], [out])
print("ops: max rel error %s" % ("ok" if np.abs(out - ref).max() /
                                 np.abs(ref).max() <= 1e-5 else "BAD"))
# CHECK: ops: max rel error ok


def bad(label, model_or_bytes):
    path = os.path.join(work, label + ".onnx")
    out = os.path.join(work, label + ".mlir")
    if isinstance(model_or_bytes, bytes):
        open(path, "wb").write(model_or_bytes)
    else:
        onnx.save(model_or_bytes, path)
    r = importer(path, out)
    print("%s: rc %d, output written %s: %s" % (
        label, r.returncode, os.path.exists(out), r.stderr.strip()))


def tiny(nodes, opset=17, out_shape=(2, 3)):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


bad("garbage", b"\x08\x07this is not a protobuf\xff\xff")
# CHECK: garbage: rc 1, output written False: attn-import-onnx: error: cannot parse '{{.*}}garbage.onnx' as an ONNX model
bad("unsupported", tiny([helper.make_node("Relu", ["x"], ["h"], name="r0"),
                         helper.make_node("Gelu", ["h"], ["y"], name="act")]))
# CHECK: unsupported: rc 1, output written False: attn-import-onnx: error: node 0 'r0' (Relu): operator 'Relu' is not supported
bad("opset", tiny([helper.make_node("Tanh", ["x"], ["y"], name="t")],
                  opset=9))
# CHECK: opset: rc 1, output written False: attn-import-onnx: error: opset 9 of the default domain is not supported (13 to 21)
bad("shapes", tiny([helper.make_node("Transpose", ["x"], ["y"], name="tr",
                                     perm=[1, 0])], out_shape=(2, 3)))
# CHECK: shapes: rc 1, output written False: attn-import-onnx: error: node 0 'tr' (Transpose): output 'y' is declared tensor<2x3xf32> but computes tensor<3x2xf32>
