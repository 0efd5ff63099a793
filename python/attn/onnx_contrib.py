"""The fused attention operators of ONNX Runtime's ``com.microsoft`` domain,
imported by :mod:`attn.onnx_import`.

* ``MultiHeadAttention`` is emitted decomposed, as ONNX graphs spell
  attention (MatMul, Softmax, additive masks, ...), so that
  ``--attn-raise`` raises it like any frontend graph.
* ``GroupQueryAttention`` is emitted as one ``attn.attention``: its
  semantics (per-sequence key lengths, a right-padded KV cache, causal
  masking aligned to each sequence's end) are the op's ``kv_lengths`` and
  ``#attn.causal``; a decomposed form would only have to be raised again.
  Its ``present_key``/``present_value`` outputs are built as ONNX Runtime
  builds them (docs/onnx.md).
"""

import numpy as np


def _ty(shape, dt):
    return "tensor<%s>" % "x".join([str(x) for x in shape] + [dt])


def imp_ty(val):
    return _ty(val[1], val[2])


_MHA_INPUTS = ("query", "key", "value", "bias", "key_padding_mask",
               "attention_bias", "past_key", "past_value",
               "past_sequence_length", "cache_indirection")


def _concat(imp, vals, axis):
    """tensor.concat of `vals` along `axis` (one value: itself)."""
    if len(vals) == 1:
        return vals[0]
    out = list(vals[0][1])
    out[axis] = sum(v[1][axis] for v in vals)
    r = imp.fresh("cat")
    imp.emit("%s = tensor.concat dim(%d) %s : (%s) -> %s" % (
        r, axis, ", ".join(v[0] for v in vals),
        ", ".join(imp_ty(v) for v in vals), _ty(out, vals[0][2])))
    return (r, tuple(out), vals[0][2])


def _padding_bias(imp, mask, b, s, t, fill):
    """The additive f32 bias of a MultiHeadAttention key_padding_mask,
    broadcastable to the scores [B, N, S, T]: `fill` where a key is padding
    and 0 elsewhere. A [B] mask holds each sequence's key count (keys
    j < mask[b] are kept); a [B, T] or [B, S, T] mask keeps the keys where
    it is positive."""
    _, shape, dt = mask
    if dt not in ("i32", "i64"):
        imp.fail("key_padding_mask must be i32 or i64, got %s" % dt)
    zero, low = imp.scalar(0.0, "f32"), imp.scalar(fill, "f32")
    if tuple(shape) == (b,):
        j, n, keep = imp.fresh("j"), imp.fresh("n"), imp.fresh("keep")
        return imp.generic([(mask, "d0")], (b, 1, 1, t), "f32", [
            "%s = linalg.index 3 : index" % j,
            "%s = arith.index_cast {a0} : %s to index" % (n, dt),
            "%s = arith.cmpi slt, %s, %s : index" % (keep, j, n),
            "%%r = arith.select %s, %s, %s : f32" % (keep, zero, low)])
    if tuple(shape) not in ((b, t), (b, s, t)):
        imp.fail("key_padding_mask must be [%d], [%d, %d] or [%d, %d, %d], "
                 "got %s" % (b, b, t, b, s, t, list(shape)))
    z, keep = imp.fresh("z"), imp.fresh("keep")
    bias = imp.elementwise([mask], [
        "%s = arith.constant 0 : %s" % (z, dt),
        "%s = arith.cmpi sgt, {a0}, %s : %s" % (keep, z, dt),
        "%%r = arith.select %s, %s, %s : f32" % (keep, zero, low)], dt="f32")
    return imp.reshape_val(bias, (b, 1, 1, t) if len(shape) == 2 else
                           (b, 1, s, t))


def _unpack(imp, val, index, bias=None, offset=0):
    """Member `index` of a packed [B, L, N, M, H] tensor as heads [B, N, L,
    H], plus bias[offset:offset + N H] (per head and channel) when given."""
    v, (b, length, n, m, d), dt = val
    r = imp.fresh("u")
    imp.emit("%s = tensor.extract_slice %s[0, 0, 0, %d, 0] [%d, %d, %d, 1, %d] "
             "[1, 1, 1, 1, 1] : %s to %s" % (
                 r, v, index, b, length, n, d, _ty((b, length, n, m, d), dt),
                 _ty((b, length, n, d), dt)))
    x = (r, (b, length, n, d), dt)
    if bias is not None:
        part = imp.reshape_val(_slice_last(imp, bias, offset, n * d), (n, d))
        x = imp.elementwise([x, part], ["%r = arith.addf {a0}, {a1} : f32"])
    return imp.transpose(x, (0, 2, 1, 3))


