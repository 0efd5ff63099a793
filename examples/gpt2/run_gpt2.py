#!/usr/bin/env python3
"""Compiles the GPT-2-style decoder of examples/gpt2 through attn-opt
(`--attn-raise` when the build has it, then `--attn-cpu-pipeline`), runs it
on random weights and checks the logits against an independent numpy
float64 implementation of the same model.

    PYTHONPATH=python python3 examples/gpt2/run_gpt2.py
    PYTHONPATH=python python3 examples/gpt2/run_gpt2.py --layers 1 --seq 32

Exits non-zero when the logits miss the tolerance, or when --expect-raised
is given and the raise produced another number of attn.attention ops.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import gen_model  # noqa: E402
from attn import runner  # noqa: E402

DEFAULT_TOLERANCE = 2e-5


# Weights ------------------------------------------------------------------

def random_weights(cfg, seed):
    """Random weights in GPT-2's layout, scaled so that every block does
    real work: unit-variance projections (std 1/sqrt(fan_in)), so attention
    scores have O(1) spread and the softmax is far from uniform; the output
    projections get GPT-2's extra 1/sqrt(2 * layers)."""
    rng = np.random.default_rng(seed)
    resid_scale = 1.0 / math.sqrt(2 * cfg.layers)
    out = {}
    for name, shape, elem in gen_model.params(cfg):
        if name == "tokens":
            a = rng.integers(0, cfg.vocab, size=shape, dtype=np.int64)
        elif name in ("wte", "wpe"):
            a = 0.1 * rng.standard_normal(shape)
        elif name.endswith(".g"):
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith(".b"):
            a = 0.02 * rng.standard_normal(shape)
        else:
            a = rng.standard_normal(shape) / math.sqrt(shape[0])
            if name.endswith("c_proj.w"):
                a *= resid_scale
        out[name] = runner.to_storage(a, elem)
    return out


# Independent float64 model ------------------------------------------------

def layer_norm(x, g, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + gen_model.LN_EPS) * g + b


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi)
                                    * (x + 0.044715 * x ** 3)))


def reference_logits(cfg, w):
    """GPT-2 forward pass in float64 on the (f32-rounded) weights."""
    f = {k: (v if k == "tokens" else v.astype(np.float64))
         for k, v in w.items()}
    L, d, h = cfg.seq, cfg.d_model, cfg.heads
    dh = d // h
    x = f["wte"][f["tokens"]] + f["wpe"]
    causal = np.triu(np.ones((L, L), dtype=bool), k=1)
    for i in range(cfg.layers):
        p = lambda n: f["h%d.%s" % (i, n)]
        a = layer_norm(x, p("ln_1.g"), p("ln_1.b"))
        qkv = a @ p("attn.c_attn.w") + p("attn.c_attn.b")
        q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(L, h, dh)
                   .transpose(1, 0, 2) for j in range(3))
        s = np.einsum("hid,hjd->hij", q, k) / math.sqrt(dh)
        s[:, causal] = -np.inf
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        o = np.einsum("hij,hjd->hid", s, v).transpose(1, 0, 2).reshape(L, d)
        x = x + o @ p("attn.c_proj.w") + p("attn.c_proj.b")
        m = layer_norm(x, p("ln_2.g"), p("ln_2.b"))
        m = gelu_tanh(m @ p("mlp.c_fc.w") + p("mlp.c_fc.b"))
        x = x + m @ p("mlp.c_proj.w") + p("mlp.c_proj.b")
    x = layer_norm(x, f["ln_f.g"], f["ln_f.b"])
    return x @ f["wte"].T


# Compilation --------------------------------------------------------------

def has_raise_pass():
    p = subprocess.run([runner.attn_opt(), "--help"], capture_output=True,
                       text=True)
    return re.search(r"^\s*--attn-raise(?=\s)", p.stdout, re.M) is not None


def count_attention_ops(ir):
    return len(re.findall(r"=\s*attn\.attention\b", ir))


