//===- AttnInterfaces.td - attn interfaces -----------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNINTERFACES_TD
#define ATTN_DIALECT_ATTN_IR_ATTNINTERFACES_TD

include "mlir/IR/OpBase.td"

def Attn_StructuredMaskAttrInterface
    : AttrInterface<"StructuredMaskAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    A structured mask term: a predicate over the aligned query position
    `q' = q_idx + (kv_len - q_len)` and the key position `kv_idx` that keeps
    (true) or masks (false) one score. Terms of an `attn.attention` op are
    combined by conjunction. Because each term is an affine comparison of
    the two positions, tiling passes can classify whole tiles as empty,
    full or partial without looking at data.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{
        Builds the `i1` predicate of this term for the aligned query
        position `alignedQ` and key position `kv`, both of `index` type.
      }],
      /*retType=*/"::mlir::Value",
      /*methodName=*/"buildPredicate",
      /*args=*/(ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
                    "::mlir::Value":$alignedQ, "::mlir::Value":$kv)>,
    InterfaceMethod<
      /*desc=*/[{
        Evaluates the predicate on concrete positions (used by analyses,
        folders and tests).
      }],
      /*retType=*/"bool",
      /*methodName=*/"evaluate",
      /*args=*/(ins "int64_t":$alignedQ, "int64_t":$kv)>,
    InterfaceMethod<
      /*desc=*/[{
        Builds the half-open key interval `[lo, hi)` outside of which the
        term drops every score of the aligned query rows
        `alignedQLo..alignedQHi` (inclusive). A null value means unbounded
        on that side. Tiled lowerings iterate only over the intersection of
        these intervals, so tiles outside it are never visited.
      }],
      /*retType=*/"std::pair<::mlir::Value, ::mlir::Value>",
      /*methodName=*/"buildKeyRange",
      /*args=*/(ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
                    "::mlir::Value":$alignedQLo, "::mlir::Value":$alignedQHi)>,
    InterfaceMethod<
      /*desc=*/[{
        Builds an `i1` that is true when the term keeps every score of the
        tile of aligned query rows `alignedQLo..alignedQHi` and keys
        `kvLo..kvHi` (all inclusive), so the tile needs no mask.
      }],
      /*retType=*/"::mlir::Value",
      /*methodName=*/"buildTileIsFull",
      /*args=*/(ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
                    "::mlir::Value":$alignedQLo, "::mlir::Value":$alignedQHi,
                    "::mlir::Value":$kvLo, "::mlir::Value":$kvHi)>,
    InterfaceMethod<
      /*desc=*/[{
        Builds an `i1` that is false when the term keeps no score of the
        tile of aligned query rows `alignedQLo..alignedQHi` and keys
        `kvLo..kvHi` (all inclusive), so the tile can be skipped; a null
        value when the key range already excludes every such tile (the
        default). Terms whose kept keys are a union of intervals (the rows
        of a neighbourhood) skip the tiles between them this way.
      }],
      /*retType=*/"::mlir::Value",
      /*methodName=*/"buildTileMayKeep",
      /*args=*/(ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
                    "::mlir::Value":$alignedQLo, "::mlir::Value":$alignedQHi,
                    "::mlir::Value":$kvLo, "::mlir::Value":$kvHi),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{ return ::mlir::Value(); }]>,
  ];
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNINTERFACES_TD
