#!/usr/bin/env bash
# Configures (once) and builds attn in build/ against Debian's LLVM/MLIR 22.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so every clone (CI's too)
# shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

LLVM=/usr/lib/llvm-22
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3
fi
cmake --build build --target attn-opt mlir-doc
