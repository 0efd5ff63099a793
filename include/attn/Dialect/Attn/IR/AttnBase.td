//===- AttnBase.td - attn dialect definition ---------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNBASE_TD
#define ATTN_DIALECT_ATTN_IR_ATTNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "High-level attention operations";
  let description = [{
    The `attn` dialect expresses attention variants (softmax attention with
    GQA/MQA/MLA head layouts, structured and tensor masks, score and mask
    modifiers, sinks and alternative normalisers) as single high-level
    operations on tensors. Every operation has an executable reference
    semantics given by its decomposition into linalg on tensors
    (`-attn-decompose`); faster lowerings must agree with it.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Registers the attribute definitions (AttnAttrs.cpp).
    void registerAttributes();
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNBASE_TD
