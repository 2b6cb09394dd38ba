#!/usr/bin/env bash
# Scenario-engine benchmark: sphere forecast (C++, 1 and 2 threads) against the plain NumPy
# implementation of the same dynamics (numpy_sim.py), after checking that both give the same
# trajectories for the same random draws; prints trajectories/s per core, the ratio, the thread
# speed-up and peak memory for 4,000 to 200,000 runs. Builds nothing: uses the Release binary
# (SPHERE=path/to/sphere, default build/sphere).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sphere="${SPHERE:-$root/build/sphere}"
cd "$here"
/usr/bin/python3 "$here/bench.py" "$sphere"
