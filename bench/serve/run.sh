#!/usr/bin/env bash
# Load test of `sphere serve` on loopback: the max-flow what-if endpoint at 64 connections with
# wrk (Debian package). Builds nothing: pass the Release binary (default build/sphere).
# usage: bench/serve/run.sh [path/to/sphere] [seconds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
seconds="${2:-10}"
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
log="$(mktemp)"
"$sphere" serve --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q '127.0.0.1:' "$log" && break; sleep 0.1; done
port="$(grep -o '127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)"
echo "sphere serve on 127.0.0.1:$port; $(nproc) cores; wrk -t2 -c64 -d${seconds}s"
curl -sf "http://127.0.0.1:$port/api/network/whatif?carrier=gas&cut=scp-east" >/dev/null \
  || { echo "the what-if endpoint does not answer"; exit 1; }
wrk -t2 -c64 -d"${seconds}s" --latency -s "$here/whatif.lua" "http://127.0.0.1:$port" | tail -5
