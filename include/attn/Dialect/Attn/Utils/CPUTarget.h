//===- CPUTarget.h - Vector registers of the CPU target --------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The one home of what the CPU lowerings assume about the target's vector
// registers: the vector width, and from it the register blocks of the
// attention micro-kernels (-attn-tile) and the register tiles of the linalg
// contractions (-attn-vectorize-linalg). A block is sized so that its
// accumulators, the operand vectors of one step and a broadcast fit in the
// architectural registers (32 zmm with AVX-512, 16 ymm with AVX2): larger
// blocks spill in the inner loop. `vector-bits = 0` on the passes means the
// compiling host, which is what `-march=native` code runs on.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_UTILS_CPUTARGET_H
#define ATTN_DIALECT_ATTN_UTILS_CPUTARGET_H

#include <cstdint>

namespace mlir {
namespace attn {

/// Register shapes for one vector width.
struct CPUVectorTarget {
  /// Bits of a vector register: 512, 256 or 128.
  int64_t vectorBits;
  /// f32 lanes of a vector register.
  int64_t f32Lanes;
  /// The micro-kernels' accumulator block: `blockRows` rows of
  /// `blockVectors` vectors (blockRows * blockVectors registers).
  int64_t blockRows, blockVectors;
  /// The register tile of contractions in attn-vectorize-linalg (rows x
  /// columns of the output) and the vector length of its other ops.
  int64_t contractionTileM, contractionTileN, vectorSize;
};

/// The widest vector the host supports: 512 with AVX-512F, 256 with AVX
/// (or any non-x86 host), else 128.
int64_t getHostVectorBits();

/// The architectural vector registers of `target`: 32 zmm with AVX-512, 16
/// ymm with AVX2 and 16 xmm with 128-bit vectors (x86-64 SSE).
int64_t getVectorRegisters(const CPUVectorTarget &target);

/// The register shapes for `vectorBits` (0: the host's; other values are
/// rounded down to 512, 256 or 128).
CPUVectorTarget getCPUVectorTarget(int64_t vectorBits);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_UTILS_CPUTARGET_H
