#!/usr/bin/env bash
# README command 1: set up, build, compile the example model's attention
# block through attn-opt and run it against the numpy reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
PYTHONPATH=python /usr/bin/python3 examples/run_example.py "$@"
