#!/usr/bin/env bash
# Runs every libFuzzer harness built in BUILD for SECONDS each, starting from the committed seed
# corpus (fuzz/corpus/NAME) and the inputs kept by earlier runs (BUILD/corpus/NAME). Prints each
# harness's executions and crashes; exits 1 when any harness crashed (its input is kept in
# BUILD/crashes/).
# usage: fuzz/run.sh BUILD SECONDS
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh BUILD SECONDS}"
seconds="${2:-60}"
mkdir -p "$build/crashes"
failed=0
printf '%-14s %10s %10s %8s\n' harness seconds execs crashes
for name in fuzz_date fuzz_partial fuzz_events fuzz_model fuzz_shock; do
  mkdir -p "$build/corpus/$name"
  log="$build/$name.log"
  # -rss_limit_mb: an input that makes a harness allocate beyond this is a finding too.
  "$build/$name" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$build/crashes/$name-" \
    "$build/corpus/$name" "$here/corpus/$name" >"$log" 2>&1
  code=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  crashes=0
  if [ "$code" -ne 0 ]; then
    crashes=1
    failed=1
    echo "$name: exit $code; see $log" >&2
    grep -m3 -E 'ERROR|runtime error|deadly signal' "$log" >&2 || true
  fi
  printf '%-14s %10s %10s %8s\n' "$name" "$seconds" "${execs:-?}" "$crashes"
done
exit "$failed"
