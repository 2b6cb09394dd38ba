#!/usr/bin/env bash
# Runs every libFuzzer harness built in BUILD for SECONDS each, JOBS at a time, starting from the
# committed seed corpus (fuzz/corpus/NAME) and the inputs kept by earlier runs (BUILD/corpus/NAME).
# Prints each harness's executions, rate (per second and per CPU second) and crashes; exits 1
# when any harness crashed or did not run (its input is kept in BUILD/crashes/, its log in
# BUILD/NAME.log).
# usage: fuzz/run.sh BUILD SECONDS [JOBS]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh BUILD SECONDS [JOBS]}"
seconds="${2:-60}"
jobs="${3:-1}"
harnesses=(fuzz_date fuzz_options fuzz_partial fuzz_events fuzz_model fuzz_model_events
           fuzz_model_dir fuzz_calibration fuzz_backtest fuzz_dimacs fuzz_shock fuzz_panel fuzz_http)
mkdir -p "$build/crashes"

# Flags of one harness. events.csv inputs stay within 1 KB (about seven rows): longer ones only
# repeat rows, and at libFuzzer's default of 4 KB the rate fell to about 700 a second from 1,900.
harness_flags() {
  case "$1" in
    fuzz_model_events) echo -max_len=1024 ;;
  esac
}

run_one() {
  local name="$1"
  mkdir -p "$build/corpus/$name"
  local flags
  read -r -a flags <<<"$(harness_flags "$name")"
  # -rss_limit_mb: an input that makes a harness allocate beyond this is a finding too. Its CPU
  # time is kept too: on a shared machine, executions per CPU second are the comparable rate.
  local TIMEFORMAT='%U %S'
  { time "$build/$name" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -timeout=10 "${flags[@]}" -artifact_prefix="$build/crashes/$name-" \
      "$build/corpus/$name" "$here/corpus/$name" >"$build/$name.log" 2>&1
    echo $? >"$build/$name.code"; } 2>"$build/$name.cpu"
}

running=0
for name in "${harnesses[@]}"; do
  rm -f "$build/$name.code"
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
printf '%-17s %8s %12s %10s %8s %14s %8s\n' harness seconds execs 'execs/s' 'CPU s' 'execs/CPU s' crashes
for name in "${harnesses[@]}"; do
  log="$build/$name.log"
  code="$(cat "$build/$name.code" 2>/dev/null || echo 1)"
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  rate="?"
  [ -n "$execs" ] && rate=$((execs / seconds))
  crashes=0
  if [ "$code" -ne 0 ] || [ -z "$execs" ]; then
    crashes=1
    failed=1
    echo "$name: exit $code; see $log" >&2
    grep -m3 -E 'ERROR|runtime error|deadly signal|out-of-memory' "$log" >&2 || true
  fi
  cpu="$(awk '{printf "%.1f", $1 + $2}' "$build/$name.cpu" 2>/dev/null || echo '?')"
  per_cpu="$(awk -v e="${execs:-0}" -v c="$cpu" 'BEGIN {print (c > 0) ? int(e / c) : "?"}')"
  printf '%-17s %8s %12s %10s %8s %14s %8s\n' "$name" "$seconds" "${execs:-?}" "$rate" "$cpu" "$per_cpu" "$crashes"
done
exit "$failed"
