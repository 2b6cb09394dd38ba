#!/usr/bin/env bash
# What sampling the parameters, conditioning and attribution cost in `sphere scenarios` (the
# built-in model's questions to 2030-12 on one thread): CPU seconds of each configuration and the
# ratios the forecast promises (sampled ≤ 1.2× fixed; conditioned ≤ 2× unconditioned; attribution
# over k = 3 mechanisms ≤ (k + 1)× one forecast). usage: bench/scenarios/run.sh [build/sphere] [runs]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sphere="${1:-$here/../../build/sphere}"
runs="${2:-40000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
measure() {  # name, then the arguments; best of three runs (CPU seconds)
  local name="$1"; shift
  for i in 1 2 3; do
    /usr/bin/time -f "%U %S" -o "$out/$name.$i" "$sphere" scenarios --runs "$runs" --threads 1 \
      --horizon 2030-12 "$@" > "$out/$name.out"
  done
}
measure fixed --parameters fixed --no-attribution
measure unconditioned --parameters sampled --draws 40 --no-attribution --no-conditioning
measure sampled --parameters sampled --draws 40 --no-attribution
measure attribution --parameters sampled --draws 40
/usr/bin/python3 - "$out" "$runs" <<'PY'
import sys
d, runs = sys.argv[1], sys.argv[2]
def best(name):
    return min(sum(float(x) for x in open(f"{d}/{name}.{i}").read().split()) for i in (1, 2, 3))
f, s, a, u = best("fixed"), best("sampled"), best("attribution"), best("unconditioned")
print(f"sphere scenarios, {runs} runs to 2030-12, one thread (CPU seconds, best of 3; each includes "
      f"reading the panel and the calibration)")
print(f"  fixed parameters            {f:6.2f}")
print(f"  sampled (40 draws)          {s:6.2f}   {s / f:.2f}x fixed   (target <= 1.2x)")
print(f"  sampled, no conditioning    {u:6.2f}")
print(f"  sampled, conditioned        {s:6.2f}   {s / u:.2f}x unconditioned   (target <= 2x)")
print(f"  sampled + attribution (k=3) {a:6.2f}   {a / s:.2f}x the forecast   (target <= 4x)")
PY
