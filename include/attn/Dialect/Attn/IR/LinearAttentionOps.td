//===- LinearAttentionOps.td - linear attention ops --------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Included by AttnOps.td: the ops of the linear / recurrent attention family.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_LINEARATTENTIONOPS_TD
#define ATTN_DIALECT_ATTN_IR_LINEARATTENTIONOPS_TD

//===----------------------------------------------------------------------===//
// LinearAttentionOp
//===----------------------------------------------------------------------===//

def Attn_LinearAttentionOp : Attn_Op<"linear_attention", [
    AttrSizedOperandSegments,
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "linear attention with a decayed recurrent state";
  let description = [{
    Linear (kernelised) attention over query `Q: [B, Hq, L, Dk]`, key
    `K: [B, Hkv, L, Dk]` and value `V: [B, Hkv, L, Dv]`. `Hq` is a multiple
    of `Hkv`; query head `h` reads key/value head `h / (Hq / Hkv)`. `Dk` and
    `Dv` may differ. Inputs are f32, f16 or bf16; every computation and the
    state are f32. With `q_t = scale * phi(Q[b,h,t])`, `k_t = phi(K[b,h/g,t])`,
    `v_t = V[b,h/g,t]` (`scale` defaults to `1/sqrt(Dk)`), each (batch, query
    head) carries a `Dk x Dv` state `S` and, with `normalize`, a `Dk` vector
    `z`:

    ```
    S_t = lambda_t (.) S_{t-1} + k_t v_t^T        S_{-1} = S0 (0 without initial_state)
    z_t = lambda_t (.) z_{t-1} + k_t              z_{-1} = z0 (0 without initial_state)
    causal:      o_t = q_t^T S_t
    non-causal:  o_t = q_t^T S_{end(t)}           end(t): last token of t's sequence
    normalize:   o_t = (q_t^T S) / (q_t . z + eps)   eps defaults to 1e-6
    ```

    `O[b,h,t] = o_t` converted to the output element type. `lambda_t (.)`
    scales row `d` of the state (and `z_d`) by `lambda_{t,d}`, given as a
    log-decay `log_decay` (`lambda = exp(log_decay)`) whose rank selects the
    kind: rank 1 `[Hq]` a constant per head (RetNet, Lightning), rank 3
    `[B, Hq, L]` per token and head (Mamba2, simple GLA), rank 4
    `[B, Hq, L, Dk]` per token and key channel (GLA); without it
    `lambda = 1`. A decay requires `causal`.

    Feature maps `phi` (`feature_map`, applied elementwise to Q and K):
    `identity`, `elu1` (`elu(x) + 1`: `x + 1` for `x > 0`, `exp(x)`
    otherwise) and `relu`, or user maps: the `q_mod` region replaces `phi`
    on Q and the `k_mod` region on K (an absent one leaves that operand
    unmapped). Each takes `(f32 x, index b, index h, index t, index d)`,
    the element `x = Q[b,h,t,d]` (resp. `K[b,h,t,d]`, `h` then the
    key/value head) converted to f32 and its coordinates, and yields
    `phi(x)` as f32 with `attn.yield`. A region may read values defined
    above the op and must be free of side effects; it is not combined with
    a `feature_map` other than `identity`.

    **Packed sequences**: `segment_ids [B, L]` (i32 or i64) or `cu_seqlens
    [N + 1]` (cumulative lengths, the same for every batch row; token `t`
    is in sequence `#{n : cu_seqlens[n] <= t}`) split the tokens of a row
    into sequences; the state resets to zero before the first token of
    every sequence but the first (`S_{t-1} := 0`, `z_{t-1} := 0`). Each
    sequence must be one contiguous run of tokens (ids of different
    sequences differ); `S0`/`z0` is the state before the first sequence.

    **States**: `initial_state(%s0)` (`[B, Hq, Dk, Dv]`, f32), with
    `normalize` `initial_state(%s0, %z0)` (`z0: [B, Hq, Dk]`, f32). The
    destinations are the output and, optionally, the final state `S_{L-1}`
    (`S0` when `L = 0`) and, with `normalize`, `z_{L-1}`: one, two (not
    normalised) or three inits. The contents of the inits are not read, so
    an in-place state update passes the state cache as the final-state
    destination.

    The algorithmic form (parallel, chunked, recurrent) is not part of the
    semantics: `-attn-decompose` expands the parallel (quadratic) form, the
    oracle; `-attn-lower-linear-attention` chooses a form.

    ```mlir
    %o, %s = attn.linear_attention ins(%q, %k, %v : tensor<1x8x128x64xf32>,
                                       tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>)
        log_decay(%g : tensor<1x8x128xf32>)
        initial_state(%s0 : tensor<1x8x64x64xf32>)
        outs(%o_init, %s_init : tensor<1x8x128x64xf32>, tensor<1x8x64x64xf32>)
        {causal, feature_map = #attn.feature_map<elu1>}
        -> tensor<1x8x128x64xf32>, tensor<1x8x64x64xf32>
    ```

    A user feature map (Based's second-order Taylor map `1 + x + x^2/2` on
    both Q and K):

    ```mlir
    %o = attn.linear_attention ins(%q, %k, %v : tensor<1x8x128x16xf32>,
                                   tensor<1x8x128x16xf32>, tensor<1x8x128x64xf32>)
        outs(%o_init : tensor<1x8x128x64xf32>) {causal, normalize}
        -> tensor<1x8x128x64xf32>
        q_mod {
        ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
          %one = arith.constant 1.0 : f32
          %half = arith.constant 0.5 : f32
          %x2 = arith.mulf %x, %x : f32
          %h2 = arith.mulf %x2, %half : f32
          %s = arith.addf %x, %h2 : f32
          %r = arith.addf %s, %one : f32
          attn.yield %r : f32
        }
        k_mod {
        ^bb0(%x: f32, %b: index, %h: index, %t: index, %d: index):
          %one = arith.constant 1.0 : f32
          %half = arith.constant 0.5 : f32
          %x2 = arith.mulf %x, %x : f32
          %h2 = arith.mulf %x2, %half : f32
          %s = arith.addf %x, %h2 : f32
          %r = arith.addf %s, %one : f32
          attn.yield %r : f32
        }
    ```
  }];

  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$log_decay,
    Optional<AnyRankedTensor>:$segment_ids,
    Optional<AnyRankedTensor>:$cu_seqlens,
    Variadic<AnyRankedTensor>:$initial_state,
    Variadic<AnyRankedTensor>:$inits,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_FeatureMapAttr,
                      "::mlir::attn::FeatureMap::identity">:$feature_map,
    UnitAttr:$causal,
    UnitAttr:$normalize,
    OptionalAttr<F64Attr>:$eps
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region MaxSizedRegion<1>:$q_mod, MaxSizedRegion<1>:$k_mod);

  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
      type($value) `)`
    (`log_decay` `(` $log_decay^ `:` type($log_decay) `)`)?
    (`segment_ids` `(` $segment_ids^ `:` type($segment_ids) `)`)?
    (`cu_seqlens` `(` $cu_seqlens^ `:` type($cu_seqlens) `)`)?
    (`initial_state` `(` $initial_state^ `:` type($initial_state) `)`)?
    `outs` `(` $inits `:` type($inits) `)`
    attr-dict `->` type($results)
    (`q_mod` $q_mod^)?
    (`k_mod` $k_mod^)?
  }];

  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;

  let extraClassDeclaration = [{
    RankedTensorType getQueryType() {
      return cast<RankedTensorType>(getQuery().getType());
    }
    RankedTensorType getKeyType() {
      return cast<RankedTensorType>(getKey().getType());
    }
    RankedTensorType getValueType() {
      return cast<RankedTensorType>(getValue().getType());
    }
    RankedTensorType getOutputType() {
      return cast<RankedTensorType>(getOutput().getType());
    }
    Value getOutput() { return getResult(0); }
    /// The final state result, null when absent.
    Value getFinalState() {
      return getNumResults() > 1 ? getResult(1) : Value();
    }
    /// The final normaliser state result, null when absent.
    Value getFinalNormalizer() {
      return getNumResults() > 2 ? getResult(2) : Value();
    }
    /// The initial state `S0` and normaliser state `z0`, null when absent.
    Value getInitialS() {
      return getInitialState().empty() ? Value() : getInitialState()[0];
    }
    Value getInitialZ() {
      return getInitialState().size() > 1 ? getInitialState()[1] : Value();
    }
    /// The scale applied to phi(Q) when known at compile time.
    std::optional<double> getStaticScale();
    /// Hq / Hkv when both are static, std::nullopt otherwise.
    std::optional<int64_t> getStaticGroupSize();
    /// The eps of the normalised form (default 1e-6).
    double getEpsValue() {
      return getEpsAttr() ? getEpsAttr().getValueAsDouble() : 1e-6;
    }
    /// True for a per-token per-key-channel decay (rank-4 log_decay).
    bool hasChannelDecay() {
      return getLogDecay() &&
             cast<RankedTensorType>(getLogDecay().getType()).getRank() == 4;
    }
    MutableOperandRange getDpsInitsMutable() { return getInitsMutable(); }
  }];
}

#endif // ATTN_DIALECT_ATTN_IR_LINEARATTENTIONOPS_TD
