"""Compile attn modules for the CPU and call them on numpy arrays.

The module goes through ``attn-opt --attn-cpu-pipeline`` (out-params and C
wrappers on), ``mlir-translate --mlir-to-llvmir`` and ``clang -shared``; each
function is then called through its ``_mlir_ciface_`` wrapper with one
memref descriptor per argument, inputs first, outputs last.
"""

import ctypes
import os
import subprocess
import tempfile

import numpy as np

LLVM_BIN = os.environ.get("ATTN_LLVM_BIN", "/usr/lib/llvm-22/bin")
LLVM_LIB = os.environ.get("ATTN_LLVM_LIB", "/usr/lib/llvm-22/lib")


def build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("ATTN_BUILD_DIR",
                          os.path.join(here, "..", "..", "build"))


def attn_opt():
    return os.path.join(build_dir(), "bin", "attn-opt")


class CompileError(RuntimeError):
    pass


def _run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise CompileError("%s failed (%d):\n%s" %
                           (" ".join(cmd), p.returncode, p.stderr[-4000:]))
    return p.stdout


def compile_module(source, workdir=None, pipeline="attn-cpu-pipeline"):
    """`pipeline` is an attn-opt pipeline flag without the dashes, options
    included (e.g. 'attn-cpu-pipeline{reference=true}')."""
    """Compiles MLIR `source` to a shared library; returns a ctypes.CDLL."""
    workdir = workdir or tempfile.mkdtemp(prefix="attn-")
    src = os.path.join(workdir, "module.mlir")
    with open(src, "w") as f:
        f.write(source)
    llvm_dialect = _run([attn_opt(), src, "--" + pipeline])
    ll = os.path.join(workdir, "module.ll")
    with open(ll, "w") as f:
        f.write(_run([os.path.join(LLVM_BIN, "mlir-translate"),
                      "--mlir-to-llvmir"], input=llvm_dialect))
    so = os.path.join(workdir, "module.so")
    _run([os.path.join(LLVM_BIN, "clang"), "-O3", "-march=native",
          "-shared", "-fPIC",
          "-Wno-override-module", ll, "-o", so, "-lm",
          "-L" + LLVM_LIB, "-lmlir_c_runner_utils", "-lomp",
          "-Wl,-rpath," + LLVM_LIB])
    return ctypes.CDLL(so)


_DESC = {}


def _descriptor_type(rank):
    if rank not in _DESC:
        fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                  ("offset", ctypes.c_int64)]
        if rank:
            fields += [("sizes", ctypes.c_int64 * rank),
                       ("strides", ctypes.c_int64 * rank)]
        _DESC[rank] = type("MemRef%dD" % rank, (ctypes.Structure,),
                           {"_fields_": fields})
    return _DESC[rank]


def descriptor(arr):
    """A memref descriptor viewing the C-contiguous numpy array `arr`."""
    assert arr.flags["C_CONTIGUOUS"]
    d = _descriptor_type(arr.ndim)()
    d.allocated = d.aligned = arr.ctypes.data
    d.offset = 0
    for i in range(arr.ndim):
        d.sizes[i] = arr.shape[i]
        d.strides[i] = arr.strides[i] // arr.itemsize
    return d


# Storage dtypes of the element types the project uses. bf16 is kept as its
# 16 raw bits.
STORAGE = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16,
           "i1": np.bool_, "i32": np.int32, "i64": np.int64,
           "f64": np.float64}


def to_bf16_bits(x):
    """Rounds float values to bf16 (nearest even); returns the raw bits."""
    f = np.ascontiguousarray(x, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def to_storage(x, elem):
    if elem == "bf16":
        return to_bf16_bits(x)
    return np.ascontiguousarray(np.asarray(x).astype(STORAGE[elem]))


def from_storage(x, elem):
    if elem == "bf16":
        return from_bf16_bits(x).astype(np.float64)
    return np.asarray(x).astype(np.float64)


def call(lib, name, inputs, outputs):
    """Calls `_mlir_ciface_<name>` with storage arrays `inputs` and
    preallocated `outputs` (written in place)."""
    fn = getattr(lib, "_mlir_ciface_" + name)
    descs = [descriptor(a) for a in list(inputs) + list(outputs)]
    fn.argtypes = [ctypes.c_void_p] * len(descs)
    fn.restype = None
    fn(*[ctypes.addressof(d) for d in descs])
