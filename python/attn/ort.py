"""ONNX Runtime (CPU) as a reference and an anchor: runs an .onnx file on
numpy inputs through onnxruntime-node (npm), the same package the CPU
anchors use (/work/shared/anchors/cpu).

    outs, best_ms = attn.ort.run("model.onnx", {"x": array}, reps=3)

The package is looked up (and installed with ``install()``) under
$ATTN_ANCHOR_CACHE or ~/.cache/attn-anchors; ``available()`` says whether
it is there, so tests can skip without it."""

import json
import os
import subprocess
import tempfile

import numpy as np

VERSION = "1.30.0"
_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float16): "float16",
           np.dtype(np.int32): "int32", np.dtype(np.int64): "int64"}
_NUMPY = {"float32": np.float32, "float16": np.float16, "int32": np.int32,
          "int64": np.int64}


def cache_dir():
    return os.environ.get("ATTN_ANCHOR_CACHE",
                          os.path.expanduser("~/.cache/attn-anchors"))


def available():
    return os.path.isdir(os.path.join(cache_dir(), "node_modules",
                                      "onnxruntime-node"))


def install():
    """npm install onnxruntime-node into the cache (once)."""
    if not available():
        os.makedirs(cache_dir(), exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--ignore-scripts",
                        "--no-audit", "--no-fund",
                        "onnxruntime-node@" + VERSION],
                       cwd=cache_dir(), check=True)


def run(model_path, feeds, reps=0, threads=2):
    """Runs the model on `feeds` ({input name: numpy array}); returns
    ({output name: numpy array}, best time of `reps` timed runs in ms or
    None)."""
    with tempfile.TemporaryDirectory(prefix="attn-ort-") as work:
        specs = []
        for name, a in feeds.items():
            a = np.ascontiguousarray(a)
            if a.dtype not in _DTYPES:
                raise ValueError("input %r: unsupported dtype %s" %
                                 (name, a.dtype))
            f = os.path.join(work, "in%d.bin" % len(specs))
            a.astype(a.dtype.newbyteorder("<")).tofile(f)
            specs.append("%s=%s:%s:%s" % (name, f, _DTYPES[a.dtype],
                                         "x".join(map(str, a.shape))))
        p = subprocess.run(
            ["node", os.path.join(os.path.dirname(__file__), "ort_run.js"),
             model_path, work, str(reps), str(threads)] + specs,
            capture_output=True, text=True,
            env=dict(os.environ,
                     NODE_PATH=os.path.join(cache_dir(), "node_modules")))
        if p.returncode != 0:
            raise RuntimeError("onnxruntime: " + p.stderr.strip()[-2000:])
        meta = json.loads(p.stdout.strip().splitlines()[-1])
        outs = {}
        for name, m in meta["outputs"].items():
            outs[name] = np.fromfile(
                os.path.join(work, name + ".bin"),
                _NUMPY[m["type"]]).reshape(m["dims"])
        return outs, meta["best_ms"]
