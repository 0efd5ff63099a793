"""Helpers for the NVIDIA GPU path: gpu.binary extraction and ptxas reports.

``attn-opt --attn-gpu-pipeline`` ends in a ``gpu.binary`` whose object holds
PTX (``format=isa``) or a cubin (``format=bin``) as an escaped MLIR string.
This module pulls that payload out, runs ``ptxas -v`` on PTX and parses its
resource report, and gives the kernel launch configuration of
``convert-attn-to-gpu`` through the C API (the ABI a host framework uses to
launch a kernel on its own device pointers).

Command line::

    python -m attn.gpu extract IN.mlir OUT          # PTX text or cubin bytes
    python -m attn.gpu ptxas-report IN.ptx [--arch sm_90]
"""

import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile

CUDA_HOME = os.environ.get("CUDA_HOME", "/usr/local/cuda")

_OBJECT = re.compile(r'\b(assembly|bin|object) = "((?:[^"\\]|\\.)*)"')


def _unescape(raw):
    """Decodes an MLIR string literal body (\\XX hex escapes) to bytes."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\":
            nxt = raw[i + 1]
            if nxt in '\\"':
                out.append(ord(nxt))
                i += 2
            elif nxt == "n":
                out.append(10)
                i += 2
            elif nxt == "t":
                out.append(9)
                i += 2
            else:
                out.append(int(raw[i + 1:i + 3], 16))
                i += 3
        else:
            out += c.encode("utf-8")
            i += 1
    return bytes(out)


def extract_gpu_binaries(mlir_text):
    """Returns [(kind, payload bytes)] for every object of every gpu.binary;
    kind is 'assembly' (PTX) or 'bin' (cubin)."""
    found = []
    for line in mlir_text.splitlines():
        if "gpu.binary" not in line:
            continue
        for m in _OBJECT.finditer(line):
            found.append((m.group(1), _unescape(m.group(2))))
    return found


def ptxas_report(ptx_path, arch="sm_90", ptxas=None):
    """Assembles PTX with ``ptxas -v`` and returns {kernel: {registers,
    spill_stores, spill_loads, stack, smem}} parsed from its report."""
    ptxas = ptxas or os.path.join(CUDA_HOME, "bin", "ptxas")
    p = subprocess.run([ptxas, "-arch=" + arch, "-v", ptx_path, "-o",
                        os.devnull], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("ptxas failed:\n" + p.stderr)
    report, current = {}, None
    for line in (p.stdout + p.stderr).splitlines():
        m = re.search(r"Function properties for (\S+)", line)
        if m:
            current = report.setdefault(m.group(1), {})
            continue
        m = re.search(r"Compiling entry function '([^']+)'", line)
        if m:
            current = report.setdefault(m.group(1), {})
            continue
        if current is None:
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                      r"(\d+) bytes spill loads", line)
        if m:
            current.update(stack=int(m.group(1)), spill_stores=int(m.group(2)),
                           spill_loads=int(m.group(3)))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            current["registers"] = int(m.group(1))
        m = re.search(r"(\d+) bytes smem", line)
        if m:
            current["smem"] = int(m.group(1))
    return report


_LAUNCH = re.compile(
    r"gpu\.launch_func\s+(?:<[^>]*>\s+)?@(\w+)::@(\w+)\s+blocks in "
    r"\(([^)]*)\)\s+threads in \(([^)]*)\)\s*:\s*\w+"
    r"(?:\s+dynamic_shared_memory_size\s+(%\w+))?")
_CONST = re.compile(r"(%\w+) = (?:llvm\.mlir|arith)\.constant\(?(-?\d+)\b")


def kernel_launches(lowered_text):
    """{kernel: (grid, block, dynamic shared bytes)} of every gpu.launch_func
    in the output of attn-gpu-pipeline whose sizes are constants (static
    shapes); the launch a host framework must reproduce for a kernel."""
    found = {}
    # SSA names are per function: resolve constants function by function.
    for func in re.split(r"\n\s*(?:llvm\.func|func\.func) ", lowered_text):
        consts = {m.group(1): int(m.group(2)) for m in _CONST.finditer(func)}
        for m in _LAUNCH.finditer(func):
            vals = [consts.get(x.strip()) for x in
                    m.group(3).split(",") + m.group(4).split(",")]
            smem = consts.get(m.group(5), None) if m.group(5) else 0
            if None in vals or smem is None:
                continue
            found[m.group(2)] = (tuple(vals[:3]), tuple(vals[3:]), smem)
    return found


def uses_tensor_cores(dtype, head_dim, v_head_dim=None):
    """Whether convert-attn-to-gpu builds the tensor-core kernel (else the
    general SIMT kernel) for Q/K/V of `dtype` and head dims `head_dim`
    (`v_head_dim` its Dv when it differs): the pass's own rule, through the
    C API (mlirAttnGPUUsesTensorCoreKernel)."""
    v_head_dim = head_dim if v_head_dim is None else v_head_dim
    return bool(_gpu_capi().mlirAttnGPUUsesTensorCoreKernel(
        dtype in ("f16", "bf16"), head_dim, v_head_dim))


class _LaunchConfig(ctypes.Structure):
    """MlirAttnGPULaunchConfig (include/attn-c/GPU.h)."""
    _fields_ = [("grid", ctypes.c_int64 * 3), ("block", ctypes.c_int64 * 3),
                ("shared_memory_bytes", ctypes.c_int64)]


# MlirAttnGPUKernelKind.
_KERNEL_KINDS = {"sync": 0, "wgmma": 1, "general": 2}
_GPU_CAPI = []


def _gpu_capi():
    """The library with the C API of attn-c/GPU.h (mlirAttnGPUGetLaunchConfig,
    mlirAttnGPUUsesTensorCoreKernel): libMLIRAttnCAPI.so
    ($ATTN_CAPI_LIBRARY, default build/lib), or, where MLIR is not installed
    (a GPU machine), libattn_cuda_runtime.so, which compiles in the same
    definitions."""
    if not _GPU_CAPI:
        from attn.runner import build_dir
        lib_dir = os.path.join(build_dir(), "lib")
        candidates = [os.environ.get("ATTN_CAPI_LIBRARY"),
                      os.path.join(lib_dir, "libMLIRAttnCAPI.so"),
                      os.path.join(lib_dir, "libattn_cuda_runtime.so")]
        errors = []
        for path in filter(None, candidates):
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                errors.append(str(e))
                continue
            lib.mlirAttnGPUGetLaunchConfig.restype = _LaunchConfig
            lib.mlirAttnGPUGetLaunchConfig.argtypes = (
                [ctypes.c_int] + [ctypes.c_int64] * 6)
            lib.mlirAttnGPUUsesTensorCoreKernel.restype = ctypes.c_bool
            lib.mlirAttnGPUUsesTensorCoreKernel.argtypes = [
                ctypes.c_bool, ctypes.c_int64, ctypes.c_int64]
            _GPU_CAPI.append(lib)
            break
        else:
            raise RuntimeError("no library with the attn GPU C API "
                               "(attn-c/GPU.h): " + "; ".join(errors))
    return _GPU_CAPI[0]


def launch_config(batch, q_heads, q_len, head_dim, elt_bytes=2,
                  general=False, v_head_dim=None, mma="sync"):
    """(grid, block, dynamic shared bytes) of a convert-attn-to-gpu kernel,
    from the C API (mlirAttnGPUGetLaunchConfig, the pass's own definition):
    the tensor-core kernel with `mma` "sync" or "wgmma", or with `general`
    the SIMT kernel (`v_head_dim`: its Dv when it differs)."""
    v_head_dim = head_dim if v_head_dim is None else v_head_dim
    kind = _KERNEL_KINDS["general" if general else mma]
    c = _gpu_capi().mlirAttnGPUGetLaunchConfig(
        kind, batch, q_heads, q_len, head_dim, v_head_dim, elt_bytes)
    return tuple(c.grid), tuple(c.block), c.shared_memory_bytes


def compile_gpu(module_text, chip="sm_90", fmt="bin", attn_opt=None,
                mma="auto"):
    """Runs attn-gpu-pipeline on a module; returns (lowered text, payload of
    the first gpu.binary object: cubin bytes or PTX text). `mma`: auto
    (wgmma on sm_90a), sync or wgmma."""
    if attn_opt is None:
        from attn.runner import attn_opt as default_attn_opt
        attn_opt = default_attn_opt()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.mlir")
        with open(src, "w") as f:
            f.write(module_text)
        p = subprocess.run([attn_opt, src, "--attn-gpu-pipeline=chip=%s "
                            "format=%s mma=%s" % (chip, fmt, mma)],
                           capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("attn-opt --attn-gpu-pipeline failed:\n" +
                           p.stderr[-4000:])
    objs = extract_gpu_binaries(p.stdout)
    if not objs:
        raise RuntimeError("no gpu.binary in the pipeline output")
    return p.stdout, objs[0][1]


class CudaRuntime:
    """ctypes view of libattn_cuda_runtime.so (runtime/cuda)."""

    # Image bytes -> the NUL-terminated buffer handed to the runtime, kept
    # for the life of the process: the runtime caches each loaded module by
    # the image's address, so one image launched twice loads once, and no
    # freed buffer's address can be reused by another image (which would
    # hit the stale module).
    _images = {}

    def __init__(self, path=None):
        if path is None:
            from attn.runner import build_dir
            path = os.path.join(build_dir(), "lib",
                                "libattn_cuda_runtime.so")
        lib = ctypes.CDLL(path)
        vp, u64 = ctypes.c_void_p, ctypes.c_uint64
        lib.mgpuMemAlloc.restype = vp
        lib.mgpuMemAlloc.argtypes = [u64, vp, ctypes.c_bool]
        lib.mgpuMemFree.argtypes = [vp, vp]
        lib.mgpuMemcpy.argtypes = [vp, vp, ctypes.c_size_t, vp]
        lib.mgpuStreamCreate.restype = vp
        lib.mgpuStreamSynchronize.argtypes = [vp]
        lib.mgpuStreamDestroy.argtypes = [vp]
        lib.attnCudaLastError.restype = ctypes.c_char_p
        lib.attnCudaLaunchAttention.restype = ctypes.c_int
        lib.attnCudaLaunchAttention.argtypes = (
            [vp, ctypes.c_char_p] + [ctypes.c_int64] * 5 + [vp] * 6)
        lib.attnCudaLaunch.restype = ctypes.c_int
        lib.attnCudaLaunch.argtypes = (
            [vp, ctypes.c_char_p] + [ctypes.c_uint32] * 7 +
            [vp, ctypes.POINTER(vp), ctypes.c_int])
        self.lib = lib

    @classmethod
    def image_buffer(cls, image):
        """The process-lifetime buffer holding `image` (bytes)."""
        buf = cls._images.get(image)
        if buf is None:
            buf = cls._images[image] = ctypes.create_string_buffer(image)
        return buf

    def to_device(self, array):
        import numpy as np
        array = np.ascontiguousarray(array)
        ptr = self.lib.mgpuMemAlloc(array.nbytes, None, False)
        self.lib.mgpuMemcpy(ptr, array.ctypes.data, array.nbytes, None)
        return ptr

    def alloc(self, nbytes):
        return self.lib.mgpuMemAlloc(nbytes, None, False)

    def to_host(self, ptr, array):
        self.lib.mgpuMemcpy(array.ctypes.data, ptr, array.nbytes, None)
        return array

    def free(self, ptr):
        self.lib.mgpuMemFree(ptr, None)

    def launch_attention(self, image, kernel, batch, q_heads, q_len,
                         head_dim, elt_bytes, q, k, v, o, lse=None,
                         stream=None, extra=(), general=False,
                         v_head_dim=None, lengths=None, launch=None,
                         mma="sync"):
        """`extra`: device pointers after O[, LSE] (mask, lengths, segment
        ids, sinks, captured tensors, in convert-attn-to-gpu's order).
        `general`: the kernel is the general SIMT one (see
        uses_tensor_cores); `v_head_dim` its Dv when it differs.
        `lengths`: (Lq, Lkv) for a kernel compiled with dynamic lengths
        (its last two arguments). `launch`: (grid, block, shared bytes),
        e.g. from kernel_launches, instead of the computed one. Without
        any of these the C entry launches with the mma.sync shared-memory
        size, which also covers a wgmma kernel."""
        buf = self.image_buffer(bytes(image))
        if extra or general or lengths or launch:
            ptrs = [q, k, v, o] + ([lse] if lse else []) + list(extra)
            vals = [ctypes.c_void_p(p) for p in ptrs]
            vals += [ctypes.c_int64(n) for n in (lengths or ())]
            args = (ctypes.c_void_p * len(vals))(
                *[ctypes.cast(ctypes.pointer(x), ctypes.c_void_p)
                  for x in vals])
            grid, block, smem = launch or launch_config(
                batch, q_heads, q_len, head_dim, elt_bytes, general,
                v_head_dim, mma)
            rc = self.lib.attnCudaLaunch(buf, kernel.encode(), *grid,
                                         *block, smem, stream, args,
                                         len(vals))
        else:
            rc = self.lib.attnCudaLaunchAttention(
                buf, kernel.encode(), batch, q_heads, q_len, head_dim,
                elt_bytes, q, k, v, o, lse, stream)
        if rc != 0:
            raise RuntimeError(self.lib.attnCudaLastError().decode())


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m attn.gpu")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="write the first gpu.binary object")
    ex.add_argument("input")
    ex.add_argument("output")
    rep = sub.add_parser("ptxas-report", help="ptxas -v resource report")
    rep.add_argument("ptx")
    rep.add_argument("--arch", default="sm_90")
    args = ap.parse_args(argv)
    if args.cmd == "extract":
        with open(args.input) as f:
            objs = extract_gpu_binaries(f.read())
        if not objs:
            print("error: no gpu.binary object in " + args.input,
                  file=sys.stderr)
            return 1
        with open(args.output, "wb") as f:
            f.write(objs[0][1])
        print("%s: %d bytes" % (objs[0][0], len(objs[0][1])))
        return 0
    report = ptxas_report(args.ptx, args.arch)
    for name in sorted(report):
        r = report[name]
        print("%s: registers=%s spill_stores=%s spill_loads=%s stack=%s" %
              (name, r.get("registers"), r.get("spill_stores"),
               r.get("spill_loads"), r.get("stack")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
