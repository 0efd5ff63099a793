//===- attn-capi-run.c - runs one pipeline through the C API --------*- C -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// `attn-capi-run <file.mlir> <pipeline>`: parses the file, runs the textual
// pipeline on it with mlirAttnRunPipeline and prints the module, or the
// diagnostics and exit status 1. The lit tests of test/Pipelines/spellings
// run every attn pipeline through it.
//
//===----------------------------------------------------------------------===//

// RUN: not attn-capi-run 2>&1 | FileCheck %s --check-prefix=USAGE
// RUN: not attn-capi-run %S/Inputs/attention.mlir 'attn-no-such-pass' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BADPIPE
// RUN: attn-capi-run %S/Inputs/attention.mlir 'attn-decompose' \
// RUN:   | FileCheck %s --check-prefix=OK

// USAGE: usage: attn-capi-run <file.mlir> <pipeline>
// BADPIPE: attn: invalid pass pipeline 'attn-no-such-pass'
// OK: linalg.generic
// OK-NOT: attn.attention

#include "attn-c/Dialects.h"
#include "attn-c/Passes.h"

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"

#include <stdio.h>

static void printTo(MlirStringRef str, void *userData) {
  fwrite(str.data, 1, str.length, (FILE *)userData);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: attn-capi-run <file.mlir> <pipeline>\n");
    return 1;
  }
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__attn__(), registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  // gpu-module-to-binary translates the kernels to LLVM IR.
  mlirRegisterAllLLVMTranslations(ctx);
  mlirRegisterAllPasses();
  mlirRegisterAttnPasses();
  mlirAttnRegisterPipelines();

  int status = 0;
  MlirModule module =
      mlirModuleCreateParseFromFile(ctx, mlirStringRefCreateFromCString(argv[1]));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "error: cannot parse %s\n", argv[1]);
    status = 1;
  } else if (mlirLogicalResultIsFailure(mlirAttnRunPipeline(
                 module, mlirStringRefCreateFromCString(argv[2]), printTo,
                 stderr))) {
    status = 1;
  } else {
    mlirOperationPrint(mlirModuleGetOperation(module), printTo, stdout);
    printf("\n");
  }
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return status;
}
