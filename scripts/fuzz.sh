#!/usr/bin/env bash
# Runs the attn-fuzz libFuzzer target (build-asan/, scripts/build-asan.sh)
# for a bounded time on a fixed seed, seeded from every .mlir under test/
# and examples/ (split at `// -----`). Exits non-zero on a crash, sanitizer
# report, LLVM ERROR or timeout; the input is left in build-asan/fuzz/.
#   scripts/fuzz.sh [seconds] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-180}
seed=${2:-1}
fuzz=build-asan/bin/attn-fuzz
out=build-asan/fuzz
rm -rf "$out/seeds" "$out/corpus"
mkdir -p "$out/seeds" "$out/corpus" "$out/artifacts"
/usr/bin/python3 - "$out/seeds" <<'PY'
import hashlib, pathlib, sys
out = pathlib.Path(sys.argv[1])
n = 0
for root in ("test", "examples"):
    for f in sorted(pathlib.Path(root).rglob("*.mlir")):
        for part in f.read_text().split("// -----"):
            if "func" not in part and "module" not in part:
                continue
            h = hashlib.sha1(part.encode()).hexdigest()[:16]
            (out / h).write_text(part)
            n += 1
print("attn-fuzz: %d seed inputs" % n)
PY
log=$out/fuzz.log
status=0
# The build links the shared sanitizer runtime (CMakeLists.txt); libFuzzer's
# link order puts it after other libraries, so it is preloaded.
rt=$(clang-22 -print-file-name=libclang_rt.asan-x86_64.so)
LD_PRELOAD="$rt" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:allow_user_poisoning=0 \
  "$fuzz" -seed="$seed" -max_total_time="$secs" -timeout=60 \
  -rss_limit_mb=6144 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" "$out/seeds" \
  >"$log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" || true
if [ "$status" -ne 0 ]; then
  tail -60 "$log"
  echo "attn-fuzz: FAILED (exit $status); inputs in $out/artifacts/"
  exit 1
fi
echo "attn-fuzz: no crash in ${secs}s"
