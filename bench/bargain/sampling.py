"""Sampling benchmark: `sphere bargain --draws N` against a plain-Python version of the same
draws (Philox4x32-10, triangular by inversion), the same three models (compromise, Nash, the
expected-utility reference of eu_reference.py with cycle detection) and the same percentiles.
Checks that both give the same median and 90% interval of every model on every issue, and prints
both times and their ratio. Usage: sampling.py SPHERE [DRAWS]. docs/MODEL.md, "Outcome
distributions", is the specification.
"""
import json
import math
import subprocess
import sys
import time

import eu_reference as ref

MASK = 0xFFFFFFFF


def philox(ctr, key):
    """Random123's Philox4x32-10."""
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r:
            k0 = (k0 + 0x9E3779B9) & MASK
            k1 = (k1 + 0xBB67AE85) & MASK
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c[3] ^ k1) & MASK, p0 & MASK]
    return c


def fnv1a(text):
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & MASK
    return h


def uniform(seed, issue, draw, inp):
    r = philox([draw, inp, issue, 0], [seed & MASK, (seed >> 32) & MASK])
    hi, lo = r[0] >> 5, r[1] >> 6
    return (((hi << 26) | lo) + 0.5) * 2.0 ** -53


def triangular(low, mode, high, u):
    if not high > low:
        return mode
    f = (mode - low) / (high - low)
    if u < f:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


def compromise(x, s, c):
    return sum(ci * si * xi for xi, si, ci in zip(x, s, c)) / sum(ci * si for si, ci in zip(s, c))


def nash(x, s, c, d):
    """Asymmetric Nash solution with linear utilities; d when the ideal points straddle it."""
    above = below = at_d = False
    reach = None
    for xi, si, ci in zip(x, s, c):
        if ci * si <= 0:
            continue
        if xi == d:
            at_d = True
            continue
        above |= xi > d
        below |= xi < d
        reach = 2 * abs(xi - d) if reach is None else min(reach, 2 * abs(xi - d))
    if (above and below) or at_d or not (above or below):
        return d
    sign = 1.0 if above else -1.0

    def slope(t):
        y = d + sign * t
        total = 0.0
        for xi, si, ci in zip(x, s, c):
            w = ci * si
            if w <= 0:
                continue
            gain = abs(d - xi) - abs(y - xi)
            toward = sign * (xi - y)
            total += w * ((toward > 0) - (toward < 0)) / gain
        return total

    lo, hi = reach * 1e-12, reach * (1 - 1e-12)
    for _ in range(200):
        mid = (lo + hi) / 2
        if slope(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * reach:
            break
    return d + sign * (lo + hi) / 2


def eu_outcome_set(x, s, c, rounds):
    history = ref.run(c, s, x, q=1.0, rounds=rounds, rule=ref.SCHOLZ_CODE)
    if not history:
        return [ref.weighted_median(x, [ci * si for ci, si in zip(c, s)])]
    rng = max(x) - min(x)
    states = [list(x)] + [h[2] for h in history]
    t = len(history)
    for p in range(1, min(8, t) + 1):
        if all(abs(a - b) <= 1e-9 * rng for a, b in zip(states[t], states[t - p])):
            out = []
            for q in range(t - p + 1, t + 1):
                m = history[q - 1][0]
                if not any(abs(v - m) <= 1e-9 * rng for v in out):
                    out.append(m)
            return sorted(out)
    return [history[-1][0]]


def quantile(vw, q):
    vw = sorted(vw)
    total = sum(w for _, w in vw)
    target = q * total
    acc = 0.0
    prev_mid, prev_v = 0.0, vw[0][0]
    for k, (v, w) in enumerate(vw):
        mid = acc + w / 2
        if target <= mid:
            if k == 0:
                return vw[0][0]
            f = (target - prev_mid) / (mid - prev_mid) if mid > prev_mid else 1.0
            return prev_v + f * (v - prev_v)
        acc += w
        prev_mid, prev_v = mid, v
    return vw[-1][0]


def sample(issue, draws, seed, rounds):
    inputs = []
    for a in issue["actors"]:
        for key in ("position", "salience", "influence"):
            inputs.append(a[key])
    sq = issue["status_quo_range"]
    vary_sq = sq["high"] > sq["low"]
    if vary_sq:
        inputs.append(sq)
    h = fnv1a(issue["id"])
    comp, nbs, eu = [], [], []
    n = len(issue["actors"])
    for k in range(draws):
        v = [triangular(i["low"], i["value"], i["high"], uniform(seed, h, k, j))
             for j, i in enumerate(inputs)]
        x, s, c = v[0:3 * n:3], v[1:3 * n:3], v[2:3 * n:3]
        d = v[-1] if vary_sq else sq["value"]
        comp.append((compromise(x, s, c), 1.0))
        nbs.append((nash(x, s, c, d), 1.0))
        out = eu_outcome_set(x, s, c, rounds)
        eu.extend((o, 1.0 / len(out)) for o in out)
    return {m: [quantile(vals, q) for q in (0.5, 0.05, 0.95)]
            for m, vals in (("compromise", comp), ("nbs", nbs), ("eu", eu))}


def main():
    sphere = sys.argv[1]
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed, rounds = 1, 10
    command = [sphere, "bargain", "--json", "--draws", str(draws), "--seed", str(seed),
               "--rounds", str(rounds)]
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    worst = 0.0
    for issue in out["issues"]:
        mine = sample(issue, draws, seed, rounds)
        for m, (med, lo, hi) in mine.items():
            d = issue["distribution"][m]
            worst = max(worst, abs(d["median"] - med), abs(d["p05"] - lo), abs(d["p95"] - hi))
    python = time.perf_counter() - start
    print(f"{len(out['issues'])} issues x {draws} draws x 3 models")
    print(f"sphere (whole process, one thread, best of 3): {best:.2f} s")
    print(f"plain Python, same draws and models:           {python:.1f} s")
    print(f"ratio Python / sphere: {python / best:.0f}x")
    print(f"largest difference in a median or percentile: {worst:.2g} (scale 0-100)")
    if worst > 1e-6:
        sys.exit("the two implementations disagree")


if __name__ == "__main__":
    main()