def _packed_qkv_attention(imp, node, ins, q, h):
    """MultiHeadAttention with packed QKV (query [B, S, N, 3, H], no key or
    value) or packed KV (query [B, S, E], key [B, L, N, 2, H], no value):
    ONNX Runtime's layouts (its CPU kernels implement neither; its GPU ones
    do). The optional bias is [3 N H], the q, k and v parts in that order.
    Masks, attention bias and past are not supported with packed inputs
    (no present outputs)."""
    for i, name in ((4, "key_padding_mask"), (5, "attention_bias"),
                    (6, "past_key"), (7, "past_value")):
        if ins[i]:
            imp.fail("input '%s' is not supported with packed QKV/KV" % name)
    if imp.attr(node, "unidirectional", 0):
        imp.fail("unidirectional is not supported with packed QKV/KV")
    if len(q[1]) == 5:
        if ins[1] or ins[2]:
            imp.fail("packed QKV in the query takes no key or value")
        b, s, n, m, d = q[1]
        if m != 3 or n != h or q[2] != "f32":
            imp.fail("packed QKV must be f32 [B, S, %d, 3, H], got %s %s" % (
                h, q[2], list(q[1])))
        kv, base, lkv = q, 1, s
    else:
        b, s, e = q[1]
        d = e // h
        kv = imp.get(ins[1])
        if (tuple(kv[1][:1]) != (b,) or tuple(kv[1][2:]) != (h, 2, d) or
                kv[2] != "f32"):
            imp.fail("packed KV must be f32 [%d, L, %d, 2, %d], got %s %s" % (
                b, h, d, kv[2], list(kv[1])))
        base, lkv = 0, kv[1][1]
    e = h * d
    bias = None
    if ins[3]:
        bias = imp.get(ins[3])
        if tuple(bias[1]) != (3 * e,) or bias[2] != "f32":
            imp.fail("bias must be f32 [%d], got %s %s" % (
                3 * e, bias[2], list(bias[1])))
    if len(q[1]) == 5:
        qh = _unpack(imp, q, 0, bias, 0)
    else:
        if bias is not None:
            q = imp.elementwise([q, _slice_last(imp, bias, 0, e)],
                                ["%r = arith.addf {a0}, {a1} : f32"])
        qh = imp.transpose(imp.reshape_val(q, (b, s, h, d)), (0, 2, 1, 3))
    k = _unpack(imp, kv, base, bias, e)
    v = _unpack(imp, kv, base + 1, bias, 2 * e)
    scale = imp.attr(node, "scale", 0.0) or 1.0 / np.sqrt(d)
    sc = imp.matmul(qh, imp.transpose(k, (0, 1, 3, 2)))
    sc = imp.elementwise([sc], ["%%r = arith.mulf {a0}, %s : f32" %
                                imp.scalar(scale, "f32")])
    o = imp.matmul(imp.softmax(sc), v)
    return [imp.reshape_val(imp.transpose(o, (0, 2, 1, 3)), (b, s, e)), k, v]


