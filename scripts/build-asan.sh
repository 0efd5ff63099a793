#!/usr/bin/env bash
# Configures (once) and builds the sanitizer configuration in build-asan/:
# our code with ASan + UBSan (Debian's libMLIR.so is not instrumented),
# attn-opt, the plugin, the C API and the attn-fuzz libFuzzer target.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so every clone (CI's too)
# shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

LLVM=/usr/lib/llvm-22
if [ ! -f build-asan/build.ninja ]; then
  cmake -G Ninja -S . -B build-asan \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DATTN_ENABLE_FUZZER=ON
fi
cmake --build build-asan --target attn-opt attn-fuzz mlir-doc
