/*===- Dialects.h - C API of the attn dialect ----------------------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_DIALECTS_H
#define ATTN_C_DIALECTS_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// `mlirGetDialectHandle__attn__()`: the handle through which the attn dialect
/// is inserted into a registry (`mlirDialectHandleInsertDialect`) or loaded
/// into a context (`mlirDialectHandleLoadDialect`).
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Attn, attn);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_DIALECTS_H