def model_source(cfg):
    committed = os.path.join(HERE, "gpt2.mlir")
    if cfg == gen_model.DEFAULT and os.path.exists(committed):
        return "gpt2.mlir", open(committed).read()
    return "generated", gen_model.generate(cfg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen_model.add_config_args(ap)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                    help="bound on max|logits - ref| / max|ref|")
    ap.add_argument("--expect-raised", type=int, default=None, metavar="N",
                    help="fail unless --attn-raise produced N attn.attention "
                    "ops")
    ap.add_argument("--no-raise", action="store_true",
                    help="skip --attn-raise even when attn-opt has it")
    ap.add_argument("--pipeline", default="attn-cpu-pipeline",
                    help="attn-opt pipeline flag without the dashes, options "
                    "included: 'attn-cpu-pipeline=parallel=false'")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run the forward pass N times and print the "
                    "fastest (timings on a shared machine)")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep the intermediate files (raised IR, LLVM IR, "
                    "shared library) in DIR")
    args = ap.parse_args()
    cfg = gen_model.config_from_args(args)

    origin, src = model_source(cfg)
    print("model: %d layers, L=%d, d_model=%d, %d heads x %d, MLP %d, "
          "vocab %d (%s)" % (cfg.layers, cfg.seq, cfg.d_model, cfg.heads,
                             cfg.d_model // cfg.heads, cfg.d_mlp, cfg.vocab,
                             origin))
    workdir = args.keep or tempfile.mkdtemp(prefix="attn-gpt2-")
    os.makedirs(workdir, exist_ok=True)

    ok = True
    t0 = time.perf_counter()
    if args.no_raise or not has_raise_pass():
        why = "--no-raise" if args.no_raise else "attn-opt has no --attn-raise"
        raised, n_raised = src, 0
        print("raise: skipped (%s)" % why)
    else:
        src_path = os.path.join(workdir, "gpt2.mlir")
        with open(src_path, "w") as f:
            f.write(src)
        try:
            raised = runner._run([runner.attn_opt(), src_path, "--attn-raise"])
        except runner.CompileError as e:
            print(e, file=sys.stderr)
            return 1
        with open(os.path.join(workdir, "gpt2.raised.mlir"), "w") as f:
            f.write(raised)
        n_raised = count_attention_ops(raised)
        print("raise: attn-opt --attn-raise in %.2f s"
              % (time.perf_counter() - t0))
    print("attn.attention ops after raising: %d" % n_raised)
    if args.expect_raised is not None and n_raised != args.expect_raised:
        print("expected %d attn.attention ops: FAIL" % args.expect_raised)
        ok = False

    t1 = time.perf_counter()
    try:
        lib = runner.compile_module(raised, workdir=workdir,
                                    pipeline=args.pipeline)
    except runner.CompileError as e:
        print(e, file=sys.stderr)
        return 1
    t2 = time.perf_counter()
    print("compile: attn-opt --%s + mlir-translate + clang in %.2f s"
          % (args.pipeline, t2 - t1))

    w = random_weights(cfg, args.seed)
    inputs = [w[n] for n, _, _ in gen_model.params(cfg)]
    logits = np.zeros((cfg.seq, cfg.vocab), np.float32)
    times = []
    for _ in range(max(args.repeat, 1)):
        t3 = time.perf_counter()
        runner.call(lib, "gpt2", inputs, [logits])
        times.append(time.perf_counter() - t3)
    if len(times) == 1:
        print("run: gpt2 forward pass in %.1f ms" % (times[0] * 1e3))
    else:
        print("run: gpt2 forward pass in %.1f ms (fastest of %d; slowest "
              "%.1f ms)" % (min(times) * 1e3, len(times), max(times) * 1e3))

    ref = reference_logits(cfg, w)
    y = logits.astype(np.float64)
    abs_err = float(np.max(np.abs(y - ref)))
    rel_err = abs_err / float(np.max(np.abs(ref)))
    agree = int(np.sum(np.argmax(y, axis=-1) == np.argmax(ref, axis=-1)))
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("logits[-1, :6] =", logits[-1, :6])
    print("max |logit| = %.3f, argmax agreement with numpy: %d/%d"
          % (np.max(np.abs(ref)), agree, cfg.seq))
    print("max abs error vs numpy float64: %.3e" % abs_err)
    finite = bool(np.all(np.isfinite(logits)))
    passed = finite and rel_err <= args.tolerance
    print("max rel error vs numpy float64: %.3e (tolerance %.0e): %s"
          % (rel_err, args.tolerance, "PASS" if passed else "FAIL"))
    return 0 if ok and passed else 1


if __name__ == "__main__":
    sys.exit(main())