def multi_head_attention(imp, node, present_shape):
    """com.microsoft MultiHeadAttention, decomposed (docs/onnx.md): query
    [B, S, E]; key/value [B, L, E] / [B, L, Ev] (projected, split into
    heads here) or [B, N, L, H] (already split); optional bias [2E + Ev],
    key_padding_mask, attention_bias [1|B, 1|N, S, T] and past_key /
    past_value [B, N, P, H] (with [B, L, E] key/value). Returns (output,
    present_key, present_value)."""
    ins = list(node.input) + [""] * (10 - len(node.input))
    for name, i in zip(_MHA_INPUTS[8:], (8, 9)):
        if ins[i]:
            imp.fail("input '%s' is not supported" % name)
    if len(node.output) > 3 and node.output[3]:
        imp.fail("output 'qk' is not supported")
    h = imp.attr(node, "num_heads", 0)
    if h <= 0:
        imp.fail("num_heads must be positive, got %d" % h)
    q = imp.get(ins[0])
    if len(q[1]) == 5:
        return _packed_qkv_attention(imp, node, ins, q, h)
    if len(q[1]) != 3 or q[2] != "f32":
        imp.fail("query must be f32 [B, S, E] or packed QKV [B, S, N, 3, H], "
                 "got %s %s" % (q[2], list(q[1])))
    b, s, e = q[1]
    if e % h:
        imp.fail("query width %d is not a multiple of num_heads %d" % (e, h))
    d = e // h
    if ins[1] and not ins[2] and len(imp.get(ins[1])[1]) == 5:
        return _packed_qkv_attention(imp, node, ins, q, h)
    if not ins[1] or not ins[2]:
        imp.fail("key and value are required (or packed QKV in the query, "
                 "or packed KV [B, L, N, 2, H] in the key)")
    k, v = imp.get(ins[1]), imp.get(ins[2])
    split = len(k[1]) == 3
    if split:
        lkv, ev = k[1][1], v[1][-1]
        ok = (len(v[1]) == 3 and tuple(k[1]) == (b, lkv, e) and
              tuple(v[1][:2]) == (b, lkv) and ev % h == 0)
        dv = ev // h if ok else 0
    else:
        lkv, dv = k[1][2] if len(k[1]) == 4 else 0, v[1][-1]
        ok = (len(k[1]) == 4 and len(v[1]) == 4 and
              tuple(k[1]) == (b, h, lkv, d) and tuple(v[1][:3]) == (b, h, lkv))
        ev = h * dv
    if not ok or k[2] != "f32" or v[2] != "f32":
        imp.fail("key/value must be f32 [B, L, E] or [B, N, L, H] matching "
                 "the query, got %s %s and %s %s" % (
                     k[2], list(k[1]), v[2], list(v[1])))
    if ins[3]:
        bias = imp.get(ins[3])
        if tuple(bias[1]) != (2 * e + ev,) or bias[2] != "f32":
            imp.fail("bias must be f32 [%d], got %s %s" % (
                2 * e + ev, bias[2], list(bias[1])))
        add = ["%r = arith.addf {a0}, {a1} : f32"]
        q = imp.elementwise([q, _slice_last(imp, bias, 0, e)], add)
        if split:
            # ONNX Runtime adds the key/value parts only to projected
            # inputs; [B, N, L, H] key/value are taken as given.
            k = imp.elementwise([k, _slice_last(imp, bias, e, e)], add)
            v = imp.elementwise([v, _slice_last(imp, bias, 2 * e, ev)], add)
    if bool(ins[6]) != bool(ins[7]):
        imp.fail("past_key and past_value must both be given or both be "
                 "absent")
    past = None
    if ins[6]:
        if not split:
            imp.fail("past_key/past_value need key/value of [B, L, E]")
        past = imp.get(ins[6]), imp.get(ins[7])
        plen = past[0][1][2] if len(past[0][1]) == 4 else -1
        for name, t, dd in (("past_key", past[0], d),
                            ("past_value", past[1], dv)):
            if tuple(t[1]) != (b, h, plen, dd) or t[2] != "f32":
                imp.fail("%s must be f32 [%d, %d, P, %d] (BNSH), got %s %s" %
                         (name, b, h, dd, t[2], list(t[1])))
    t = lkv + (past[0][1][2] if past else 0)

    def heads(x, length, dd):
        return imp.transpose(imp.reshape_val(x, (b, length, h, dd)),
                             (0, 2, 1, 3))
    qh = heads(q, s, d)
    if split:
        k, v = heads(k, lkv, d), heads(v, lkv, dv)
    if past:
        k, v = _concat(imp, [past[0], k], 2), _concat(imp, [past[1], v], 2)
    for i, want in ((1, (b, h, t, d)), (2, (b, h, t, dv))):
        shape = present_shape(i)
        if shape is not None and tuple(shape) != want:
            imp.fail("output %d is declared %s, not %s" % (
                i, list(shape), list(want)))
    scale = imp.attr(node, "scale", 0.0) or 1.0 / np.sqrt(d)
    fill = imp.attr(node, "mask_filter_value", -10000.0)
    sc = imp.matmul(qh, imp.transpose(k, (0, 1, 3, 2)))
    sc = imp.elementwise([sc], ["%%r = arith.mulf {a0}, %s : f32" %
                                imp.scalar(scale, "f32")])
    # The additive masks are summed first and added to the scores once:
    # one mask tensor is what attn-raise passes as the op's mask operand.
    biases = []
    if ins[4]:
        biases.append(_padding_bias(imp, imp.get(ins[4]), b, s, t, fill))
    if ins[5]:
        ab = imp.get(ins[5])
        if (len(ab[1]) != 4 or ab[2] != "f32" or ab[1][0] not in (1, b) or
                ab[1][1] not in (1, h) or tuple(ab[1][2:]) != (s, t)):
            imp.fail("attention_bias must be f32 [1|%d, 1|%d, %d, %d], got "
                     "%s %s" % (b, h, s, t, ab[2], list(ab[1])))
        biases.append(ab)
    causal = imp.attr(node, "unidirectional", 0)
    if causal and t != s + (past[0][1][2] if past else 0):
        imp.fail("unidirectional needs self-attention (key length %d = "
                 "query length %d)" % (lkv, s))
    tril = np.tril(np.ones((s, t), bool), t - s)
    if causal and biases:
        # With other masks a row may have no kept key; ONNX Runtime then
        # averages over keys by their filled scores, so the causal mask
        # must add `fill` exactly as it does.
        biases.append(imp.constant(
            np.where(tril, 0.0, fill).astype(np.float32), "causal"))
    add = ["%r = arith.addf {a0}, {a1} : f32"]
    if biases:
        total = biases[0]
        for other in biases[1:]:
            total = imp.elementwise([total, other], add)
        sc = imp.elementwise([sc, total], add)
    elif causal:
        # Every row keeps its first key: dropping the masked keys equals
        # adding `fill` (exp underflows to 0), and the select form raises
        # to #attn.causal.
        c = imp.constant(tril, "causal")
        lo = imp.scalar(-3.4028234663852886e38, "f32")
        sc = imp.elementwise([c, sc], [
            "%%r = arith.select {a0}, {a1}, %s : f32" % lo], dt="f32")
    o = imp.matmul(imp.softmax(sc), v)
    o = imp.reshape_val(imp.transpose(o, (0, 2, 1, 3)), (b, s, ev))
    return [o, k, v]


