//===- attn-plugin.cpp - attn as a dialect and pass plugin ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Entry points that let a stock `mlir-opt` load the attn dialect, its passes
// and its pipelines at run time:
//
//   mlir-opt --load-dialect-plugin=AttnPlugin.so --load-pass-plugin=...
//
// The plugin links the shared libMLIR.so the host already has loaded, so
// both see one set of TypeIDs, one dialect registry and one pass registry.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

/// Registers the attn passes (`convert-attn-to-gpu` included) and the CPU
/// and GPU pipelines with the global registries. Both entry points call it,
/// so loading the library as a dialect plugin alone is enough to run
/// `-attn-decompose`, `-attn-cpu-pipeline` or `-attn-gpu-pipeline`.
static void registerAttnPassesAndPipelines() {
  attn::registerAttnPasses();
  attn::registerAttnConversionPasses();
  attn::registerAttnPipelines();
  attn::registerAttnGPUPipelines();
}

/// Dialect plugin entry point: adds the attn dialect to the host's registry.
extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Attn", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            registry->insert<attn::AttnDialect>();
            registerAttnPassesAndPipelines();
          }};
}

/// Pass plugin entry point: registers the attn passes and pipelines.
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AttnPasses", LLVM_VERSION_STRING,
          registerAttnPassesAndPipelines};
}
