#!/usr/bin/env bash
# Bargaining benchmarks. Expected utility: sphere (C++) against the plain-Python reference of the same
# specification (eu_reference.py) on every scoreable DEU III issue; checks the forecasts agree to
# 1e-9 and prints the times and ratios, sphere on one thread and on one per CPU. Builds nothing:
# uses the Release binary (SPHERE=path/to/sphere, default build/sphere) and
# ../shared/data/bargaining.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sphere="${SPHERE:-$root/build/sphere}"
deu="${DEU:-$root/../shared/data/bargaining/deu3_dataset_deu_iii.tsv}"
cd "$here"
/usr/bin/python3 "$here/bench.py" "$sphere" "$deu"
# Sampling: sphere bargain --draws 1000 on the built-in issues against sampling.py, the same
# draws and models in plain Python; checks the medians and 90% intervals agree to 1e-6.
/usr/bin/python3 "$here/sampling.py" "$sphere" "${DRAWS:-1000}"
