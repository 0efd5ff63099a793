#!/usr/bin/env bash
# README command 2: set up, build and run every test (lit suite check-attn:
# IR tests, CPU execution tests, the random-variant numpy check), then the
# robustness steps of issue #17: the ASan + UBSan build (build-asan/), the
# lit suite under it, and a bounded fuzz run on a fixed seed. The last line
# counts every lit test of both runs plus the fuzz run as one test.
# The robustness steps run by default (and in CI); ATTN_SANITIZERS=0 runs
# the plain suite only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
log=$(mktemp)
status=0
cmake --build build --target check-attn 2>&1 | tee "$log" || status=$?
count() {
  local n
  n=$(sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -1)
  echo "${n:-0}"
}
passed=$(count Passed)
failed=$(count Failed)

if [ "${ATTN_SANITIZERS:-1}" = 1 ]; then
  echo "== sanitizer build (ASan + UBSan) and lit suite under it"
  if bash scripts/build-asan.sh; then
    : >"$log"
    cmake --build build-asan --target check-attn 2>&1 | tee "$log" || status=1
    passed=$((passed + $(count Passed)))
    failed=$((failed + $(count Failed)))
    echo "== fuzz run (${ATTN_FUZZ_SECONDS:-180} s, seed 1)"
    if bash scripts/fuzz.sh "${ATTN_FUZZ_SECONDS:-180}" 1; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      status=1
    fi
  else
    failed=$((failed + 1))
    status=1
  fi
fi
rm -f "$log"
# One plain summary line for tools that read the closing line.
echo "${passed} passed, ${failed} failed"
exit "$status"
