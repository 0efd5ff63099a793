//===- attn-capi.c - drives attn through its C API ------------------*- C -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A C program that registers the attn dialect, passes and pipelines through
// libMLIRAttnCAPI.so, parses the module named on its command line, and runs
// attn passes and pipelines on it, the failing ones included.
//
//===----------------------------------------------------------------------===//

// RUN: attn-capi-test %S/Inputs/attention.mlir 2>&1 | FileCheck %s
// RUN: not attn-capi-test 2>&1 | FileCheck %s --check-prefix=USAGE
// RUN: not attn-capi-test %S/Inputs/no-such-file.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE

// USAGE: usage: attn-capi-test <file.mlir>
// NOFILE: error: cannot parse {{.*}}no-such-file.mlir

#include "attn-c/Dialects.h"
#include "attn-c/Passes.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"

#include <stdio.h>
#include <string.h>

static void printToStdout(MlirStringRef str, void *userData) {
  (void)userData;
  fwrite(str.data, 1, str.length, stdout);
}

static void printModule(const char *title, MlirModule module) {
  printf("== %s\n", title);
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");
}

/// Prints diagnostics that reach the context, i.e. those emitted while
/// mlirAttnRunPipeline has no error callback.
static MlirLogicalResult contextHandler(MlirDiagnostic diag, void *userData) {
  (void)userData;
  printf("context handler: ");
  mlirDiagnosticPrint(diag, printToStdout, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

/// Parses the input anew, runs `pipeline` on it and prints the outcome.
static MlirModule runPipeline(MlirContext ctx, MlirStringRef file,
                              const char *pipeline, bool withCallback) {
  MlirModule module = mlirModuleCreateParseFromFile(ctx, file);
  printf("== run '%s'\n", pipeline);
  MlirLogicalResult result =
      mlirAttnRunPipeline(module, mlirStringRefCreateFromCString(pipeline),
                          withCallback ? printToStdout : NULL, NULL);
  printf("-> %s\n", mlirLogicalResultIsSuccess(result) ? "success" : "failure");
  return module;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: attn-capi-test <file.mlir>\n");
    return 1;
  }
  MlirStringRef file = mlirStringRefCreateFromCString(argv[1]);

  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__attn__(), registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirRegisterAllPasses();
  mlirRegisterAttnPasses();
  mlirAttnRegisterPipelines();
  mlirAttnRegisterPipelines();
  mlirContextAttachDiagnosticHandler(ctx, contextHandler, NULL, NULL);

  MlirModule module = mlirModuleCreateParseFromFile(ctx, file);
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "error: cannot parse %s\n", argv[1]);
    mlirContextDestroy(ctx);
    return 1;
  }
  // CHECK-LABEL: == parsed
  // CHECK: func.func @causal
  // CHECK: attn.attention ins({{.*}}) outs({{[^)]*}}) {masks = [#attn.causal]}
  printModule("parsed", module);

  // The generated per-pass C API on an upstream pass manager.
  // CHECK-LABEL: == attn-decompose through mlirCreateAttnAttnDecomposePass
  // CHECK-NOT: attn.attention
  // CHECK: linalg.generic
  // CHECK-NOT: attn.attention
  // CHECK: return
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  mlirPassManagerAddOwnedPass(pm, mlirCreateAttnAttnDecomposePass());
  if (mlirLogicalResultIsFailure(
          mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    fprintf(stderr, "error: attn-decompose failed\n");
    return 1;
  }
  mlirPassManagerDestroy(pm);
  printModule("attn-decompose through mlirCreateAttnAttnDecomposePass",
              module);
  mlirModuleDestroy(module);

  // A pipeline name nobody registered: a failure and a message, no crash.
  // CHECK-LABEL: == run 'attn-no-such-pass'
  // CHECK: attn: invalid pass pipeline 'attn-no-such-pass': {{.*}}error: 'attn-no-such-pass' does not refer to a registered pass or pass pipeline
  // CHECK: -> failure
  mlirModuleDestroy(runPipeline(ctx, file, "attn-no-such-pass", true));

  // Without a callback, the same error as a diagnostic on the context.
  // CHECK-LABEL: == run 'attn-tile{no-such-option=1}'
  // CHECK-NEXT: context handler: invalid pass pipeline 'attn-tile{no-such-option=1}': {{.*}}no such option no-such-option
  // CHECK: -> failure
  mlirModuleDestroy(runPipeline(ctx, file, "attn-tile{no-such-option=1}", false));

  // CHECK-LABEL: == run 'attn-decompose,canonicalize'
  // CHECK-NEXT: -> success
  mlirModuleDestroy(runPipeline(ctx, file, "attn-decompose,canonicalize", true));

  // A pass that fails with a located diagnostic, handed to the callback...
  // CHECK-LABEL: == run 'attn-cpu-pipeline{q-tile=-1}'
  // CHECK-NEXT: {{.*}}attention.mlir:4:8: error: 'attn.attention' op expects positive tile sizes
  // CHECK-NEXT: {{.*}}attention.mlir:4:8: note: see current operation
  // CHECK: -> failure
  mlirModuleDestroy(
      runPipeline(ctx, file, "attn-cpu-pipeline{q-tile=-1}", true));

  // ... or, without a callback, to the context's handlers.
  // CHECK-LABEL: == run 'attn-cpu-pipeline{kv-tile=0 q-tile=-1}'
  // CHECK-NEXT: context handler: 'attn.attention' op expects positive tile sizes
  // CHECK-NEXT: -> failure
  mlirModuleDestroy(runPipeline(ctx, file,
                                "attn-cpu-pipeline{kv-tile=0 q-tile=-1}",
                                false));

  // The whole CPU pipeline, down to the LLVM dialect.
  // CHECK-LABEL: == run 'attn-cpu-pipeline{parallel=false}'
  // CHECK-NEXT: -> success
  // CHECK-LABEL: == lowered
  // CHECK-NOT: attn.attention
  // CHECK: llvm.func @causal(
  // CHECK: llvm.func @_mlir_ciface_causal(
  module = runPipeline(ctx, file, "attn-cpu-pipeline{parallel=false}", true);
  printModule("lowered", module);
  mlirModuleDestroy(module);

  mlirContextDestroy(ctx);
  return 0;
}
