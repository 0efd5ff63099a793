#!/usr/bin/env python3
"""CPU benchmark of attention over selected key blocks (issue 15): the
key-block lists of attn.attention (`kv_blocks`) fed by attn.select_blocks,
against dense causal flash attention of the same shape.

    PYTHONPATH=python /usr/bin/python3 bench/cpu/block_sparse_attention.py \\
        [--n 8192] [--d 64] [--k 8 16 32] [--reps 3]

Shape (the issue's setting): causal, Hq = 8, Hkv = 2 (GQA 8:2), f32,
64-key blocks, one list per GQA group and 64-query block (top k of
mean-pooled block scores, first and local block forced). For each k:
the sparse attention alone, selection + sparse attention end to end (one
compiled function), the selected fraction of the causal key area, and the
ratios against dense x fraction (target <= 1.2 including selection). Times
are the best of --reps, the two sides interleaved, in one process.
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from attn import runner  # noqa: E402

HQ, HKV, BK, BQ = 8, 2, 64, 64


def module(n, d, ks):
    nb, nq = n // BK, n // BQ
    t = dict(q="tensor<1x%dx%dx%dxf32>" % (HQ, n, d),
             kv="tensor<1x%dx%dx%dxf32>" % (HKV, n, d),
             s="tensor<1x%dx%dx%dxf32>" % (HKV, nq, nb),
             c="tensor<1x%dx%dxi32>" % (HKV, nq), bk=BK, bq=BQ)
    out = ["""func.func @dense(%%q: %(q)s, %%k: %(kv)s, %%v: %(kv)s) -> %(q)s {
  %%i = tensor.empty() : %(q)s
  %%o = attn.attention ins(%%q, %%k, %%v : %(q)s, %(kv)s, %(kv)s) outs(%%i : %(q)s)
      {masks = [#attn.causal]} -> %(q)s
  return %%o : %(q)s
}""" % t]
    for k in ks:
        t.update(k=k, ix="tensor<1x%dx%dx%dxi32>" % (HKV, nq, k))
        sparse = """  %%i = tensor.empty() : %(q)s
  %%o = attn.attention ins(%%q, %%k, %%v : %(q)s, %(kv)s, %(kv)s)
      kv_blocks(%%cn, %%id : %(c)s, %(ix)s) outs(%%i : %(q)s)
      {masks = [#attn.causal], q_block_size = %(bq)d : i64,
       kv_block_size = %(bk)d : i64, kv_blocks_per_group} -> %(q)s
  return %%o : %(q)s""" % t
        select = """  %%si = tensor.empty() : %(s)s
  %%s = attn.block_scores ins(%%q, %%k : %(q)s, %(kv)s) outs(%%si : %(s)s)
      {block_size = %(bk)d, query_block = %(bq)d, causal} -> %(s)s
  %%ci = tensor.empty() : %(c)s
  %%ii = tensor.empty() : %(ix)s
  %%cn, %%id = attn.select_blocks ins(%%s : %(s)s) outs(%%ci, %%ii : %(c)s, %(ix)s)
      {k = %(k)d, block_size = %(bk)d, query_block = %(bq)d, causal,
       forced_first = 1, local = 1} -> %(c)s, %(ix)s""" % t
        out.append("""func.func @select%(k)d(%%q: %(q)s, %%k: %(kv)s) -> (%(c)s, %(ix)s) {
""" % t + select + """
  return %%cn, %%id : %(c)s, %(ix)s
}""" % t)
        out.append("""func.func @sparse%(k)d(%%q: %(q)s, %%k: %(kv)s, %%v: %(kv)s, %%cn: %(c)s, %%id: %(ix)s) -> %(q)s {
""" % t + sparse + "\n}")
        out.append("""func.func @moba%(k)d(%%q: %(q)s, %%k: %(kv)s, %%v: %(kv)s) -> %(q)s {
""" % t + select + "\n" + sparse + "\n}")
    return "\n".join(out)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args(argv)
    n, d = a.n, a.d
    t0 = time.perf_counter()
    lib = runner.compile_module(module(n, d, a.k))
    print("compile: %.2f s (whole module, %d functions)" % (
        time.perf_counter() - t0, 1 + 3 * len(a.k)))
    rng = np.random.default_rng(0)
    q = rng.standard_normal((1, HQ, n, d)).astype(np.float32)
    k = rng.standard_normal((1, HKV, n, d)).astype(np.float32)
    v = rng.standard_normal((1, HKV, n, d)).astype(np.float32)
    o = np.zeros((1, HQ, n, d), np.float32)
    print("N=%d D=%d Hq=%d Hkv=%d, %d-key blocks, %d-query lists" % (
        n, d, HQ, HKV, BK, BQ))
    for kk in a.k:
        cn = np.zeros((1, HKV, n // BQ), np.int32)
        ix = np.zeros((1, HKV, n // BQ, kk), np.int32)
        runner.call(lib, "select%d" % kk, [q, k], [cn, ix])
        frac = cn.sum() * BQ * BK / (HKV * n * n / 2.0)
        dense, sparse, moba = [], [], []
        for _ in range(a.reps):
            dense.append(timed(lambda: runner.call(lib, "dense", [q, k, v],
                                                   [o])))
            sparse.append(timed(lambda: runner.call(
                lib, "sparse%d" % kk, [q, k, v, cn, ix], [o])))
            moba.append(timed(lambda: runner.call(lib, "moba%d" % kk,
                                                  [q, k, v], [o])))
        td, ts, tm = min(dense), min(sparse), min(moba)
        print("k=%2d fraction %.3f | dense %.3f s | sparse %.3f s = %.2f x "
              "dense*fraction | select+sparse %.3f s = %.2f x dense*fraction "
              "(%.2f x dense) | spread %.2f/%.2f/%.2f" % (
                  kk, frac, td, ts, ts / (td * frac), tm, tm / (td * frac),
                  tm / td, max(dense) / td, max(sparse) / ts,
                  max(moba) / tm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
