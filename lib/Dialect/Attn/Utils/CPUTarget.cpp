//===- CPUTarget.cpp - Vector registers of the CPU target -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Utils/CPUTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::attn;

int64_t mlir::attn::getHostVectorBits() {
  static const int64_t bits = [] {
    llvm::Triple host(llvm::sys::getProcessTriple());
    if (!host.isX86())
      return int64_t{256};
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    if (features.lookup("avx512f"))
      return int64_t{512};
    if (features.lookup("avx"))
      return int64_t{256};
    return int64_t{128};
  }();
  return bits;
}

CPUVectorTarget mlir::attn::getCPUVectorTarget(int64_t vectorBits) {
  if (vectorBits <= 0)
    vectorBits = getHostVectorBits();
  // Measured on AVX2 (docs/performance.md, "CPU vector target"): the
  // 8 x 2 block of 16 accumulators leaves no register for the operands of
  // a step on 16 ymm registers and runs at half the speed of 4 x 2.
  if (vectorBits >= 512)
    return {512, 16, 8, 2, 8, 32, 32};
  if (vectorBits >= 256)
    return {256, 8, 4, 2, 4, 16, 16};
  return {128, 4, 4, 2, 4, 8, 8};
}

int64_t mlir::attn::getVectorRegisters(const CPUVectorTarget &target) {
  return target.vectorBits >= 512 ? 32 : 16;
}
