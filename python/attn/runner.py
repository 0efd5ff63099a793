"""Compile attn modules for the CPU and call them on numpy arrays.

The module goes through ``attn-opt --attn-cpu-pipeline`` (out-params and C
wrappers on), ``mlir-translate --mlir-to-llvmir`` and ``clang -shared``; each
function is then called through its ``_mlir_ciface_`` wrapper with one
memref descriptor per argument, inputs first, outputs last.
"""

import collections
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

LLVM_BIN = os.environ.get("ATTN_LLVM_BIN", "/usr/lib/llvm-22/bin")
LLVM_LIB = os.environ.get("ATTN_LLVM_LIB", "/usr/lib/llvm-22/lib")
# Seconds any one tool may run before the compile is abandoned.
TIMEOUT = float(os.environ.get("ATTN_COMPILE_TIMEOUT", "600"))

# How many times each tool ran in this process (the cache test reads it).
STATS = collections.Counter()


def build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("ATTN_BUILD_DIR",
                          os.path.join(here, "..", "..", "build"))


def attn_opt():
    return os.path.join(build_dir(), "bin", "attn-opt")


def cache_dir():
    """$ATTN_CACHE_DIR, or ~/.cache/attn."""
    return os.environ.get("ATTN_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "attn")


_DIAG = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): "
                   r"(?P<sev>error|warning|note|remark): (?P<msg>.*)$")


class CompileError(RuntimeError):
    """A tool failed. ``diagnostics`` lists (line, column, severity,
    message, source line) of every located diagnostic of attn-opt, lines
    of the MLIR it was given."""

    def __init__(self, message, diagnostics=()):
        super().__init__(message)
        self.diagnostics = list(diagnostics)


def format_diagnostics(stderr, source, name="module.mlir"):
    """Rewrites attn-opt's located diagnostics on `source` with the
    offending source line and a caret under the column."""
    lines = source.splitlines()
    raw = stderr.splitlines()
    out, diags = [], []
    for n, line in enumerate(raw):
        m = _DIAG.match(line)
        if not m:
            out.append(line)
            continue
        ln, col = int(m.group("line")), int(m.group("col"))
        text = lines[ln - 1] if 0 < ln <= len(lines) else ""
        diags.append((ln, col, m.group("sev"), m.group("msg"), text))
        out.append("%s:%d:%d: %s: %s" % (name, ln, col, m.group("sev"),
                                         m.group("msg")))
        # attn-opt usually quotes the line itself; add it where it did not.
        if text and (n + 1 >= len(raw) or raw[n + 1] != text):
            out.append(text)
            out.append(" " * (col - 1) + "^")
    return "\n".join(out), diags


def _run(cmd, source=None, name="module.mlir", **kw):
    tool = os.path.basename(cmd[0])
    STATS[tool] += 1
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=TIMEOUT, **kw)
    except subprocess.TimeoutExpired:
        raise CompileError("%s did not finish within %g s (ATTN_COMPILE_"
                           "TIMEOUT): %s" % (tool, TIMEOUT, " ".join(cmd)))
    except OSError as e:
        raise CompileError("cannot run %s: %s" % (cmd[0], e))
    if p.returncode != 0:
        stderr = p.stderr[-8000:]
        diags = []
        if source is not None:
            stderr, diags = format_diagnostics(stderr, source, name)
        why = ("exit status %d" % p.returncode if p.returncode > 0 else
               "killed by signal %d" % -p.returncode)
        raise CompileError("%s failed (%s) on %s:\n%s" %
                           (tool, why, name, stderr), diags)
    return p.stdout


def _translate_and_link(llvm_dialect, workdir):
    ll = os.path.join(workdir, "module.ll")
    with open(ll, "w") as f:
        f.write(_run([os.path.join(LLVM_BIN, "mlir-translate"),
                      "--mlir-to-llvmir"], input=llvm_dialect))
    so = os.path.join(workdir, "module.so")
    _run([os.path.join(LLVM_BIN, "clang")] + CLANG_FLAGS + [ll, "-o", so] +
         LINK_FLAGS)
    return so


