# RUN: %python %s | FileCheck %s --implicit-check-not=BAD
"""The launch configuration of the C API (mlirAttnGPUGetLaunchConfig, read by
attn.gpu.launch_config through ctypes) is the one convert-attn-to-gpu emits,
and its kernel choice (mlirAttnGPUUsesTensorCoreKernel, attn.gpu.
uses_tensor_cores) is the pass's:
for several shapes of each kernel (mma.sync and wgmma tensor-core kernels,
the general SIMT kernel with f32, Dqk != Dv, head dims the tensor cores do
not take, ragged lengths), the constants of the pass's gpu.launch_func
(grid, block, dynamic shared memory) equal the C API's answer. Where the
CUDA runtime library was built, its copy of the entry (the same sources,
compiled without MLIR) answers the same.
"""

import ctypes
import os
import re
import subprocess

from attn import gpu
from attn.runner import attn_opt, build_dir

# name, element type, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, kernel ("sync", "wgmma",
# "general").
CASES = [
    ("bf16_d64_gqa", "bf16", 2, 8, 2, 256, 256, 64, 64, "sync"),
    ("bf16_d64_gqa_wg", "bf16", 2, 8, 2, 256, 256, 64, 64, "wgmma"),
    ("f16_d128_ragged", "f16", 1, 4, 4, 100, 300, 128, 128, "sync"),
    ("f16_d128_ragged_wg", "f16", 1, 4, 4, 100, 300, 128, 128, "wgmma"),
    ("bf16_d96_short", "bf16", 3, 2, 2, 17, 33, 96, 96, "sync"),
    ("bf16_d96_short_wg", "bf16", 3, 2, 2, 17, 33, 96, 96, "wgmma"),
    ("f32_d80", "f32", 1, 4, 2, 100, 150, 80, 80, "general"),
    ("f32_mla_192_128", "f32", 1, 4, 1, 64, 96, 192, 128, "general"),
    ("bf16_d256", "bf16", 1, 2, 2, 300, 300, 256, 256, "general"),
    ("f16_d32", "f16", 2, 3, 1, 1, 70, 32, 32, "general"),
]


def module(case):
    name, et, B, Hq, Hkv, Lq, Lkv, D, Dv = case[:9]
    q = "tensor<%dx%dx%dx%dx%s>" % (B, Hq, Lq, D, et)
    k = "tensor<%dx%dx%dx%dx%s>" % (B, Hkv, Lkv, D, et)
    v = "tensor<%dx%dx%dx%dx%s>" % (B, Hkv, Lkv, Dv, et)
    o = "tensor<%dx%dx%dx%dx%s>" % (B, Hq, Lq, Dv, et)
    return ("func.func @%s(%%q: %s, %%k: %s, %%v: %s) -> %s {\n"
            "  %%init = tensor.empty() : %s\n"
            "  %%o = attn.attention ins(%%q, %%k, %%v : %s, %s, %s) "
            "outs(%%init : %s) -> %s\n"
            "  return %%o : %s\n}\n" % (name, q, k, v, o, o, q, k, v, o, o, o))


_LAUNCH = re.compile(
    r"blocks in \((%\w+), (%\w+), (%\w+)\) threads in \((%\w+), (%\w+), "
    r"(%\w+)\)\s+dynamic_shared_memory_size (%\w+)")
_CONST = re.compile(r"(%\w+) = arith\.constant (-?\d+)\b")


def emitted(case):
    """(grid, block, shared bytes) of the pass's gpu.launch_func."""
    chip, mma = ("sm_90a", "wgmma") if case[9] == "wgmma" else ("sm_90",
                                                                 "sync")
    text = subprocess.run(
        [attn_opt(), "--convert-attn-to-gpu=chip=%s mma=%s" % (chip, mma),
         "--canonicalize", "--cse"], input=module(case), check=True,
        capture_output=True, text=True).stdout
    consts = {m.group(1): int(m.group(2)) for m in _CONST.finditer(text)}
    vals = [consts[x] for x in _LAUNCH.search(text).groups()]
    return tuple(vals[:3]), tuple(vals[3:6]), vals[6]


def from_capi(case):
    name, et, B, Hq, Hkv, Lq, Lkv, D, Dv, kernel = case
    return gpu.launch_config(B, Hq, Lq, D, 4 if et == "f32" else 2,
                             general=kernel == "general", v_head_dim=Dv,
                             mma="wgmma" if kernel == "wgmma" else "sync")


def runtime_fn():
    path = os.path.join(build_dir(), "lib", "libattn_cuda_runtime.so")
    try:
        # (It links the CUDA driver, libcuda.so.1, absent without a GPU.)
        fn = ctypes.CDLL(path).mlirAttnGPUGetLaunchConfig
    except OSError:
        return None
    fn.restype = gpu._LaunchConfig
    fn.argtypes = [ctypes.c_int] + [ctypes.c_int64] * 6
    return fn


def main():
    rt = runtime_fn()
    for case in CASES:
        want, got = emitted(case), from_capi(case)
        verdict = "ok" if want == got else "BAD %s != %s" % (got, want)
        print("%s: %s %s" % (case[0], verdict, got))
        # The C API's kernel choice is the pass's: the launch above matched
        # the emitted one only for the kernel the pass chose.
        et, D, Dv, kernel = case[1], case[7], case[8], case[9]
        if gpu.uses_tensor_cores(et, D, Dv) != (kernel != "general"):
            print("%s: BAD uses_tensor_cores disagrees with the pass" %
                  case[0])
        if rt is not None:
            name, et, B, Hq, Hkv, Lq, Lkv, D, Dv, kernel = case
            c = rt(gpu._KERNEL_KINDS[kernel], B, Hq, Lq, D, Dv,
                   4 if et == "f32" else 2)
            if (tuple(c.grid), tuple(c.block), c.shared_memory_bytes) != got:
                print("%s: BAD runtime library answers differently" % name)
    # Empty sizes still launch one block in x and z (the kernel does
    # nothing), as the host code of dynamic shapes does.
    print("empty:", gpu.launch_config(0, 4, 0, 64))


# CHECK: bf16_d64_gqa: ok ((4, 8, 2), (128, 1, 1), 46080)
# CHECK: bf16_d64_gqa_wg: ok ((4, 8, 2), (128, 1, 1), 41984)
# CHECK: f16_d128_ragged: ok ((2, 4, 1), (128, 1, 1), 87040)
# CHECK: f16_d128_ragged_wg: ok ((2, 4, 1), (128, 1, 1), 82944)
# CHECK: bf16_d96_short: ok
# CHECK: bf16_d96_short_wg: ok
# CHECK: f32_d80: ok ((7, 4, 1), (128, 1, 1), 20480)
# CHECK: f32_mla_192_128: ok ((4, 4, 1), (128, 1, 1), 40960)
# CHECK: bf16_d256: ok ((19, 2, 1), (128, 1, 1), 32768)
# CHECK: f16_d32: ok ((1, 3, 2), (128, 1, 1), 4096)
# CHECK: empty: ((1, 4, 1), (128, 1, 1), 46080)

if __name__ == "__main__":
    main()
