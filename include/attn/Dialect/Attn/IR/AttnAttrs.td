//===- AttnAttrs.td - attn attributes ----------------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD

include "attn/Dialect/Attn/IR/AttnBase.td"
include "attn/Dialect/Attn/IR/AttnInterfaces.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Normalizer
//===----------------------------------------------------------------------===//

def Attn_NormalizerSoftmax : I32EnumAttrCase<"softmax", 0>;
def Attn_NormalizerSigmoid : I32EnumAttrCase<"sigmoid", 1>;
def Attn_NormalizerSoftpick : I32EnumAttrCase<"softpick", 2>;

def Attn_Normalizer : I32EnumAttr<"Normalizer",
    "how scores become attention weights",
    [Attn_NormalizerSoftmax, Attn_NormalizerSigmoid, Attn_NormalizerSoftpick]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_NormalizerAttr : EnumAttr<Attn_Dialect, Attn_Normalizer, "normalizer"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// KV layout
//===----------------------------------------------------------------------===//

def Attn_KvLayoutContiguous : I32EnumAttrCase<"contiguous", 0>;
def Attn_KvLayoutPagedNhd : I32EnumAttrCase<"paged_nhd", 1>;
def Attn_KvLayoutPagedHnd : I32EnumAttrCase<"paged_hnd", 2>;

def Attn_KvLayout : I32EnumAttr<"KvLayout",
    "how the key and value operands of attn.attention are stored",
    [Attn_KvLayoutContiguous, Attn_KvLayoutPagedNhd, Attn_KvLayoutPagedHnd]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_KvLayoutAttr : EnumAttr<Attn_Dialect, Attn_KvLayout, "kv_layout"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// LSE base
//===----------------------------------------------------------------------===//

def Attn_LseBaseE : I32EnumAttrCase<"e", 0>;
def Attn_LseBaseTwo : I32EnumAttrCase<"two", 1>;

def Attn_LseBase : I32EnumAttr<"LseBase",
    "the base of log-sum-exp values and running maxima",
    [Attn_LseBaseE, Attn_LseBaseTwo]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_LseBaseAttr : EnumAttr<Attn_Dialect, Attn_LseBase, "lse_base"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Structured mask terms
//===----------------------------------------------------------------------===//

class Attn_MaskAttr<string name, string attrMnemonic>
    : Attn_Attr<name, attrMnemonic,
                [DeclareAttrInterfaceMethods<Attn_StructuredMaskAttrInterface>]>;

def Attn_CausalAttr : Attn_MaskAttr<"Causal", "causal"> {
  let summary = "causal mask, aligned to the bottom-right corner";
  let description = [{
    Keeps `kv_idx <= q'` where `q' = q_idx + (kv_len - q_len)`. When
    `q_len == kv_len` this is the usual lower triangle; when `q_len < kv_len`
    (decode, chunked prefill) the last query sees every key.

    ```mlir
    masks = [#attn.causal]
    ```
  }];
}

