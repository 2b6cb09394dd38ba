#!/usr/bin/env bash
# N-2 contingency benchmark: sphere (LEMON, 1 and 2 threads) against networkx doing the same
# sweep with the same exact pruning, on a generated network of 2,000 nodes and 6,000 links.
# Builds nothing: uses the Release binary (SPHERE=path/to/sphere, default build/sphere).
# networkx is slow enough that by default it sweeps only the pairs whose first link is among the
# first NX_FIRST=200 links (compared per max-flow); NX_FIRST=all makes it do the whole sweep (it
# did not finish in 11 minutes of CPU here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sphere="${SPHERE:-$root/build/sphere}"
py=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
graph="$work/ring-2000-6000.max"

"$py" "$here/make_graph.py" "$graph" 2000 6000 1 200
echo "network: 2000 nodes, 6000 links, source 1, sink 201 (bench/network/make_graph.py, seed 1)"

for threads in 1 2; do
  "$sphere" network contingency --dimacs "$graph" --k 2 --threads "$threads" --top 20 --json \
    > "$work/sphere-$threads.json"
done
nx_first="${NX_FIRST:-200}"
[ "$nx_first" = all ] && nx_first=""
"$py" "$here/nx_sweep.py" "$graph" 2 $nx_first > "$work/nx.json"

"$py" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
s1 = json.load(open(f"{w}/sphere-1.json"))
s2 = json.load(open(f"{w}/sphere-2.json"))
nx = json.load(open(f"{w}/nx.json"))
print(f"sphere, 1 thread : {s1['seconds']:8.3f} s wall {s1['cpu_seconds']:8.3f} s cpu  {s1['solved']:6d} max-flows  "
      f"{s1['with_loss']} of {s1['scenarios']} pairs lose delivery")
print(f"sphere, 2 threads: {s2['seconds']:8.3f} s wall {s2['cpu_seconds']:8.3f} s cpu  "
      f"speed-up 1->2 threads (wall): {s1['seconds'] / s2['seconds']:.2f}x")
print(f"networkx         : {nx['seconds']:8.3f} s wall {nx['cpu_seconds']:8.3f} s cpu  {nx['solved']:6d} max-flows  "
      f"{nx['with_loss']} pairs lose delivery")
assert [f["failed"] for f in s1["worst"]] == [f["failed"] for f in s2["worst"]], "thread count changed the ranking"
if nx["with_loss"] == s1["with_loss"]:
    assert [f["lost"] for f in s1["worst"]] == nx["worst"][:len(s1["worst"])], "rankings differ"
    print("same result: as many losing pairs, and the 20 worst losses agree")
    print(f"ratio networkx / sphere (1 thread), whole sweep: {nx['seconds'] / s1['seconds']:.0f}x wall, "
          f"{nx['cpu_seconds'] / s1['cpu_seconds']:.0f}x cpu")
else:
    print("networkx did a partial sweep (NX_FIRST); compare the time per max-flow")
per_nx = nx["cpu_seconds"] / nx["solved"]
per_s = s1["cpu_seconds"] / s1["solved"]
print(f"cpu time per max-flow: networkx {per_nx * 1e3:.1f} ms, sphere {per_s * 1e3:.3f} ms, ratio {per_nx / per_s:.0f}x")
PY
