#!/usr/bin/env bash
# README command 2: set up, build and run every test (lit suite check-attn:
# IR tests, CPU execution tests, the random-variant numpy check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
log=$(mktemp)
status=0
cmake --build build --target check-attn 2>&1 | tee "$log" || status=$?
# One plain summary line for tools that read the closing line.
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
