#!/usr/bin/env bash
# Runs every libFuzzer target of the build with its seed corpus for MINUTES
# minutes each (default 1), one after the other, and prints one table row
# per target: executions, rate, new corpus units and findings. Inputs that
# crash are kept in $FUZZ_DIR/<target>/findings (default /tmp/tfm-fuzz).
#
#   scripts/fuzz.sh [MINUTES]
#
# The targets and corpora come from the build (TFM_BUILD_DIR, default
# build/; configure it with -DTFM_ENABLE_FUZZERS=ON, as scripts/dev.sh test
# does). docs/reliability.md records the runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TFM_BUILD_DIR:-$ROOT/build}"
WORK="${FUZZ_DIR:-/tmp/tfm-fuzz}"
minutes="${1:-1}"
[[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || {
  echo "usage: scripts/fuzz.sh [MINUTES] (a whole number above 0)" >&2
  exit 2
}
ninja -C "$BUILD" tfm-fuzzers >/dev/null
targets=(gguf llama2c safetensors hfconfig tokenizer encode tokenizerjson tfmir
         pipelines)

echo "| Target | Time | Executions | Exec/s | New units | Findings |"
echo "|--------|------|-----------:|-------:|----------:|---------:|"
status=0
for target in "${targets[@]}"; do
  corpus="$WORK/$target/corpus"
  findings="$WORK/$target/findings"
  mkdir -p "$corpus" "$findings"
  log="$WORK/$target/log.txt"
  if "$BUILD/bin/fuzz-$target" -max_total_time=$((minutes * 60)) \
       -print_final_stats=1 -artifact_prefix="$findings/" \
       "$corpus" "$BUILD/test/Fuzz/corpus/$target" >"$log" 2>&1; then
    found=0
  else
    found=$(find "$findings" -type f | wc -l)
    status=1
  fi
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  runs=$(stat number_of_executed_units)
  echo "| fuzz-$target | ${minutes} min | ${runs:-0} | $(stat average_exec_per_sec) |" \
       "$(stat new_units_added) | $found |"
done
exit $status
