#!/usr/bin/env bash
# The GDELT backtest (days_negative, origins 2020-01..2022-12, all pairs, horizon 1, one fit) by
# sphere and by a NumPy reference of the same one-step forecasts and baselines: CPU seconds,
# their ratio, and the mean CRPS of each model from both (they must agree). Then sphere alone on
# the issue's full configuration (horizons 1,3,6,12, yearly refits, ablations) at 1 and 2 threads.
# usage: bench/backtest/run.sh [build/sphere] [panel.csv]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
panel="${2:-$here/../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv}"
[ -f "$panel" ] || { echo "panel absent: $panel"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f "%U %S %M" -o "$out/s.time" "$sphere" backtest --panel "$panel" --origins 2020-01..2022-12 \
  --horizons 1 --refit once --no-ablations --threads 1 --json > "$out/s.json"
/usr/bin/time -f "%U %S %M" -o "$out/p.time" /usr/bin/python3 "$here/reference.py" "$panel" "$out/s.json" \
  2020-01 2022-12 > "$out/p.json"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/s.json")); p = json.load(open(f"{d}/p.json"))
def cpu(n):
    u, sy, m = open(f"{d}/{n}.time").read().split(); return float(u) + float(sy), int(m) / 1024
ts, ms = cpu("s"); tp, mp = cpu("p")
for m in s["models"]:
    if m["model"] in p:
        print(f'{m["model"]:12} CRPS h=1 sphere {m["horizons"][0]["crps"]:.9f}  numpy {p[m["model"]]:.9f}')
print(f'forecasts: sphere {s["forecasts_per_model"]}, numpy {p["forecasts"]}')
print(f"CPU seconds: sphere {ts:.2f} (1 thread, includes its fit and the NB-AR baseline; peak {ms:.0f} MiB), "
      f"NumPy {tp:.2f} (peak {mp:.0f} MiB); ratio {tp/ts:.1f}x")
PY
for threads in 1 2; do
  /usr/bin/time -f "%e s wall, %U s user, %M KiB" "$sphere" backtest --panel "$panel" --origins 2020-01..2022-12 \
    --threads $threads > "$out/full$threads.txt" 2> "$out/full$threads.time" || true
  echo "full backtest, $threads thread(s): $(tail -1 "$out/full$threads.time")"
done
cmp -s "$out/full1.txt" "$out/full2.txt" && echo "1 and 2 threads: identical output" || echo "1 and 2 threads: OUTPUT DIFFERS"
PY_DONE=1