def Attn_SlidingWindowAttr : Attn_MaskAttr<"SlidingWindow", "sliding_window"> {
  let summary = "local band of keys around the aligned query position";
  let description = [{
    Keeps `q' - left <= kv_idx <= q' + right`. `left` and `right` are
    non-negative. Combined with `#attn.causal` use `right = 0`.

    ```mlir
    masks = [#attn.sliding_window<left = 256, right = 0>]
    ```
  }];
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DilatedAttr : Attn_MaskAttr<"Dilated", "dilated"> {
  let summary = "dilated (strided) key selection";
  let description = [{
    Keeps `(q' - kv_idx) mod dilation == 0`: each query attends to every
    `dilation`-th key counted from its own position (NATTEN-style dilation).
    Combine with a window or causal term for a dilated local pattern.

    ```mlir
    masks = [#attn.causal, #attn.dilated<2>]
    ```
  }];
  let parameters = (ins "int64_t":$dilation);
  let assemblyFormat = "`<` $dilation `>`";
  let genVerifyDecl = 1;
}

def Attn_ChunkedAttr : Attn_MaskAttr<"Chunked", "chunked"> {
  let summary = "chunked-local attention";
  let description = [{
    Keeps `floor(q' / size) == floor(kv_idx / size)`: queries attend only
    inside their own chunk of `size` keys (Llama 4 style when combined with
    `#attn.causal`).

    ```mlir
    masks = [#attn.causal, #attn.chunked<64>]
    ```
  }];
  let parameters = (ins "int64_t":$size);
  let assemblyFormat = "`<` $size `>`";
  let genVerifyDecl = 1;
}

def Attn_PrefixLMAttr : Attn_MaskAttr<"PrefixLM", "prefix_lm"> {
  let summary = "prefix-LM mask: bidirectional prefix, causal suffix";
  let description = [{
    Keeps `kv_idx < prefix || kv_idx <= q'`. It already contains the causal
    term, so it cannot be combined with `#attn.causal`.

    ```mlir
    masks = [#attn.prefix_lm<16>]
    ```
  }];
  let parameters = (ins "int64_t":$prefix);
  let assemblyFormat = "`<` $prefix `>`";
  let genVerifyDecl = 1;
}

def Attn_NeighborhoodAttr
    : Attn_Attr<"Neighborhood", "neighborhood",
                [DeclareAttrInterfaceMethods<Attn_StructuredMaskAttrInterface,
                                             ["buildTileMayKeep"]>]> {
  let summary = "N-D neighbourhood attention on a row-major token grid";
  let description = [{
    NATTEN semantics on a 1-, 2- or 3-D grid of `N = prod(grid)` tokens in
    row-major order: the aligned query `q'` and the key `kv_idx` are grid
    points, and along every axis of size `G` with kernel size `K`,
    dilation `d` and causality `c` the key coordinate `k` of a query
    coordinate `x` is kept when `k ≡ x (mod d)` and, with `p = x div d`,
    `pk = k div d` and `n = ceil((G - x mod d) / d)` (the positions of that
    dilation group),
    * `c = false` (odd `K`): `s <= pk < s + K` with
      `s = clamp(p - K div 2, 0, n - K)` (the window is shifted inward at
      the borders, so every query sees exactly `K` keys per axis);
    * `c = true`: `p - K < pk <= p`.
    Positions outside `[0, N)` keep nothing. `dilation` defaults to 1 and
    `causal` to false on every axis. The keys of a block of queries are a
    union of intervals (one per grid row of the window); the key range of
    a query tile is their hull and tiles in between are skipped.

    ```mlir
    masks = [#attn.neighborhood<grid = [64, 64], kernel = [7, 7]>]
    masks = [#attn.neighborhood<grid = [8, 16, 16], kernel = [3, 5, 5],
                                dilation = [1, 2, 2],
                                causal = [true, false, false]>]
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$grid,
                        ArrayRefParameter<"int64_t">:$kernel,
                        OptionalArrayRefParameter<"int64_t">:$dilation,
                        OptionalParameter<"::mlir::DenseBoolArrayAttr">:$causal);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The number of tokens of the grid.
    int64_t getNumTokens() const;
    /// The dilation along `axis` (1 when not given).
    int64_t getDilationAt(unsigned axis) const;
    /// Whether `axis` is causal (false when not given).
    bool isCausalAt(unsigned axis) const;
  }];
}

//===----------------------------------------------------------------------===//
// Feature maps of linear attention
//===----------------------------------------------------------------------===//

def Attn_FeatureMapIdentity : I32EnumAttrCase<"identity", 0>;
def Attn_FeatureMapElu1 : I32EnumAttrCase<"elu1", 1>;
def Attn_FeatureMapRelu : I32EnumAttrCase<"relu", 2>;

def Attn_FeatureMap : I32EnumAttr<"FeatureMap",
    "the feature map phi that linear attention applies to queries and keys",
    [Attn_FeatureMapIdentity, Attn_FeatureMapElu1, Attn_FeatureMapRelu]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_FeatureMapAttr : EnumAttr<Attn_Dialect, Attn_FeatureMap,
                                   "feature_map"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
