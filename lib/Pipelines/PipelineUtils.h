//===- PipelineUtils.h - pieces shared by the attn pipelines ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What the CPU and GPU pipelines build and register the same way: the
// one-shot bufferization of whole functions and the registration of a
// pipeline together with its two stages. Private to the pipelines library.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_PIPELINES_PIPELINEUTILS_H
#define ATTN_LIB_PIPELINES_PIPELINEUTILS_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace mlir {
namespace attn {

/// Adds one-shot bufferization across function boundaries, with identity
/// layouts on the function signatures.
void addFunctionBufferizationPass(OpPassManager &pm);

/// Adds upstream's buffer deallocation pipeline with -attn-split-deallocs
/// before its simplification step.
void addBufferDeallocationPasses(OpPassManager &pm);

/// A pipeline to register: its command-line name, description and builder.
template <typename OptionsT>
struct PipelineEntry {
  StringRef name;
  StringRef description;
  void (*build)(OpPassManager &, const OptionsT &);
};

/// Registers a pipeline made of two stages: the whole pipeline and each
/// stage under its own name, all taking the same options.
template <typename OptionsT>
void registerStagedPipeline(const PipelineEntry<OptionsT> &whole,
                            const PipelineEntry<OptionsT> &first,
                            const PipelineEntry<OptionsT> &second) {
  for (const PipelineEntry<OptionsT> &e : {whole, first, second})
    PassPipelineRegistration<OptionsT>(e.name, e.description, e.build);
}

} // namespace attn
} // namespace mlir

#endif // ATTN_LIB_PIPELINES_PIPELINEUTILS_H
