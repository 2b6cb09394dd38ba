#!/usr/bin/env bash
# The GDELT backtest (days_negative, all pairs, horizon 1, one fit on the data before 2020-01) by
# sphere and by a NumPy reference of the same one-step forecasts and baselines (reference.py, given
# sphere's fitted parameters): the mean CRPS of each model from both (they must agree), and CPU
# seconds. Each side runs twice, with origins 2020-01..2022-12 and with 2020-01 alone; the
# difference is the cost of 35 origins of forecasting and scoring, without reading the panel or
# (sphere) fitting, which the reference does not do. Then the same against plain-Python loops
# (plain_reference.py) on the origins of 2020. Then sphere alone at 1 and 2 threads on a part of
# the issue's configuration (origins 2022-01..2022-12, horizons 1,3,6,12, one yearly fit, no
# ablations; the full configuration takes about 3 minutes on 2 threads).
# usage: bench/backtest/run.sh [build/sphere] [panel.csv]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
panel="${2:-$here/../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv}"
[ -f "$panel" ] || { echo "panel absent: $panel"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for last in 2022-12 2020-01; do
  /usr/bin/time -f "%U %S %M" -o "$out/s$last.time" "$sphere" backtest --panel "$panel" \
    --origins 2020-01..$last --horizons 1 --refit once --no-ablations --threads 1 --json > "$out/s$last.json"
  /usr/bin/time -f "%U %S %M" -o "$out/p$last.time" /usr/bin/python3 "$here/reference.py" "$panel" \
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
        worst = max(worst, abs(a - b))
        print(f'{m["model"]:12} CRPS h=1 sphere {a:.9f}  numpy {b:.9f}')
print(f'forecasts: sphere {s["forecasts_per_model"]}, numpy {p["forecasts"]}; largest CRPS difference {worst:.1e}')
ts, ms = cpu("s2022-12"); tp, mp = cpu("p2022-12"); ts1, _ = cpu("s2020-01"); tp1, _ = cpu("p2020-01")
print(f"CPU seconds, 36 origins: sphere {ts:.2f} (1 thread, with its fit and the NB-AR baseline; peak {ms:.0f} MiB), "
      f"NumPy {tp:.2f} (without fitting; peak {mp:.0f} MiB); ratio {tp/ts:.1f}x")
print(f"CPU seconds of the 35 origins after the first: sphere {ts - ts1:.2f}, NumPy {tp - tp1:.2f}; "
      f"ratio {(tp - tp1) / max(ts - ts1, 1e-9):.1f}x")
PY
# The same one-step forecasts written as plain Python loops (plain_reference.py), on the 11 origins
# 2020-02..2020-12 (the difference of runs to 2020-12 and to 2020-01): the comparison with the
# model as one would first write it, beside the vectorised one above.
/usr/bin/time -f "%U %S" -o "$out/plain.time" /usr/bin/python3 "$here/plain_reference.py" "$panel" \
  "$out/s2022-12.json" 2020-01 2020-12 > "$out/plain.json"
/usr/bin/time -f "%U %S" -o "$out/plain1.time" /usr/bin/python3 "$here/plain_reference.py" "$panel" \
  "$out/s2022-12.json" 2020-01 2020-01 > "$out/plain1.json"
/usr/bin/time -f "%U %S %M" -o "$out/s2020-12.time" "$sphere" backtest --panel "$panel" \
  --origins 2020-01..2020-12 --horizons 1 --refit once --no-ablations --threads 1 --json > "$out/s2020-12.json"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/s2020-12.json")); p = json.load(open(f"{d}/plain.json"))
worst = max(abs(m["horizons"][0]["crps"] - p[m["model"]]) for m in s["models"] if m["model"] in p)
def cpu(n):
    return sum(float(v) for v in open(f"{d}/{n}.time").read().split()[:2])
ts, ts1, tp, tp1 = cpu("s2020-12"), cpu("s2020-01"), cpu("plain"), cpu("plain1")
print(f"plain Python, origins 2020-01..2020-12: {p['forecasts']} forecasts, largest CRPS difference {worst:.1e}; "
      f"CPU seconds of the 11 origins after the first: sphere {ts - ts1:.2f} (5 models, every score), "
      f"plain Python {tp - tp1:.2f} (4 models, CRPS only); ratio {(tp - tp1) / max(ts - ts1, 1e-9):.1f}x")
PY
for threads in 1 2; do
  /usr/bin/time -f "%e %U %S %M" -o "$out/part$threads.time" "$sphere" backtest --panel "$panel" \
    --origins 2022-01..2022-12 --no-ablations --threads $threads > "$out/part$threads.txt"
  read -r wall user sys mem < "$out/part$threads.time"
  echo "2022 origins, horizons 1,3,6,12, $threads thread(s): $wall s wall, $user s user, peak $((mem / 1024)) MiB"
  echo "$wall" > "$out/wall$threads"
done
echo "speed-up from 1 to 2 threads: $(/usr/bin/python3 -c "print(f'{$(cat "$out/wall1")/$(cat "$out/wall2"):.2f}x')")"
echo "load average at the end (other work on the machine): $(cut -d' ' -f1-3 /proc/loadavg)"
cmp -s "$out/part1.txt" "$out/part2.txt" && echo "1 and 2 threads: identical output" || echo "1 and 2 threads: OUTPUT DIFFERS"
