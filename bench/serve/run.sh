#!/usr/bin/env bash
# Load test of `sphere serve` on loopback: the max-flow what-if endpoint at 64 connections with
# wrk (Debian package), then the cost of the request guards (src/http): the same route served by
# cpp-httplib's plain server and by the guarded one (bench/serve/guards.cpp, built here as
# bench_serve_guards in BUILD), in alternating rounds, compared by median requests/s.
# usage: bench/serve/run.sh [BUILD] [seconds] [rounds]   (BUILD: a Release build, default build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
seconds="${2:-10}"
rounds="${3:-3}"
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
cmake --build "$build" --target sphere bench_serve_guards >/dev/null
log="$(mktemp)"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -f "$log"' EXIT

# Starts a server (its command line as arguments) and waits for its port in $port.
start() {
  "$@" >"$log" 2>&1 &
  pid=$!
  port=
  for _ in $(seq 100); do
    port="$(grep -o -E '(127\.0\.0\.1:|^port )[0-9]+' "$log" | head -1 | grep -o -E '[0-9]+$' || true)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "no port from $*"; cat "$log"; exit 1; }
  curl -sf "http://127.0.0.1:$port/api/network/whatif?carrier=gas&cut=scp-east" >/dev/null \
    || { echo "the what-if endpoint of $* does not answer"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
# wrk at 64 connections; prints its summary and leaves requests/s in $rate and errors in $errors.
load() {
  local out
  out="$(wrk -t2 -c64 -d"${seconds}s" --latency -s "$here/whatif.lua" "http://127.0.0.1:$port" | tail -5)"
  rate="$(echo "$out" | sed -n 's/^requests\/s: //p')"
  errors="$(echo "$out" | sed -n 's/^errors: \([0-9]*\).*/\1/p')"
  echo "$out" | sed 's/^/  /'
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "$(nproc) cores; wrk -t2 -c64 -d${seconds}s on 127.0.0.1"
echo "sphere serve (the built-in model), GET /api/network/whatif?carrier=gas&cut=scp-east:"
start "$build/sphere" serve --port 0
load
stop
total_errors=$errors

guarded=() plain=()
for round in $(seq "$rounds"); do
  for kind in guarded plain; do
    echo "round $round, $kind server:"
    start "$build/bench_serve_guards" "$kind"
    load
    stop
    total_errors=$((total_errors + errors))
    if [ "$kind" = guarded ]; then guarded+=("$rate"); else plain+=("$rate"); fi
  done
done
g="$(median "${guarded[@]}")"
p="$(median "${plain[@]}")"
echo "guarded: ${guarded[*]} requests/s (median $g)"
echo "plain:   ${plain[*]} requests/s (median $p)"
awk -v g="$g" -v p="$p" 'BEGIN {printf "guards: %.0f / %.0f requests/s = %.3f of the plain server (1 = no cost)\n", g, p, g / p}'
echo "errors over every run: $total_errors"
[ "$total_errors" -eq 0 ]