# GroupQueryAttention inputs after total_sequence_length, none supported.
_GQA_EXTRA_INPUTS = ("cos_cache", "sin_cache", "position_ids",
                     "attention_bias", "head_sink")


def _index(imp, value):
    c = imp.fresh("c")
    imp.emit("%s = arith.constant %d : index" % (c, value))
    return c


def _present(imp, new, past, seqlens, length, has_past):
    """present[b, h, t] = past[b, h, t] for t < p_b, new[b, h, t - p_b] for
    p_b <= t < p_b + S, 0 beyond, with p_b = seqlens_k[b] + 1 - S when a
    past is given and 0 otherwise (ONNX Runtime's layout). Every index is
    clamped, so no input is read out of bounds whatever seqlens_k holds."""
    _, (b, hkv, s, d), dt = new
    plen = past[1][2] if past is not None else 0
    f = imp.fresh
    i0, i1, i2, i3 = f("b"), f("h"), f("t"), f("d")
    pos, rel, relc, lo, nv, innew = f("p"), f("rel"), f("relc"), f("lo"), \
        f("nv"), f("in")
    zero, last = _index(imp, 0), _index(imp, s - 1)
    sz, one = _index(imp, s), _index(imp, 1)
    body = ["%s = linalg.index 0 : index" % i0,
            "%s = linalg.index 1 : index" % i1,
            "%s = linalg.index 2 : index" % i2,
            "%s = linalg.index 3 : index" % i3]
    if has_past:
        ln, l1 = f("l"), f("l1")
        body += ["%s = arith.index_cast {a0} : i32 to index" % ln,
                 "%s = arith.addi %s, %s : index" % (l1, ln, one),
                 "%s = arith.subi %s, %s : index" % (pos, l1, sz)]
    else:
        body += ["%s = arith.addi %s, %s : index" % (pos, zero, zero)]
    ge, lt = f("ge"), f("lt")
    body += ["%s = arith.subi %s, %s : index" % (rel, i2, pos),
             "%s = arith.maxsi %s, %s : index" % (lo, rel, zero),
             "%s = arith.minsi %s, %s : index" % (relc, lo, last),
             "%s = tensor.extract %s[%s, %s, %s, %s] : %s" % (
                 nv, new[0], i0, i1, relc, i3, imp_ty(new)),
             "%s = arith.cmpi sge, %s, %s : index" % (ge, rel, zero),
             "%s = arith.cmpi slt, %s, %s : index" % (lt, rel, sz),
             "%s = arith.andi %s, %s : i1" % (innew, ge, lt)]
    z = f("z")
    body += ["%s = arith.constant 0.0 : %s" % (z, dt)]
    rest = z
    if plen > 0:
        tc, pv, inpast, old = f("tc"), f("pv"), f("ip"), f("old")
        plast = _index(imp, plen - 1)
        body += ["%s = arith.minsi %s, %s : index" % (tc, i2, plast),
                 "%s = tensor.extract %s[%s, %s, %s, %s] : %s" % (
                     pv, past[0], i0, i1, tc, i3, imp_ty(past)),
                 "%s = arith.cmpi slt, %s, %s : index" % (inpast, i2, pos),
                 "%s = arith.select %s, %s, %s : %s" % (old, inpast, pv, z,
                                                        dt)]
        rest = old
    body += ["%%r = arith.select %s, %s, %s : %s" % (innew, nv, rest, dt)]
    return imp.generic([(seqlens, "d0")], (b, hkv, length, d), dt, body)


