#!/usr/bin/env bash
# `sphere calibrate` on the whole shared GDELT monthly panel against a NumPy/SciPy reference
# fitting the same likelihood and, like sphere, the null fit and the standard errors: CPU seconds
# of each (the reference's also for its estimates alone), their ratios, and the largest
# differences between the estimates and between the standard errors.
# usage: bench/calibrate/run.sh [build/sphere] [panel.csv]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
panel="${2:-$here/../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv}"
[ -f "$panel" ] || { echo "panel absent: $panel (the shared data folder sits beside the repository)"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f "%U %S %M" -o "$out/sphere.time" "$sphere" calibrate --panel "$panel" \
  --target days_negative --no-write --json --threads 1 > "$out/sphere.json"
/usr/bin/time -f "%U %S %M" -o "$out/python.time" /usr/bin/python3 "$here/reference.py" "$panel" \
  days_negative days_positive --full > "$out/python.json"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/sphere.json")); p = json.load(open(f"{d}/python.json"))
def cpu(name):
    u, sy, mem = open(f"{d}/{name}.time").read().split()
    return float(u) + float(sy), int(mem) / 1024
ts, ms = cpu("sphere"); tp, mp = cpu("python")
diff = 0.0
for fs, fp in zip(s["fits"], p["fits"]):
    for k, v in fp["params"].items():
        mine = fs["trend"]["value"] if k == "trend" else fs["params"][k]["value"]
        diff = max(diff, abs(mine - v))
        print(f'{fs["measure"]:14} {k:6} sphere {mine: .6f}  python {v: .6f}')
    print(f'{fs["measure"]:14} trend standard error: sphere {fs["trend"]["se"]:.6f}  NumPy {fp["trend_se"]:.6f}')
    worst_se = max(abs(fs["params"][k]["se"] - v) / v for k, v in fp["se"].items() if v > 0)
    print(f'{fs["measure"]:14} standard errors: largest relative difference {worst_se:.1e}; '
          f'null log-likelihood sphere {fs["loglik_null"]:.2f}  python {fp["loglik_null"]:.2f}')
print(f"pairs {p['pairs']}; largest difference between the estimates {diff:.2e}")
print(f"CPU seconds: sphere {ts:.2f} (1 thread, peak {ms:.0f} MiB: estimates, null fits, standard errors), "
      f"NumPy/SciPy {tp:.2f} (peak {mp:.0f} MiB), of which the estimates alone {p['cpu_estimates']:.2f}; "
      f"ratio {tp/ts:.1f}x the same work, {p['cpu_estimates']/ts:.1f}x against the estimates alone")
PY
