#!/usr/bin/env bash
# Installs what attn needs on a fresh Debian 12 machine (run as root):
# LLVM/MLIR 22, clang, ninja, ccache, cmake, Debian's numpy and the compiler-rt
# sanitizer and libFuzzer runtimes of clang 22 (build-asan/, attn-fuzz).
set -euo pipefail

PKGS=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22
      libomp-22-dev ninja-build ccache cmake libzstd-dev python3 python3-numpy
      python3-pytest python3-onnx git libclang-rt-22-dev)

missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
else
  echo "== all packages present"
fi

# ONNX Runtime from npm (onnxruntime-node, CPU), the reference of
# test/python/onnx-gqa-ort.py and the anchor of bench/onnx: best effort
# (the test is UNSUPPORTED without it), needs node and npm.
if command -v npm >/dev/null 2>&1; then
  PYTHONPATH="$(dirname "$0")/../python" /usr/bin/python3 -c \
    'import attn.ort as o; o.install(); print("== onnxruntime-node:", o.cache_dir())' ||
    echo "== onnxruntime-node not installed (npm failed); onnxruntime tests are skipped"
else
  echo "== npm not found; onnxruntime tests are skipped"
fi