CLANG_FLAGS = ["-O3", "-march=native", "-shared", "-fPIC",
               "-Wno-override-module"]
LINK_FLAGS = ["-lm", "-L" + LLVM_LIB, "-lmlir_c_runner_utils", "-lomp",
              "-Wl,-rpath," + LLVM_LIB]


def compile_module(source, workdir=None, pipeline="attn-cpu-pipeline",
                   name="module.mlir"):
    """Compiles MLIR `source` to a shared library; returns a ctypes.CDLL.

    `pipeline` is an attn-opt pipeline flag without the dashes, options
    included (e.g. 'attn-cpu-pipeline=reference=true parallel=false')."""
    return ctypes.CDLL(compile_to_file(source, workdir, pipeline, name))


def compile_to_file(source, workdir=None, pipeline="attn-cpu-pipeline",
                    name="module.mlir"):
    """Like compile_module; returns the path of the shared library."""
    workdir = workdir or tempfile.mkdtemp(prefix="attn-")
    src = os.path.join(workdir, "module.mlir")
    with open(src, "w") as f:
        f.write(source)
    llvm_dialect = _run([attn_opt(), src, "--" + pipeline,
                         "--mlir-print-op-on-diagnostic=false"],
                        source=source, name=name)
    return _translate_and_link(llvm_dialect, workdir)


def _tool_stamp(path):
    try:
        st = os.stat(path)
    except OSError as e:
        raise CompileError("cannot find %s: %s (set ATTN_BUILD_DIR to the "
                           "build directory holding bin/attn-opt)" %
                           (path, e))
    return "%s %d %d" % (os.path.realpath(path), st.st_mtime_ns, st.st_size)


def cache_key(source, pipeline):
    """Content hash of a compile: the MLIR text, the pipeline, the tools
    (path, mtime, size) and the clang flags."""
    h = hashlib.sha256()
    for part in ["attn-cache-v1", source, pipeline,
                 _tool_stamp(attn_opt()),
                 _tool_stamp(os.path.join(LLVM_BIN, "mlir-translate")),
                 _tool_stamp(os.path.join(LLVM_BIN, "clang")),
                 " ".join(CLANG_FLAGS + LINK_FLAGS)]:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def compile_cached(source, pipeline="attn-cpu-pipeline", name="module.mlir",
                   directory=None):
    """Compiles `source` unless the cache holds it already. Returns
    (path of the shared library, True on a cache hit)."""
    directory = directory or cache_dir()
    os.makedirs(directory, exist_ok=True)
    key = cache_key(source, pipeline)
    so = os.path.join(directory, key + ".so")
    if os.path.exists(so):
        STATS["cache hit"] += 1
        return so, True
    work = tempfile.mkdtemp(prefix="build-", dir=directory)
    try:
        built = compile_to_file(source, work, pipeline, name)
        with open(os.path.join(directory, key + ".mlir"), "w") as f:
            f.write(source)
        # Atomic: a concurrent compile of the same kernel or a reader never
        # sees a partial library.
        os.replace(built, so)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return so, False


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
    """A memref descriptor viewing the C-contiguous numpy array `arr`: its
    pointers are arr.ctypes.data, nothing is copied."""
    if not (arr.flags["C_CONTIGUOUS"] and arr.flags["ALIGNED"]):
        raise ValueError("memref descriptors need C-contiguous, aligned "
                         "arrays")
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
    preallocated `outputs` (written in place); returns the descriptors."""
    fn = getattr(lib, "_mlir_ciface_" + name)
    descs = [descriptor(a) for a in list(inputs) + list(outputs)]
    fn.argtypes = [ctypes.c_void_p] * len(descs)
    fn.restype = None
    fn(*[ctypes.addressof(d) for d in descs])
    return descs
