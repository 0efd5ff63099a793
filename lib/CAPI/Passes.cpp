//===- Passes.cpp - C API of the attn passes and pipelines ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn-c/Passes.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Support.h"
#include "mlir/CAPI/Utils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

// mlirRegisterAttnPasses, mlirCreateAttn<Pass>, mlirRegisterAttn<Pass>.
#include "attn-c/Passes.capi.cpp.inc"

void mlirAttnRegisterPipelines(void) {
  registerAttnPipelines();
  registerAttnGPUPipelines();
}

/// Writes a diagnostic and its notes as `<location>: <severity>: <message>`
/// lines, with `file:line:col` locations as mlir-opt prints them.
static void printDiagnostic(Diagnostic &diag, llvm::raw_ostream &os) {
  StringRef severity;
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    severity = "error";
    break;
  case DiagnosticSeverity::Warning:
    severity = "warning";
    break;
  case DiagnosticSeverity::Note:
    severity = "note";
    break;
  case DiagnosticSeverity::Remark:
    severity = "remark";
    break;
  }
  Location loc = diag.getLocation();
  if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else
    os << loc;
  os << ": " << severity << ": " << diag << "\n";
  for (Diagnostic &note : diag.getNotes())
    printDiagnostic(note, os);
}

MlirLogicalResult mlirAttnRunPipeline(MlirModule module, MlirStringRef pipeline,
                                      MlirStringCallback errorCallback,
                                      void *userData) {
  ModuleOp moduleOp = unwrap(module);
  MLIRContext *context = moduleOp.getContext();
  std::optional<detail::CallbackOstream> errorStream;
  if (errorCallback)
    errorStream.emplace(errorCallback, userData);

  PassManager pm(context, ModuleOp::getOperationName());
  std::string parseError;
  llvm::raw_string_ostream parseErrorStream(parseError);
  if (failed(parsePassPipeline(unwrap(pipeline), pm, parseErrorStream))) {
    if (errorStream)
      *errorStream << "attn: invalid pass pipeline '" << unwrap(pipeline)
                   << "': " << parseError << "\n";
    else
      emitError(UnknownLoc::get(context))
          << "invalid pass pipeline '" << unwrap(pipeline)
          << "': " << StringRef(parseError).trim();
    return mlirLogicalResultFailure();
  }

  // Without a callback the diagnostics reach the context's own handlers.
  bool reported = false;
  std::optional<ScopedDiagnosticHandler> handler;
  if (errorStream)
    handler.emplace(context, [&](Diagnostic &diag) {
      printDiagnostic(diag, *errorStream);
      reported = true;
      return success();
    });
  LogicalResult result = pm.run(moduleOp);
  if (failed(result) && errorStream && !reported)
    *errorStream << "attn: pass pipeline '" << unwrap(pipeline)
                 << "' failed without a diagnostic\n";
  return wrap(result);
}
