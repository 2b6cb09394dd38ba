"""Plain-Python reference of `sphere backtest` at horizon 1 (loops over pairs and months with the
math module, as one would first write the model; reference.py is the vectorised NumPy version):
given the parameters sphere fitted (its --json output), recompute the empirical-Bayes anchors,
filter every pair's state to each origin and score the model's exact one-step negative-binomial
predictive and the persistence, climatology and recent baselines by CRPS. Prints mean CRPS per
model and the CPU time.

usage: plain_reference.py PANEL.csv SPHERE_BACKTEST.json FROM TO   (origins as YYYY-MM)
"""
import csv
import json
import math
import struct
import sys
import time

LOG_R_BOUNDS = (-4.6, 6.9)


def f32(v):
    """sphere keeps anchors in single precision."""
    return struct.unpack("f", struct.pack("f", v))[0]


def clip(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


def load(path, target, partner):
    """Each unordered pair's target and partner series by month (absent rows are 0)."""
    rows = []
    months, days = set(), {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            months.add(r["month"])
            days[r["month"]] = float(r["days_in_data"])
            rows.append(r)
    months = sorted(months)
    index = {m: i for i, m in enumerate(months)}
    series = {}
    for r in rows:
        key = tuple(sorted((r["country1"], r["country2"])))
        y, x = series.setdefault(key, ([0.0] * len(months), [0.0] * len(months)))
        t = index[r["month"]]
        y[t] = float(r[target])
        x[t] = float(r[partner])
    keys = sorted(series)
    return [series[k] for k in keys], [days[m] for m in months], months


def nb_cdf_crps(mean, r, bound, y):
    """CRPS of NB(mean, r) over 0..bound, the mass beyond folded into the last cell."""
    q = mean / (r + mean)
    p = math.exp(-r * math.log1p(mean / r))
    cdf, total = 0.0, 0.0
    for k in range(bound + 1):
        cdf += p
        if k == bound:
            cdf = max(cdf, 1.0)  # the tail folded into the last cell
        d = cdf - (1.0 if y <= k else 0.0)
        total += d * d
        p *= (k + r) / (k + 1.0) * q
    return total


def empirical_crps(values, y, width):
    """CRPS of the empirical distribution of `values` (counts 0..width-1): sum_k (F(k) - 1{y<=k})^2."""
    counts = [0] * width
    for v in values:
        counts[int(v)] += 1
    n = len(values)
    cum, total = 0, 0.0
    for k in range(width):
        cum += counts[k]
        d = cum / n - (1.0 if y <= k else 0.0)
        total += d * d
    return total + max(0, y - width)


def main():
    path, sphere_json, first, last = sys.argv[1:5]
    start = time.process_time()
    s = json.load(open(sphere_json))
    fit = s["fits"][0]
    pairs, days, months = load(path, fit["target"], fit["partner"])
    o0, o1 = months.index(first), months.index(last)
    covered_days = [d for d in days[:o0] if d > 0]
    scale = sum(covered_days) / len(covered_days)
    f = [d / scale for d in days]
    bound = [int(round(d)) for d in days]
    width = max(bound) + 1
    names = ["delta", "beta", "alpha", "gamma", "log_r", "rho"]
    py = [fit["fits"][0]["params"][k]["value"] for k in names]
    px = [fit["fits"][1]["params"][k]["value"] for k in names]
    (ay, by), (ax, bx) = [(m["prior"]["a"], m["prior"]["b"]) for m in fit["fits"]]
    center = fit["fits"][0]["dispersion_center"]
    # Each measure's common trend, part of its exposure, held after the fit's last month.
    first_abs = int(months[0][:4]) * 12 + int(months[0][5:7]) - 1

    def trended(k):
        kappa, centre = fit["fits"][k]["trend"]["value"], fit["fits"][k]["trend"]["center"]
        return [f[t] * math.exp(kappa * (min(first_abs + t, first_abs + o0 - 1) - centre) / 12)
                for t in range(len(f))]

    fy, fx = trended(0), trended(1)
    sums = {"sphere": 0.0, "persistence": 0.0, "climatology": 0.0, "recent": 0.0}
    n = 0
    for t in range(o0, o1 + 1):
        exposure_y = sum(fy[s_] for s_ in range(t) if f[s_] > 0)
        exposure_x = sum(fx[s_] for s_ in range(t) if f[s_] > 0)
        covered = sum(1 for s_ in range(t) if f[s_] > 0)
        for Y, X in pairs:
            if not any(Y[:t]) and not any(X[:t]):
                continue  # a pair "has a row" when any measure is non-zero before the origin
            ty = sum(Y[s_] for s_ in range(t) if f[s_] > 0)
            tx = sum(X[s_] for s_ in range(t) if f[s_] > 0)
            my = f32(math.log((ty + ay) / (exposure_y + by)))
            mx = f32(math.log((tx + ax) / (exposure_x + bx)))
            Ly = f32(sum(math.log1p(Y[s_]) for s_ in range(t) if f[s_] > 0) / covered)
            Lx = f32(sum(math.log1p(X[s_]) for s_ in range(t) if f[s_] > 0) / covered)
            ey, ex = clip(my + py[0], -30, 20), clip(mx + px[0], -30, 20)
            for s_ in range(t):
                ly, lx = math.log1p(Y[s_]), math.log1p(X[s_])
                ny = clip(my + py[0] + py[1] * (ey - my - py[0]) + py[2] * (ly - Ly) + py[3] * (lx - Lx), -30, 20)
                nx = clip(mx + px[0] + px[1] * (ex - mx - px[0]) + px[2] * (lx - Lx) + px[3] * (ly - Ly), -30, 20)
                ey, ex = ny, nx
            y = int(Y[t])
            r = math.exp(clip(py[4] + py[5] * (my - center), *LOG_R_BOUNDS))
            sums["sphere"] += nb_cdf_crps(fy[t] * math.exp(ey), r, bound[t], y)
            sums["persistence"] += abs(y - int(Y[t - 1]))
            sums["climatology"] += empirical_crps(Y[:t], y, width)
            sums["recent"] += empirical_crps(Y[max(0, t - 12):t], y, width)
            n += 1
    out = {k: v / n for k, v in sums.items()}
    out["forecasts"] = n
    out["cpu_seconds"] = time.process_time() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
