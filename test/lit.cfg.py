# -*- Python -*-
# lit configuration of the attn test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".py", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%attn_src_root", config.attn_src_root))
config.substitutions.append(("%attn_obj_root", config.attn_obj_root))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils.so")))
config.substitutions.append(
    ("%libomp", os.path.join(config.mlir_lib_dir, "libomp.so")))
config.substitutions.append(("%clang", config.attn_clang))
# Embedding: the stock mlir-opt that loads AttnPlugin.so, the folder of our
# libraries, and the toolchain a downstream CMake project builds with.
_mlir_opt = os.path.join(config.llvm_tools_dir, "mlir-opt")
_python = config.python_executable
# Sanitizer build (ATTN_ENABLE_SANITIZERS): our libraries are instrumented,
# Debian's mlir-opt is not, so the ASan runtime (which carries UBSan's) is
# preloaded into it for AttnPlugin.so; a downstream project would have to
# build with the sanitizers too (UNSUPPORTED: asan).
if getattr(config, "attn_sanitizers", "0") == "1":
    config.available_features.add("asan")
    _rt = os.popen("%s -print-file-name=libclang_rt.asan-x86_64.so"
                   % config.attn_clang).read().strip()
    # Leaks at exit of the tools (global registries) are not findings.
    # User poisoning is off: LLVM's BumpPtrAllocator poisons the rest of a
    # slab when its inline code runs in our instrumented code, and
    # libMLIR.so's uninstrumented copy then hands out parts of that slab
    # without unpoisoning them (a false use-after-poison in attribute
    # storage, seen with #attn.neighborhood).
    _asan = "detect_leaks=0:allow_user_poisoning=0"
    _mlir_opt = "env LD_PRELOAD=%s ASAN_OPTIONS=%s %s" % (_rt, _asan,
                                                          _mlir_opt)
    config.environment["ASAN_OPTIONS"] = _asan
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1"
    # Python loads our instrumented C API library with ctypes
    # (attn.gpu), so it gets the runtime preloaded like mlir-opt.
    config.python_executable = "env LD_PRELOAD=%s %s" % (_rt, _python)
config.substitutions.append(("%mlir_opt", _mlir_opt))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(
    ("%attn_libs", os.path.join(config.attn_obj_root, "lib")))
config.substitutions.append(("%cmake_exe", config.cmake_command))
config.substitutions.append(
    ("%cmake_toolchain_args",
     " ".join(['-G "%s"' % config.cmake_generator,
               "-DCMAKE_MAKE_PROGRAM=%s" % config.cmake_make_program,
               "-DCMAKE_CXX_COMPILER=%s" % config.cmake_cxx_compiler,
               "-DCMAKE_CXX_COMPILER_LAUNCHER=%s" % config.cmake_cxx_launcher,
               "-DCMAKE_BUILD_TYPE=Release"])))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.attn_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH",
                             os.path.join(config.attn_src_root, "python"),
                             append_path=True)
llvm_config.with_environment("ATTN_BUILD_DIR", config.attn_obj_root)

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
tools = ["attn-opt", "attn-capi-test", "attn-capi-run", "mlir-runner", "mlir-translate"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# GPU execution tests run only where a CUDA device answers.
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L >/dev/null 2>&1") == 0:
    config.available_features.add("cuda")
    # wgmma kernels (chip sm_90a) run only on compute capability 9.0.
    _caps = os.popen("nvidia-smi --query-gpu=compute_cap --format=csv,noheader"
                     " 2>/dev/null").read().split()
    if _caps and _caps[0] == "9.0":
        config.available_features.add("cuda-sm90")

# ptxas assembles the PTX of the GPU pipeline (no GPU needed).
_ptxas = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin",
                      "ptxas")
if not os.path.exists(_ptxas):
    _ptxas = shutil.which("ptxas")
if _ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", _ptxas))

# runtime/cuda was built (CUDA toolkit found at configure time).
_cuda_rt = os.path.join(config.attn_obj_root, "lib", "libattn_cuda_runtime.so")
if os.path.exists(_cuda_rt):
    config.available_features.add("cuda-runtime")
    config.substitutions.append(("%attn_cuda_runtime", _cuda_rt))

# The host CPU has AVX512-BF16 (vdpbf16ps): code compiled for it with
# `bf16-dot=true` (clang -march=native, the JIT's host target) runs here.
try:
    with open("/proc/cpuinfo") as _f:
        if "avx512_bf16" in _f.read().split():
            config.available_features.add("avx512-bf16")
except OSError:
    pass

# The ONNX front door needs Debian's python3-onnx (scripts/setup.sh).
if os.system("%s -c 'import onnx' >/dev/null 2>&1" % _python) == 0:
    config.available_features.add("onnx")

# ONNX Runtime (onnxruntime-node from npm, as the CPU anchors install it:
# attn.ort.install()) for tests that compare against it on the same file.
_ort = os.path.join(os.environ.get(
    "ATTN_ANCHOR_CACHE", os.path.expanduser("~/.cache/attn-anchors")),
    "node_modules", "onnxruntime-node")
if os.path.isdir(_ort) and shutil.which("node"):
    config.available_features.add("onnxruntime")
