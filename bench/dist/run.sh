#!/usr/bin/env bash
# Scaling of a sharded forecast (or Morris sensitivity analysis): 1 process vs 2 shards run
# concurrently (+ merge), and `mpirun -n 2` when the binary was built with -DSPHERE_WITH_MPI=ON.
# Builds nothing: pass the Release binary (default build/sphere).
# Usage: bench/dist/run.sh [SPHERE] [RUNS] or bench/dist/run.sh SPHERE TRAJECTORIES sensitivity
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec /usr/bin/python3 "$here/scale.py" "${1:-$here/../../build/sphere}" "${2:-40000}" "${3:-forecast}"
