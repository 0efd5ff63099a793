"""BERT-style and GPT-2-style transformer layers as ONNX models, built with
onnx.helper from random weights, and their float64 numpy models.

``python3 -m attn.onnx_models bert|gpt2 B L H D out.onnx`` writes one."""

import sys

import numpy as np


def _erf(x):
    # numpy has no erf; Abramowitz-Stegun 7.1.26 is too coarse for 1e-4,
    # so use math.erf elementwise (float64).
    import math
    return np.vectorize(math.erf)(x)


def mha(B, L, H, D, causal, rng):
    """One com.microsoft MultiHeadAttention node (ONNX Runtime's fused
    attention) on q, k, v [B, L, H*D]."""
    import onnx
    from onnx import TensorProto, helper
    E = H * D
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [B, L, E])
           for n in ("q", "k", "v")]
    node = helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["o"],
                            domain="com.microsoft", num_heads=H,
                            unidirectional=int(causal), name="mha")
    graph = helper.make_graph([node], "mha", ins, [
        helper.make_tensor_value_info("o", TensorProto.FLOAT, [B, L, E])])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    feeds = {n: rng.standard_normal((B, L, E)).astype(np.float32)
             for n in "qkv"}

    def reference(q, k, v):
        q, k, v = [t.reshape(B, L, H, D).transpose(0, 2, 1, 3)
                   for t in (q, k, v)]
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
        if causal:
            s = np.where(np.tril(np.ones((L, L), bool)), s, -np.inf)
        s = s - s.max(-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(-1, keepdims=True)
        return (p @ v).transpose(0, 2, 1, 3).reshape(B, L, E)

    return model, feeds, reference


def gqa(B, S, Hq, Hkv, D, past=None, seqlens=None, packed=False,
        seed=0, **attrs):
    """One com.microsoft GroupQueryAttention node: query [B, S, Hq*D] (with
    `packed`, QKV packed in one input), key/value [B, S, Hkv*D], with
    `past` = P a past cache [B, Hkv, P, D], seqlens_k = `seqlens` (total
    lengths - 1; default all full) and node attributes `attrs`
    (local_window_size, softcap, smooth_softmax, scale). Returns (model,
    feeds, reference); reference(feeds) gives (output, present_key,
    present_value) in float64, ONNX Runtime's semantics written from its
    documented behaviour (docs/onnx.md)."""
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.default_rng(seed)
    P = past or 0
    total = P + S
    if seqlens is None:
        seqlens = [total - 1] * B
    f32 = TensorProto.FLOAT
    names = ["qkv" if packed else "q", "" if packed else "k",
             "" if packed else "v", "pk" if past is not None else "",
             "pv" if past is not None else "", "seqlens_k", "total"]
    feeds = {}
    if packed:
        feeds["qkv"] = rng.standard_normal((B, S, (Hq + 2 * Hkv) * D))
    else:
        feeds["q"] = rng.standard_normal((B, S, Hq * D))
        feeds["k"] = rng.standard_normal((B, S, Hkv * D))
        feeds["v"] = rng.standard_normal((B, S, Hkv * D))
    if past is not None:
        feeds["pk"] = rng.standard_normal((B, Hkv, P, D))
        feeds["pv"] = rng.standard_normal((B, Hkv, P, D))
    feeds = {n: a.astype(np.float32) for n, a in feeds.items()}
    feeds["seqlens_k"] = np.array(seqlens, np.int32)
    feeds["total"] = np.array(total, np.int32)
    ins = [helper.make_tensor_value_info(n, f32 if a.dtype == np.float32
                                         else TensorProto.INT32, a.shape)
           for n, a in feeds.items()]
    node = helper.make_node("GroupQueryAttention", names,
                            ["o", "present_key", "present_value"],
                            domain="com.microsoft", name="gqa",
                            num_heads=Hq, kv_num_heads=Hkv, **attrs)
    outs = [helper.make_tensor_value_info("o", f32, [B, S, Hq * D])] + [
        helper.make_tensor_value_info(n, f32, [B, Hkv, total, D])
        for n in ("present_key", "present_value")]
    graph = helper.make_graph([node], "gqa", ins, outs)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    def reference(feeds):
        f = {n: np.asarray(a, np.float64) for n, a in feeds.items()
             if n not in ("seqlens_k", "total")}
        if packed:
            x = f["qkv"]
            q, k, v = (x[..., :Hq * D], x[..., Hq * D:(Hq + Hkv) * D],
                       x[..., (Hq + Hkv) * D:])
        else:
            q, k, v = f["q"], f["k"], f["v"]
        heads = [t.reshape(B, S, -1, D).transpose(0, 2, 1, 3)
                 for t in (q, k, v)]
        q, k, v = heads
        lens = np.asarray(feeds["seqlens_k"], np.int64) + 1
        scale = attrs.get("scale") or 1.0 / np.sqrt(D)
        window = attrs.get("local_window_size", -1)
        present = []
        for new, old in ((k, f.get("pk")), (v, f.get("pv"))):
            pr = np.zeros((B, Hkv, total, D))
            for b in range(B):
                start = lens[b] - S if past is not None else 0
                if old is not None:
                    pr[b, :, :start] = old[b, :, :start]
                pr[b, :, start:start + S] = new[b]
            present.append(pr)
        g = Hq // Hkv
        out = np.zeros((B, Hq, S, D))
        for b in range(B):
            L = lens[b]
            start = L - S if past is not None else 0
            kk = np.repeat(present[0][b, :, :L], g, 0)
            vv = np.repeat(present[1][b, :, :L], g, 0)
            s = q[b] @ kk.transpose(0, 2, 1) * scale
            if attrs.get("softcap"):
                c = attrs["softcap"]
                s = c * np.tanh(s / c)
            pos = start + np.arange(S)[:, None]
            j = np.arange(L)[None, :]
            keep = j <= pos
            if window > 0:
                keep &= j > pos - window
            s = np.where(keep, s, -np.inf)
            m = s.max(-1, keepdims=True)
            if attrs.get("smooth_softmax"):
                m = np.maximum(m, 0.0)
            e = np.where(keep, np.exp(s - m), 0.0)
            den = e.sum(-1, keepdims=True)
            if attrs.get("smooth_softmax"):
                den = den + np.exp(-m)
            out[b] = (e / den) @ vv
        return (out.transpose(0, 2, 1, 3).reshape(B, S, Hq * D), *present)

    return model, feeds, reference


# GroupQueryAttention configurations the tests run (test/python/onnx-gqa*.py):
# decode against a right-padded cache, padded prompts, chunked prefill,
# windows, softcap/smooth softmax/scale, packed QKV.
GQA_CASES = [
    ("decode", dict(B=3, S=1, Hq=8, Hkv=2, D=16, past=7, seqlens=[7, 3, 0])),
    ("decode-mha", dict(B=2, S=1, Hq=4, Hkv=4, D=8, past=5, seqlens=[2, 5])),
    ("prompt-padded", dict(B=2, S=5, Hq=4, Hkv=1, D=8, seqlens=[4, 1])),
    ("chunked-prefill", dict(B=1, S=3, Hq=8, Hkv=2, D=16, past=5)),
    ("window", dict(B=2, S=1, Hq=4, Hkv=2, D=8, past=9, seqlens=[9, 5],
                    local_window_size=3)),
    ("prompt-window", dict(B=1, S=7, Hq=2, Hkv=2, D=8, local_window_size=2)),
    ("softcap-smooth-scale", dict(B=2, S=1, Hq=4, Hkv=2, D=8, past=4,
                                  softcap=3.0, smooth_softmax=1, scale=0.3)),
    ("packed-qkv", dict(B=2, S=4, Hq=4, Hkv=2, D=8, packed=True,
                        seqlens=[3, 1])),
]


def mha_cache(B, S, N, H, L=None, past=None, Hv=None, bias=False,
              padding=None, attention_bias=None, bnsh=False, packed=None,
              seed=0, **attrs):
    """One com.microsoft MultiHeadAttention node with the inputs real
    exports give it: query [B, S, N*H]; key/value [B, L, N*H] / [B, L,
    N*Hv] (L = S by default), or [B, N, L, H] with `bnsh`; `bias` a packed
    [2 N H + N Hv] bias; `past` = P a past cache [B, N, P, H] with
    present_key/present_value outputs; `padding` a key_padding_mask kind
    ("lengths" [B], "2d" [B, T], "2d-empty" (the last sequence all
    padding) or "3d" [B, S, T], with T = P + L);
    `attention_bias` its shape as a tuple of 1s and full sizes; node
    attributes `attrs` (unidirectional, scale, mask_filter_value);
    `packed` = "qkv" (query [B, S, N, 3, H], no key/value) or "kv" (key
    [B, L, N, 2, H], no value), ONNX Runtime's packed layouts, with a
    [3 N H] bias. Returns
    (model, feeds, reference); reference(feeds) gives the outputs in
    float64, ONNX Runtime's semantics as docs/onnx.md states them (checked
    against ONNX Runtime by test/python/onnx-mha-ort.py)."""
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.default_rng(seed)
    L = L or S
    Hv = Hv or H
    P = past or 0
    T = P + L
    E, Ev = N * H, N * Hv
    feeds = {"q": rng.standard_normal((B, S, E))}
    if packed:
        Hv, Ev = H, E
    if packed == "qkv":
        feeds = {"q": rng.standard_normal((B, S, N, 3, H))}
        L = S
    elif packed == "kv":
        feeds["k"] = rng.standard_normal((B, L, N, 2, H))
    elif bnsh:
        feeds["k"] = rng.standard_normal((B, N, L, H))
        feeds["v"] = rng.standard_normal((B, N, L, Hv))
    else:
        feeds["k"] = rng.standard_normal((B, L, E))
        feeds["v"] = rng.standard_normal((B, L, Ev))
    names = ["q", "k", "v", "", "", "", "", ""]
    if packed:
        names[1:3] = ["", ""] if packed == "qkv" else ["k", ""]
    if bias:
        feeds["bias"] = 0.5 * rng.standard_normal(2 * E + Ev)
        names[3] = "bias"
    if attention_bias:
        shape = tuple(f if a != 1 else 1 for a, f in
                      zip(attention_bias, (B, N, S, T)))
        feeds["ab"] = rng.standard_normal(shape)
        names[5] = "ab"
    if past is not None:
        feeds["pk"] = rng.standard_normal((B, N, P, H))
        feeds["pv"] = rng.standard_normal((B, N, P, Hv))
        names[6:8] = ["pk", "pv"]
    feeds = {n: a.astype(np.float32) for n, a in feeds.items()}
    if padding == "lengths":
        feeds["kpm"] = np.array([T - 1 - i % 3 for i in range(B)], np.int32)
    elif padding in ("2d", "2d-empty", "3d"):
        shape = (B, S, T) if padding == "3d" else (B, T)
        feeds["kpm"] = (rng.random(shape) > 0.3).astype(np.int32)
        feeds["kpm"][..., 0] = 1
        if padding == "2d-empty":
            # The last sequence keeps no key: ONNX Runtime averages its
            # values by their filled scores, it does not give 0.
            feeds["kpm"][-1] = 0
    if padding:
        names[4] = "kpm"
    while names and not names[-1]:
        names.pop()
    f32 = TensorProto.FLOAT
    ins = [helper.make_tensor_value_info(
        n, f32 if a.dtype == np.float32 else TensorProto.INT32, a.shape)
        for n, a in feeds.items()]
    outs = [helper.make_tensor_value_info("o", f32, [B, S, Ev])]
    out_names = ["o"]
    if past is not None:
        outs += [helper.make_tensor_value_info("present_key", f32,
                                               [B, N, T, H]),
                 helper.make_tensor_value_info("present_value", f32,
                                               [B, N, T, Hv])]
        out_names += ["present_key", "present_value"]
    node = helper.make_node("MultiHeadAttention", names, out_names,
                            domain="com.microsoft", name="mha", num_heads=N,
                            **attrs)
    graph = helper.make_graph([node], "mha", ins, outs)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    def reference(feeds):
        x = {n: np.asarray(a, np.float64) for n, a in feeds.items()}
        if packed:
            # Packed members are per head already: [B, L, N, H] each.
            if packed == "qkv":
                q, k, v = (x["q"][:, :, :, i] for i in range(3))
            else:
                q = x["q"].reshape(B, S, N, H)
                k, v = x["k"][:, :, :, 0], x["k"][:, :, :, 1]
            if bias:
                bb = x["bias"].reshape(3, N, H)
                q, k, v = q + bb[0], k + bb[1], v + bb[2]
            q, k, v = (t.transpose(0, 2, 1, 3) for t in (q, k, v))
            s = q @ k.transpose(0, 1, 3, 2) * (attrs.get("scale") or
                                               1.0 / np.sqrt(H))
            s = s - s.max(-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(-1, keepdims=True)
            return [(p @ v).transpose(0, 2, 1, 3).reshape(B, S, E)]
        q, k, v = x["q"], x["k"], x["v"]
        if bias:
            q = q + x["bias"][:E]
            if not bnsh:
                k = k + x["bias"][E:2 * E]
                v = v + x["bias"][2 * E:]

        def heads(t, n, d):
            return t.reshape(B, n, N, d).transpose(0, 2, 1, 3)
        q = heads(q, S, H)
        if not bnsh:
            k, v = heads(k, L, H), heads(v, L, Hv)
        if past is not None:
            k = np.concatenate([x["pk"], k], 2)
            v = np.concatenate([x["pv"], v], 2)
        fill = attrs.get("mask_filter_value", -10000.0)
        s = q @ k.transpose(0, 1, 3, 2) * (attrs.get("scale") or
                                           1.0 / np.sqrt(H))
        j = np.arange(T)
        if padding == "lengths":
            s = s + np.where(j[None, :] < feeds["kpm"][:, None], 0.0,
                             fill)[:, None, None, :]
        elif padding in ("2d", "2d-empty"):
            s = s + np.where(feeds["kpm"] > 0, 0.0, fill)[:, None, None, :]
        elif padding == "3d":
            s = s + np.where(feeds["kpm"] > 0, 0.0, fill)[:, None]
        if attention_bias:
            s = s + x["ab"]
        if attrs.get("unidirectional"):
            s = s + np.where(j[None, :] <= P + np.arange(S)[:, None], 0.0,
                             fill)
        s = s - s.max(-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(-1, keepdims=True)
        o = (p @ v).transpose(0, 2, 1, 3).reshape(B, S, Ev)
        return [o, k, v] if past is not None else [o]

    return model, feeds, reference


MHA_CASES = [
    ("bias", dict(B=2, S=5, N=2, H=8, bias=True)),
    ("cross-bnsh", dict(B=2, S=3, N=2, H=8, L=7, bnsh=True, bias=True)),
    ("cross-dv", dict(B=1, S=4, N=2, H=8, L=9, Hv=4, padding="2d")),
    ("decode-past", dict(B=2, S=1, N=4, H=8, past=6, bias=True,
                         padding="lengths")),
    ("prefill-causal", dict(B=2, S=6, N=2, H=8, unidirectional=1, bias=True)),
    ("chunk-causal-past", dict(B=2, S=3, N=2, H=8, past=5, unidirectional=1)),
    ("causal-padding-bias", dict(B=2, S=4, N=2, H=8, past=3, unidirectional=1,
                                 padding="2d", attention_bias=(1, 2, 4, 7),
                                 mask_filter_value=-50.0)),
    ("mask3d-scale", dict(B=2, S=3, N=2, H=8, L=5, padding="3d",
                          attention_bias=(2, 1, 3, 5), scale=0.2)),
    # A small fill keeps the f32 scores exact enough for 1e-5: with the
    # default -10000 twice, the f32 sum keeps only ~11 bits of the score.
    ("all-padding-row", dict(B=2, S=2, N=2, H=8, past=3, padding="2d-empty",
                             unidirectional=1, mask_filter_value=-30.0)),
]


# ONNX Runtime's packed layouts, which its CPU kernels reject ("not
# implemented for CPU"): checked against the numpy model only.
MHA_PACKED_CASES = [
    ("packed-qkv", dict(B=2, S=5, N=2, H=8, packed="qkv")),
    ("packed-qkv-bias-scale", dict(B=1, S=7, N=3, H=4, packed="qkv",
                                   bias=True, scale=0.3)),
    ("packed-kv-bias", dict(B=2, S=3, N=2, H=8, L=9, packed="kv",
                            bias=True)),
]


def layer(kind, B, L, H, D, seed=0):
    """Returns (onnx model, inputs dict, numpy model); kind is bert, gpt2,
    mha or mha-causal."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    if kind.startswith("mha"):
        return mha(B, L, H, D, kind == "mha-causal", rng)
    E = H * D
    F = 4 * E
    w = {n: (rng.standard_normal(s) / np.sqrt(s[0])).astype(np.float32)
         for n, s in (("wq", (E, E)), ("wk", (E, E)), ("wv", (E, E)),
                      ("wo", (E, E)), ("w1", (E, F)), ("w2", (F, E)))}
    w["g"] = (1.0 + 0.1 * rng.standard_normal(E)).astype(np.float32)
    w["b"] = (0.1 * rng.standard_normal(E)).astype(np.float32)
    consts = {
        "shape_heads": np.array([B, L, H, D], np.int64),
        "shape_merge": np.array([B, L, E], np.int64),
        "sqrt_d": np.array(np.sqrt(D), np.float32),
        "half": np.array(0.5, np.float32),
        "one": np.array(1.0, np.float32),
        "rsqrt2": np.array(1.0 / np.sqrt(2.0), np.float32),
        "neg": np.array(-1e4 if kind == "bert" else -3.4028234663852886e38,
                        np.float32),
        "axes_12": np.array([1, 2], np.int64),
    }
    inits = [numpy_helper.from_array(v, n) for n, v in {**w, **consts}.items()]
    nodes = []

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name="%s_%d" % (
            op, len(nodes)), **attrs))
        return out

    x = "x"
    heads = []
    for n in ("q", "k", "v"):
        p = node("MatMul", [x, "w" + n], n + "_proj")
        r = node("Reshape", [p, "shape_heads"], n + "_4d")
        perm = [0, 2, 3, 1] if n == "k" else [0, 2, 1, 3]
        heads.append(node("Transpose", [r], n + "_h", perm=perm))
    s = node("MatMul", [heads[0], heads[1]], "scores")
    s = node("Div", [s, "sqrt_d"], "scaled")
    if kind == "bert":
        m = node("Unsqueeze", ["mask", "axes_12"], "mask4")
        inv = node("Sub", ["one", m], "inv")
        add = node("Mul", [inv, "neg"], "adder")
        s = node("Add", [s, add], "masked")
    else:
        tril = np.tril(np.ones((L, L), bool))
        inits.append(numpy_helper.from_array(tril, "causal"))
        s = node("Where", ["causal", s, "neg"], "masked")
    pr = node("Softmax", [s], "probs", axis=-1)
    o = node("MatMul", [pr, heads[2]], "ctx")
    o = node("Transpose", [o], "ctx_t", perm=[0, 2, 1, 3])
    o = node("Reshape", [o, "shape_merge"], "ctx_m")
    o = node("MatMul", [o, "wo"], "attn_out")
    hdn = node("Add", [o, x], "res1")
    ln = node("LayerNormalization", [hdn, "g", "b"], "ln1", axis=-1,
              epsilon=1e-5)
    f = node("MatMul", [ln, "w1"], "ff1")
    # gelu(x) = 0.5 x (1 + erf(x / sqrt 2))
    e = node("Mul", [f, "rsqrt2"], "ff_s")
    e = node("Erf", [e], "ff_erf")
    e = node("Add", [e, "one"], "ff_1p")
    e = node("Mul", [f, e], "ff_m")
    e = node("Mul", [e, "half"], "ff_gelu")
    f = node("MatMul", [e, "w2"], "ff2")
    out = node("Add", [f, ln], "y")
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [B, L, E])]
    if kind == "bert":
        ins.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT,
                                                 [B, L]))
    graph = helper.make_graph(nodes, kind + "_layer", ins, [
        helper.make_tensor_value_info(out, TensorProto.FLOAT, [B, L, E])],
        inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    feeds = {"x": rng.standard_normal((B, L, E)).astype(np.float32)}
    if kind == "bert":
        mask = np.ones((B, L), np.float32)
        mask[-1, L - L // 4:] = 0.0
        feeds["mask"] = mask

    def reference(x, mask=None):
        W = {k: v.astype(np.float64) for k, v in w.items()}
        q, k, v = [(x @ W["w" + n]).reshape(B, L, H, D).transpose(0, 2, 1, 3)
                   for n in "qkv"]
        s = q @ k.transpose(0, 1, 3, 2) / np.float64(np.float32(np.sqrt(D)))
        if kind == "bert":
            s = s + (1.0 - mask[:, None, None, :]) * -1e4
        else:
            s = np.where(np.tril(np.ones((L, L), bool)), s,
                         -3.4028234663852886e38)
        s = s - s.max(-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(-1, keepdims=True)
        o = (p @ v).transpose(0, 2, 1, 3).reshape(B, L, E) @ W["wo"]
        h = o + x
        mu = h.mean(-1, keepdims=True)
        var = ((h - mu) ** 2).mean(-1, keepdims=True)
        ln = (h - mu) / np.sqrt(var + 1e-5) * W["g"] + W["b"]
        f = ln @ W["w1"]
        f = 0.5 * f * (1.0 + _erf(f / np.sqrt(2.0)))
        return f @ W["w2"] + ln

    return model, feeds, reference


def main():
    import onnx
    kind, B, L, H, D, out = sys.argv[1:7]
    model, _, _ = layer(kind, int(B), int(L), int(H), int(D))
    onnx.save(model, out)


if __name__ == "__main__":
    main()