def _slice_last(imp, val, offset, width):
    """val[..., offset:offset + width]."""
    v, shape, dt = val
    out = tuple(shape[:-1]) + (width,)
    r = imp.fresh("s")
    n = len(shape)
    imp.emit("%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s" % (
        r, v, ", ".join(["0"] * (n - 1) + [str(offset)]),
        ", ".join(map(str, out)), ", ".join(["1"] * n), _ty(shape, dt),
        _ty(out, dt)))
    return (r, out, dt)


def _prompt_mask_mod(imp, window):
    """The mask_mod region of a GroupQueryAttention without past: keys at
    or before the query row, counted from the start (ONNX Runtime's first
    prompt; padded rows past a sequence's length still see its keys), and
    within the local window when there is one."""
    f = imp.fresh
    b, h, i, j, keep = f("mb"), f("mh"), f("mi"), f("mj"), f("mk")
    lines = ["^bb0(%s: index, %s: index, %s: index, %s: index):" % (
        b, h, i, j),
        "  %s = arith.cmpi ule, %s, %s : index" % (keep, j, i)]
    if window > 0:
        w, jw, kw, both = f("mw"), f("mjw"), f("mkw"), f("mkk")
        lines += ["  %s = arith.constant %d : index" % (w, window - 1),
                  "  %s = arith.addi %s, %s : index" % (jw, j, w),
                  "  %s = arith.cmpi uge, %s, %s : index" % (kw, jw, i),
                  "  %s = arith.andi %s, %s : i1" % (both, keep, kw)]
        keep = both
    return lines + ["  attn.yield %s : i1" % keep, "}"]


