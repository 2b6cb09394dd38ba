#!/usr/bin/env bash
# The GDELT backtest (days_negative, all pairs, horizon 1, one fit on the data before 2020-01) by
# sphere and by a NumPy reference of the same one-step forecasts and baselines (reference.py, given
# sphere's fitted parameters): the mean CRPS of each model from both (they must agree), and CPU
# seconds. Each side runs twice (the fastest of three runs each), with origins 2020-01..2022-12
# and with 2020-01 alone; the difference is the cost of 35 origins of forecasting and scoring,
# without reading the panel or (sphere) fitting, which the reference does not do.
# Then the same work as sphere's written as plain-Python loops (plain_reference.py, given sphere's
# fitted parameters and NB-AR coefficients) on the same origins: the five models (the model,
# persistence, climatology, recent, NB-AR), each scored by CRPS, log score, Brier of q90 and of the
# fixed threshold, PIT histogram, RPS, reliability and CRPS by activity class, and the skills with
# their bootstrap intervals and Diebold-Mariano tests; every score is compared with sphere's (the
# largest difference per score and model) and the CPU seconds of the 35 origins after the first.
# Then sphere alone at 1 and 2 threads on a part of the issue's configuration (origins
# 2022-01..2022-12, horizons 1,3,6,12, one yearly fit, no ablations; the full configuration takes
# about 3 minutes on 2 threads).
# usage: bench/backtest/run.sh [build/sphere] [panel.csv]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
panel="${2:-$here/../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv}"
[ -f "$panel" ] || { echo "panel absent: $panel"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# fastest TIMEFILE OUTFILE CMD...: runs CMD three times (stdout to OUTFILE) and keeps in TIMEFILE
# the GNU time line ("user sys [max-rss]") of the run with the least CPU time: a difference of
# two runs of a second or two is otherwise at the mercy of whatever else the machine does.
fastest() {
  local timefile=$1 outfile=$2; shift 2
  local best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%U %S %M" -o "$timefile.try" "$@" > "$outfile"
    if [ -z "$best" ] || awk -v a="$(cat "$timefile.try")" -v b="$best" \
        'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] + x[2] < y[1] + y[2]) }'; then
      best="$(cat "$timefile.try")"
    fi
  done
  echo "$best" > "$timefile"
}
for last in 2022-12 2020-01; do
  fastest "$out/s$last.time" "$out/s$last.json" "$sphere" backtest --panel "$panel" \
    --origins 2020-01..$last --horizons 1 --refit once --no-ablations --threads 1 --json
  fastest "$out/p$last.time" "$out/p$last.json" /usr/bin/python3 "$here/reference.py" "$panel" \
    "$out/s$last.json" 2020-01 $last
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
# The same work as sphere's (5 models, every score) written as plain Python loops
# (plain_reference.py), on the same 35 origins 2020-02..2022-12 (the difference of runs to 2022-12
# and to 2020-01, each given its sphere run's fit): the comparison with the model as one would
# first write it, beside the vectorised one above.
fastest "$out/plain.time" "$out/plain.json" /usr/bin/python3 "$here/plain_reference.py" "$panel" \
  "$out/s2022-12.json" 2020-01 2022-12
fastest "$out/plain1.time" "$out/plain1.json" /usr/bin/python3 "$here/plain_reference.py" "$panel" \
  "$out/s2020-01.json" 2020-01 2020-01
/usr/bin/python3 - "$out" <<'PY'
import json, math, sys
d = sys.argv[1]
s = json.load(open(f"{d}/s2022-12.json")); p = json.load(open(f"{d}/plain.json"))
def diff(a, b):
    """Largest absolute difference of two values of one shape (null against a number: inf)."""
    if isinstance(a, dict):
        return max(diff(a[k], b[k]) for k in a if not isinstance(a[k], str))
    if isinstance(a, list):
        return max([diff(x, y) for x, y in zip(a, b)] + [0.0 if len(a) == len(b) else math.inf])
    if a is None or b is None:
        return 0.0 if a is None and b is None else math.inf
    return abs(a - b)
names = [m["model"] for m in s["models"]]
assert sorted(names) == sorted(k for k in p if isinstance(p[k], dict)), (names, list(p))
print("plain Python against sphere, origins 2020-01..2022-12, horizon 1: largest |difference|")
print(f'{"score":26}' + "".join(f"{m:>12}" for m in names) + f'{"all":>12}')
worst = 0.0
for k in ("n", "crps", "log_score", "zero_probability_outcomes", "brier_q90", "brier_fixed", "rps",
          "pit_histogram", "reliability", "by_activity"):
    row = [diff(m["horizons"][0][k], p[m["model"]][k]) for m in s["models"]]
    worst = max(worst, *row)
    print(f"{k:26}" + "".join(f"{v:12.1e}" for v in row) + f"{max(row):12.1e}")
# Skills of the model against each baseline: the columns are the baselines.
for block in ("skill", "rps_skill"):
    ours = {b["baseline"]: b for b in p[block]}
    theirs = [a for a in s[block] if a["horizon"] == 1]
    assert [a["baseline"] for a in theirs] == names[1:] and len(ours) == len(theirs)
    for k in ("skill", "low", "high", "dm", "p_value", "target_periods"):
        row = [diff(a[k], ours[a["baseline"]][k]) for a in theirs]
        worst = max(worst, *row)
        print(f"{block + '.' + k:26}{'':12}" + "".join(f"{v:12.1e}" for v in row) + f"{max(row):12.1e}")
def cpu(n):
    return sum(float(v) for v in open(f"{d}/{n}.time").read().split()[:2])
ts, ts1, tp, tp1 = cpu("s2022-12"), cpu("s2020-01"), cpu("plain"), cpu("plain1")
print(f"forecasts per model: sphere {s['forecasts_per_model']}, plain Python {p['forecasts']}; "
      f"largest difference of any score {worst:.1e}")
print(f"CPU seconds of the 35 origins after the first: sphere {ts - ts1:.2f} (5 models, every score), "
      f"plain Python {tp - tp1:.2f} (5 models, every score); ratio {(tp - tp1) / max(ts - ts1, 1e-9):.1f}x")
agree = worst <= 1e-9 and s["forecasts_per_model"] == p["forecasts"]
print("plain Python and sphere: every score agrees to 1e-9" if agree else "plain Python and sphere: SCORES DIFFER")
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
