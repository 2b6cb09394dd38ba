#!/usr/bin/env bash
# The GDELT level backtest (sum_score, all pairs, horizon 1, one fit on the data before 2020-01)
# by sphere and by a NumPy/SciPy reference of the same one-step hurdle forecasts and baselines
# (levels_reference.py, given sphere's fitted level model): the mean CRPS of each model from both
# (they must agree), and CPU seconds. Each side runs with origins 2020-01..2022-12 and with 2020-01
# alone; the difference is the cost of 35 origins of forecasting and scoring, without reading the
# panel or (sphere) fitting, which the reference does not do. sphere also scores the Gaussian AR,
# persistence with changes and the AR baseline, which the reference does not.
# usage: bench/backtest/levels.sh [build/sphere] [panel.csv]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
panel="${2:-$here/../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv}"
[ -f "$panel" ] || { echo "panel absent: $panel"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for last in 2022-12 2020-01; do
  /usr/bin/time -f "%U %S %M" -o "$out/s$last.time" "$sphere" backtest --panel "$panel" --target sum_score \
    --origins 2020-01..$last --horizons 1 --refit once --threads 1 --json > "$out/s$last.json"
  /usr/bin/time -f "%U %S %M" -o "$out/p$last.time" /usr/bin/python3 "$here/levels_reference.py" "$panel" \
    "$out/s$last.json" 2020-01 $last > "$out/p$last.json"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/s2022-12.json")); p = json.load(open(f"{d}/p2022-12.json"))
def cpu(n):
    u, sy, m = open(f"{d}/{n}.time").read().split(); return float(u) + float(sy), int(m) / 1024
worst = 0.0
for m in s["models"]:
    if m["model"] in p:
        a, b = m["horizons"][0]["crps"], p[m["model"]]
        worst = max(worst, abs(a - b) / abs(b))
        print(f'{m["model"]:13} CRPS h=1 sphere {a:.12f}  numpy {b:.12f}')
print(f'forecasts: sphere {s["forecasts_per_model"]}, numpy {p["forecasts"]}; largest relative CRPS difference {worst:.1e}')
ts, ms = cpu("s2022-12"); tp, mp = cpu("p2022-12"); ts1, _ = cpu("s2020-01"); tp1, _ = cpu("p2020-01")
print(f"CPU seconds, 36 origins: sphere {ts:.2f} (1 thread, with its fits of the level model, the Gaussian AR "
      f"and the AR baseline; peak {ms:.0f} MiB), NumPy {tp:.2f} (without fitting; peak {mp:.0f} MiB); ratio {tp/ts:.2f}x")
print(f"CPU seconds of the 35 origins after the first: sphere {ts - ts1:.2f} (7 models), NumPy {tp - tp1:.2f} "
      f"(4 models); ratio {(tp - tp1) / max(ts - ts1, 1e-9):.2f}x")
PY
echo "load average at the end (other work on the machine): $(cut -d' ' -f1-3 /proc/loadavg)"
