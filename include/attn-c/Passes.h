/*===- Passes.h - C API of the attn passes and pipelines -----------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
//
// Registration of the attn passes (generated from Passes.td:
// `mlirRegisterAttnPasses()`, `mlirCreateAttnAttnDecomposePass()`, ...) and
// of the attn pipelines, and a one-call driver that runs a textual pipeline
// on a module and reports what went wrong.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_C_PASSES_H
#define ATTN_C_PASSES_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#include "attn-c/Passes.capi.h.inc"

#ifdef __cplusplus
extern "C" {
#endif

/// Registers `attn-cpu-pipeline`, `attn-cpu-bufferize`,
/// `attn-cpu-lower-to-llvm`, `attn-gpu-pipeline`, `attn-gpu-kernel` and
/// `attn-gpu-lower` with the global pipeline registry, so that
/// `mlirParsePassPipeline` and `mlirAttnRunPipeline` know them. Calling it
/// more than once is harmless.
MLIR_CAPI_EXPORTED void mlirAttnRegisterPipelines(void);

/// Parses `pipeline`, the pass list of a `builtin.module` pass manager
/// (`attn-decompose,canonicalize`, `attn-cpu-pipeline{parallel=false}`), and
/// runs it on `module` in place. The attn passes and pipelines, and any other
/// pass named, must be registered first. Returns failure when the pipeline
/// does not parse or a pass fails. When `errorCallback` is not null, the
/// parse error or every diagnostic emitted while the passes run is handed to
/// it as a line `<location>: <severity>: <message>` instead of going to the
/// context's diagnostic handlers; `errorCallback` may be called several times
/// per line. Without a callback, a parse error is emitted on the context as
/// an error diagnostic too.
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirAttnRunPipeline(MlirModule module, MlirStringRef pipeline,
                    MlirStringCallback errorCallback, void *userData);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_PASSES_H