def group_query_attention(imp, node, present_shape):
    """com.microsoft GroupQueryAttention: query [B, S, Hq*D] (or packed
    QKV [B, S, (Hq + 2 Hkv) D] without key/value), key/value [B, S, Hkv*D],
    optional past_key/past_value [B, Hkv, P, D], seqlens_k [B] (i32, total
    length - 1 per sequence), total_sequence_length. Returns (output,
    present_key, present_value); `present_shape(i)` is the declared shape
    of output i or None."""
    ins = list(node.input) + [""] * (7 - len(node.input))
    for name, i in zip(_GQA_EXTRA_INPUTS, range(7, len(ins))):
        if ins[i]:
            imp.fail("input '%s' is not supported" % name)
    for a in ("do_rotary", "qk_output"):
        if imp.attr(node, a, 0):
            imp.fail("attribute %s = %d is not supported" % (
                a, imp.attr(node, a)))
    if not ins[5] or not ins[6]:
        imp.fail("seqlens_k and total_sequence_length are required")
    hq, hkv = imp.attr(node, "num_heads"), imp.attr(node, "kv_num_heads")
    if not hq or not hkv or hq % hkv:
        imp.fail("num_heads (%s) must be a positive multiple of kv_num_heads "
                 "(%s)" % (hq, hkv))
    q = imp.get(ins[0])
    if len(q[1]) != 3 or q[2] not in ("f32", "f16"):
        imp.fail("query must be f32 or f16 [B, S, E]")
    b, s, e = q[1]
    if bool(ins[1]) != bool(ins[2]):
        imp.fail("key and value must both be given or both be absent")
    if ins[1]:
        if e % hq:
            imp.fail("query width %d is not a multiple of num_heads %d" %
                     (e, hq))
        d = e // hq
        k, v = imp.get(ins[1]), imp.get(ins[2])
    else:
        if e % (hq + 2 * hkv):
            imp.fail("packed QKV width %d is not a multiple of num_heads + "
                     "2 * kv_num_heads = %d" % (e, hq + 2 * hkv))
        d = e // (hq + 2 * hkv)
        q, k, v = [_slice_last(imp, q, off, width) for off, width in (
            (0, hq * d), (hq * d, hkv * d), ((hq + hkv) * d, hkv * d))]
    for name, t in (("key", k), ("value", v)):
        if tuple(t[1]) != (b, s, hkv * d) or t[2] != q[2]:
            imp.fail("%s must be %s [%d, %d, %d], got %s %s" % (
                name, q[2], b, s, hkv * d, t[2], list(t[1])))
    seqlens = imp.get(ins[5])
    if tuple(seqlens[1]) != (b,) or seqlens[2] != "i32":
        imp.fail("seqlens_k must be i32 [%d], got %s %s" % (
            b, seqlens[2], list(seqlens[1])))
    if imp.get(ins[6])[1] not in ((), (1,)):
        imp.fail("total_sequence_length must be a scalar")
    if bool(ins[3]) != bool(ins[4]):
        imp.fail("past_key and past_value must both be given or both be "
                 "absent")
    has_past = bool(ins[3])
    pk = pv = None
    plen = 0
    if has_past:
        pk, pv = imp.get(ins[3]), imp.get(ins[4])
        plen = pk[1][2] if len(pk[1]) == 4 else -1
        for name, t in (("past_key", pk), ("past_value", pv)):
            if (len(t[1]) != 4 or tuple(t[1]) != (b, hkv, plen, d) or
                    t[2] != q[2]):
                imp.fail("%s must be %s [%d, %d, P, %d] (BNSH), got %s %s" %
                         (name, q[2], b, hkv, d, t[2], list(t[1])))
    # The present length is ONNX Runtime's max(total_sequence_length, P):
    # the declared output shape when there is one, else P + S (a past
    # buffer that is not shared with the present).
    length = plen + s
    for i in (1, 2):
        shape = present_shape(i)
        if shape is not None:
            if len(shape) != 4 or tuple(shape[:2]) != (b, hkv) or \
                    shape[3] != d or shape[2] < max(plen, s):
                imp.fail("output %d is declared %s, not [%d, %d, >= %d, %d]"
                         % (i, list(shape), b, hkv, max(plen, s), d))
            length = shape[2]
    scale = imp.attr(node, "scale", 0.0) or 1.0 / np.sqrt(d)
    softcap = imp.attr(node, "softcap", 0.0)
    window = imp.attr(node, "local_window_size", -1)
    if window == 0 or window < -1:
        imp.fail("local_window_size must be -1 (none) or positive, got %d" %
                 window)
    smooth = imp.attr(node, "smooth_softmax", 0)

    def heads(t, h):
        return imp.transpose(imp.reshape_val(t, (b, s, h, d)), (0, 2, 1, 3))
    qh, kn, vn = heads(q, hq), heads(k, hkv), heads(v, hkv)
    present_k = _present(imp, kn, pk, seqlens, length, has_past)
    present_v = _present(imp, vn, pv, seqlens, length, has_past)
    c1 = imp.fresh("c")
    lens = imp.elementwise([seqlens], [
        "%s = arith.constant 1 : i32" % c1,
        "%%r = arith.addi {a0}, %s : i32" % c1])
    dt = q[2]
    out_t = imp_ty((None, (b, hq, s, d), dt))
    kv_t = imp_ty((None, (b, hkv, length, d), dt))
    init = imp.empty((b, hq, s, d), dt)
    operands = "ins(%s, %s, %s : %s, %s, %s) kv_lengths(%s : %s)" % (
        qh[0], present_k[0], present_v[0], out_t, kv_t, kv_t, lens[0],
        imp_ty(lens))
    if smooth:
        sinks = imp.filled((hq,), "f32", "0.0")
        operands += " sinks(%s : tensor<%dxf32>)" % (sinks, hq)
    attrs = ["scale = %r : f64" % float(scale)]
    if softcap:
        attrs.append("softcap = %r : f64" % float(softcap))
    if has_past:
        masks = ["#attn.causal"]
        if window > 0:
            masks.append("#attn.sliding_window<left = %d, right = 0>" %
                         (window - 1))
        attrs.append("masks = [%s]" % ", ".join(masks))
    o = imp.fresh("gqa")
    imp.emit("%s = attn.attention %s outs(%s : %s) {%s} -> %s" % (
        o, operands, init, out_t, ", ".join(attrs), out_t))
    if not has_past:
        imp.lines[-1] += " mask_mod {"
        for line in _prompt_mask_mod(imp, window):
            imp.emit("  " + line)
    out = imp.reshape_val(imp.transpose((o, (b, hq, s, d), dt),
                                        (0, 2, 1, 3)), (b, s, hq * d))
    return [out, present_k, present_v]
