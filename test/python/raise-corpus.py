# RUN: %python %s | FileCheck %s

"""The frontend-style corpus (attn/frontend_graphs.py) compiled as it is
and after --attn-raise: each graph raises its one attention (the
negative_ look-alikes none), and both compiles agree with the float64
numpy model of the graph (relative to the largest output: 1e-4 in f32,
3e-2 in bf16)."""

import subprocess

import numpy as np

from attn import frontend_graphs, runner

TOSA = ("tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor")


def opt(text, *args):
    return subprocess.run([runner.attn_opt(), "-", *args], input=text,
                          capture_output=True, text=True, check=True).stdout


def run(text, g, inputs):
    lib = runner.compile_module(text)
    ins = [runner.to_storage(x, dt) for x, (_, _, dt) in zip(inputs, g.args)]
    outs = [runner.to_storage(np.zeros(shape), dt) for shape, dt in g.results]
    runner.call(lib, g.name, ins, outs)
    # The first result is the attention output.
    return runner.from_storage(outs[0], g.results[0][1])


rng = np.random.default_rng(7)
for name, build in frontend_graphs.CORPUS.items():
    text, g, model, make_inputs, expected = build()
    inputs = make_inputs(rng)
    # The model sees the inputs as the graph stores them.
    inputs = [runner.from_storage(runner.to_storage(x, dt), dt)
              for x, (_, _, dt) in zip(inputs, g.args)]
    ref = model(*inputs)
    raised = opt(text, "--attn-raise")
    count = raised.count("attn.attention ins(")
    plain = text
    if "tosa." in text:
        plain = opt(text, "--pass-pipeline=builtin.module(func.func(%s))" %
                    TOSA)
        raised = opt(raised, "--pass-pipeline=builtin.module(func.func(%s))"
                     % TOSA)
    tol = 3e-2 if g.results[0][1] == "bf16" or "bf16" in name else 1e-4
    scale = np.abs(ref).max()
    errs = [np.abs(run(t, g, inputs) - ref).max() / scale
            for t in (plain, raised)]
    print("%s: raised %d (expected %d), unraised %s, raised %s" % (
        name, count, expected, "ok" if errs[0] <= tol else "BAD %g" % errs[0],
        "ok" if errs[1] <= tol else "BAD %g" % errs[1]))

# CHECK: bert_torch: raised 1 (expected 1), unraised ok, raised ok
# CHECK: bert_masked_fill_torch: raised 1 (expected 1), unraised ok, raised ok
# CHECK: gpt2_torch: raised 1 (expected 1), unraised ok, raised ok
# CHECK: llama_gqa_torch_f32: raised 1 (expected 1), unraised ok, raised ok
# CHECK: llama_gqa_torch_bf16: raised 1 (expected 1), unraised ok, raised ok
# CHECK: t5_torch: raised 1 (expected 1), unraised ok, raised ok
# CHECK: transposed_scores_linalg: raised 1 (expected 1), unraised ok, raised ok
# CHECK: bert_keras_tosa_f32: raised 1 (expected 1), unraised ok, raised ok
# CHECK: bert_keras_tosa_bf16: raised 1 (expected 1), unraised ok, raised ok
# CHECK: gpt_keras_tosa_f32: raised 1 (expected 1), unraised ok, raised ok
# CHECK: gpt_keras_tosa_bf16: raised 1 (expected 1), unraised ok, raised ok
# CHECK: t5_tosa: raised 1 (expected 1), unraised ok, raised ok
# CHECK: bert_torch_one_head: raised 1 (expected 1), unraised ok, raised ok
# CHECK: gpt_keras_tosa_one_head: raised 1 (expected 1), unraised ok, raised ok
# CHECK: swapped_roles_linalg: raised 1 (expected 1), unraised ok, raised ok
# CHECK: negative_mask_alpha_two: raised 0 (expected 0), unraised ok, raised ok
# CHECK: negative_argmax_used: raised 0 (expected 0), unraised ok, raised ok
