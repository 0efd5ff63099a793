#!/usr/bin/env bash
# README command 1: set up, build, compile the GPT-2-style example model
# (linalg on tensors; its attentions raised to attn.attention by attn-raise)
# through attn-opt, run it and check its logits against numpy float64; then
# the GQA attention block example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
PYTHONPATH=python /usr/bin/python3 examples/gpt2/run_gpt2.py --expect-raised 2
PYTHONPATH=python /usr/bin/python3 examples/run_example.py
