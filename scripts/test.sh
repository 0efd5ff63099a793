#!/usr/bin/env bash
# README command 2: set up, build and run every test (lit suite check-attn:
# IR tests, CPU execution tests, the random-variant numpy check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cmake --build build --target check-attn
