"""Plain-Python reference of `sphere backtest --no-ablations` at horizon 1 (loops over pairs and
months with the math module, as one would first write the model; reference.py is the vectorised
NumPy version of its CRPS): given what sphere fitted (its --json output: the model's parameters
and the NB-AR baseline's coefficients, refit once), recompute the empirical-Bayes anchors, filter
every pair's state to each origin, build the predictive pmf of each of the five models (the
model's exact one-step negative binomial, persistence, climatology, recent and the
negative-binomial autoregression) and score each forecast as sphere does: CRPS, log score,
Brier of exceeding the pair's 90th percentile and the fixed threshold, PIT, ranked probability
score; summed by model, by fixed-threshold probability decile (reliability), by activity class
and by target period, from which the skill of the model against each baseline (CRPS and RPS),
its block-bootstrap interval (sphere's Philox stream) and the Diebold-Mariano test (the tail of
Student's t from scipy, the one library call). Prints every mean score of every model as sphere's
JSON reports it, and the CPU time.

usage: plain_reference.py PANEL.csv SPHERE_BACKTEST.json FROM TO   (origins as YYYY-MM)
"""
import csv
import json
import math
import struct
import sys
import time

LOG_R_BOUNDS = (-4.6, 6.9)
MEASURES = ["days_nonzero", "days_negative", "days_positive", "sum_score"]
BOUNDED = {"days_nonzero", "days_negative", "days_positive"}  # cannot exceed the days of data
ORDINAL_EDGES = [1, 3, 6, 11]  # classes 0, 1-2, 3-5, 6-10, more than 10
MODELS = ["sphere", "persistence", "climatology", "recent", "nb-ar"]
ACTIVITY = ["0", "(0,1]", "(1,5]", ">5"]


def f32(v):
    """sphere keeps anchors and panel values in single precision."""
    return struct.unpack("f", struct.pack("f", v))[0]


def clip(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


def lround(v):
    return int(math.floor(v + 0.5))


def load(path):
    """Each unordered pair's series of every measure by month (absent rows are 0)."""
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
        s = series.setdefault(key, {m: [0.0] * len(months) for m in MEASURES})
        t = index[r["month"]]
        for m in MEASURES:
            s[m][t] = f32(float(r[m]))
    keys = sorted(series)
    return [series[k] for k in keys], [days[m] for m in months], months


def nb_pmf(mean, r, n):
    """NB(mean, r) over 0..n-1, the mass beyond folded into the last cell."""
    if not mean > 0:
        return [1.0] + [0.0] * (n - 1)
    q = mean / (r + mean)
    p = math.exp(-r * math.log1p(mean / r))
    out, total = [], 0.0
    for k in range(n):
        out.append(p)
        total += p
        p *= (k + r) / (k + 1.0) * q
    out[n - 1] += max(0.0, 1.0 - total)
    return out


def nb_support(mean, r, min_support):
    """Cells of an unbounded NB pmf: 12 standard deviations past the mean, at least min_support."""
    return max(min_support, int(min(2e6, mean + 12.0 * math.sqrt(mean + mean * mean / r) + 12.0)))


def empirical(y, exposure, start, end):
    """The empirical distribution of y[start:end] over months with exposure."""
    top, n = 0, 0
    for t in range(start, end):
        if exposure[t] > 0:
            top = max(top, int(y[t]))
            n += 1
    pmf = [0.0] * (top + 1)
    if n == 0:
        pmf[0] = 1.0
        return pmf
    for t in range(start, end):
        if exposure[t] > 0:
            pmf[int(y[t])] += 1.0 / n
    return pmf


def q90(y, origin):
    """The pair's 90th percentile of its history before the origin."""
    if origin == 0:
        return 0
    return int(sorted(y[:origin])[math.ceil(0.9 * origin) - 1])


def activity_class(y, origin):
    """The pair's mean over the 12 months before the origin: 0, <= 1, <= 5, > 5."""
    s, n = 0.0, 0
    for t in range(max(0, origin - 12), origin):
        s += y[t]
        n += 1
    m = s / n if n else 0.0
    return 0 if m == 0 else (1 if m <= 1 else (2 if m <= 5 else 3))


def crps(pmf, y):
    """sum_k (F(k) - 1{y <= k})^2; beyond the support F = 1 and the term is 1 for k < y."""
    F, total = 0.0, 0.0
    n = len(pmf)
    for k in range(n):
        F += pmf[k]
        d = F - (1.0 if y <= k else 0.0)
        total += d * d
    tail = 1.0 - (1.0 if F > 1.0 else F)
    for k in range(n, y):
        total += (1.0 - tail) * (1.0 - tail)
    return total


def log_score(pmf, y):
    if y < 0 or y >= len(pmf) or not pmf[y] > 0:
        return math.inf
    return -math.log(pmf[y])


def exceedance(pmf, threshold):
    p = 0.0
    for k in range(threshold + 1, len(pmf)):
        p += pmf[k]
    return p


def pit(pmf, y):
    """The nonrandomised PIT's distribution function at u = 0.1, ..., 1.0."""
    below = 0.0
    for k in range(min(y, len(pmf))):
        below += pmf[k]
    at = pmf[y] if y < len(pmf) else 0.0
    out = []
    for i in range(10):
        u = (i + 1) / 10.0
        if u <= below:
            out.append(0.0)
        elif at <= 0 or u >= below + at:
            out.append(1.0)
        else:
            out.append((u - below) / at)
    return out


def ranked_probability_score(pmf, y):
    F, total, k = 0.0, 0.0, 0
    for edge in ORDINAL_EDGES:
        while k < len(pmf) and k < edge:
            F += pmf[k]
            k += 1
        d = min(F, 1.0) - (1.0 if y < edge else 0.0)
        total += d * d
    return total / len(ORDINAL_EDGES)


class Scores:
    """One model's scores summed over forecasts, as sphere accumulates them."""

    def __init__(self, periods):
        self.n, self.log_infinite = 0, 0
        self.crps = self.log = self.brier_q90 = self.brier_fixed = self.rps = 0.0
        self.pit = [0.0] * 10
        self.rel_p, self.rel_y, self.rel_n = [0.0] * 10, [0.0] * 10, [0] * 10
        self.crps_by_period, self.rps_by_period = [0.0] * periods, [0.0] * periods
        self.n_by_period = [0] * periods
        self.crps_by_activity, self.n_by_activity = [0.0] * 4, [0] * 4

    def add(self, pmf, y, threshold_q90, fixed, period, activity):
        c = crps(pmf, y)
        lg = log_score(pmf, y)
        p90 = exceedance(pmf, threshold_q90)
        o90 = 1.0 if y > threshold_q90 else 0.0
        p_fixed = exceedance(pmf, fixed)
        o_fixed = 1.0 if y > fixed else 0.0
        u = pit(pmf, y)
        rps = ranked_probability_score(pmf, y)
        self.n += 1
        self.crps += c
        if math.isfinite(lg):
            self.log += lg
        else:
            self.log_infinite += 1
        self.brier_q90 += (p90 - o90) * (p90 - o90)
        self.brier_fixed += (p_fixed - o_fixed) * (p_fixed - o_fixed)
        b = clip(int(p_fixed * 10), 0, 9)
        self.rel_p[b] += p_fixed
        self.rel_y[b] += o_fixed
        self.rel_n[b] += 1
        for i in range(10):
            self.pit[i] += u[i]
        self.rps += rps
        self.crps_by_period[period] += c
        self.rps_by_period[period] += rps
        self.n_by_period[period] += 1
        self.crps_by_activity[activity] += c
        self.n_by_activity[activity] += 1

    def means(self):
        n = self.n
        hist, prev = [], 0.0
        for i in range(10):
            F = self.pit[i] / n if n else 0.0
            hist.append(F - prev)
            prev = F
        return {
            "n": n,
            "crps": self.crps / n if n else 0.0,
            "log_score": None if self.log_infinite or not n else self.log / n,
            "zero_probability_outcomes": self.log_infinite,
            "brier_q90": self.brier_q90 / n if n else 0.0,
            "brier_fixed": self.brier_fixed / n if n else 0.0,
            "rps": self.rps / n if n else 0.0,
            "pit_histogram": hist,
            "reliability": [{"p": self.rel_p[i] / self.rel_n[i], "observed": self.rel_y[i] / self.rel_n[i],
                             "n": self.rel_n[i]} for i in range(10) if self.rel_n[i]],
            "by_activity": [{"mean_before_origin": ACTIVITY[a], "n": self.n_by_activity[a],
                             "crps": self.crps_by_activity[a] / self.n_by_activity[a] if self.n_by_activity[a] else 0.0}
                            for a in range(4)],
        }


class Philox:
    """sphere's Rng: Random123's Philox4x32-10 keyed by the seed, counter (run, month, index,
    purpose << 24 | block)."""

    M = 0xFFFFFFFF

    def __init__(self, seed, run, month, purpose, index):
        self.key = [seed & self.M, (seed >> 32) & self.M]
        self.ctr = [run, month, index, purpose << 24]
        self.block, self.used = [0, 0, 0, 0], 4

    def refill(self):
        c0, c1, c2, c3 = self.ctr
        k0, k1 = self.key
        for i in range(10):
            if i > 0:
                k0, k1 = (k0 + 0x9E3779B9) & self.M, (k1 + 0xBB67AE85) & self.M
            p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
            c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & self.M, (p0 >> 32) ^ c3 ^ k1, p0 & self.M
        self.block = [c0, c1, c2, c3]
        self.ctr[3] += 1
        self.used = 0

    def below(self, n):
        if self.used == 4:
            self.refill()
        word = self.block[self.used]
        self.used += 1
        return (word * n) >> 32


def skill_of(a, b, baseline, h, resamples, seed, ranked):
    """Skill of the model (a) against a baseline (b): 1 - ratio of summed scores, its
    circular-block bootstrap interval (blocks of h target periods) and the Diebold-Mariano test
    (Newey-West, lag h-1, in Harvey, Leybourne and Newbold's small-sample form)."""
    pa = a.rps_by_period if ranked else a.crps_by_period
    pb = b.rps_by_period if ranked else b.crps_by_period
    ta, tb = (a.rps, b.rps) if ranked else (a.crps, b.crps)
    out = {"model": "sphere", "baseline": baseline, "score": "rps" if ranked else "crps", "horizon": h,
           "skill": 1.0 - ta / tb if tb > 0 else 0.0}
    periods = [t for t in range(len(a.n_by_period)) if a.n_by_period[t] > 0]
    m = len(periods)
    out["target_periods"] = m
    if m < 2:
        out["low"] = out["high"] = out["dm"] = out["p_value"] = None
        return out
    rng = Philox(seed, 0, h, 16 + 1, 0)
    ratios = []
    block = min(h, m)  # circular blocks of h consecutive target periods
    for _ in range(resamples):
        num = den = 0.0
        i = 0
        while i < m:
            start = rng.below(m)
            for j in range(block):
                if i >= m:
                    break
                t = periods[(start + j) % m]
                num += pa[t]
                den += pb[t]
                i += 1
        ratios.append(1.0 - num / den if den > 0 else 0.0)
    ratios.sort()
    out["low"] = ratios[int(0.025 * (resamples - 1))]
    out["high"] = ratios[int(0.975 * (resamples - 1))]
    d = [(pa[t] - pb[t]) / a.n_by_period[t] for t in periods]
    mean = sum(d) / m
    lag = min(h - 1, m - 1)
    var = 0.0
    for i in range(m):
        var += (d[i] - mean) * (d[i] - mean)
    var /= m
    for l in range(1, lag + 1):
        c = 0.0
        for i in range(l, m):
            c += (d[i] - mean) * (d[i - l] - mean)
        var += 2.0 * (1.0 - l / (lag + 1.0)) * c / m
    # Harvey-Leybourne-Newbold small-sample form against Student's t (m - 1 degrees of freedom);
    # no test with no more target periods than h.
    out["dm"], out["p_value"] = 0.0, 1.0
    if m <= h:
        out["dm"] = out["p_value"] = None
    elif var > 0:
        from scipy.stats import t as students_t  # the one library call: t's tail
        out["dm"] = mean / math.sqrt(var / m) * math.sqrt((m - h) * (m - h + 1)) / m
        out["p_value"] = 2.0 * students_t.sf(abs(out["dm"]), m - 1)
    return out


def main():
    path, sphere_json, first, last = sys.argv[1:5]
    start = time.process_time()
    s = json.load(open(sphere_json))
    assert len(s["fits"]) == 1 and len(s["nb_ar"]) == 1, "one fit (--refit once)"
    fit, nbar = s["fits"][0], s["nb_ar"][0]
    nbar_h1 = [h for h in nbar["horizons"] if h["horizon"] == 1][0]
    fixed = s["provenance"]["fixed_threshold"]
    target, partner = fit["target"], fit["partner"]
    bounded = target in BOUNDED
    pairs, days, months = load(path)
    o0, o1 = months.index(first), months.index(last)
    until = months.index(fit["panel"]["until"])  # the fit's window ends before this month
    scale = fit["exposure_scale"]
    f = [d / scale for d in days]
    names = ["delta", "beta", "alpha", "gamma", "log_r", "rho"]
    py = [fit["fits"][0]["params"][k]["value"] for k in names]
    px = [fit["fits"][1]["params"][k]["value"] for k in names]
    (ay, by), (ax, bx) = [(m["prior"]["a"], m["prior"]["b"]) for m in fit["fits"]]
    center = fit["fits"][0]["dispersion_center"]
    # Each measure's common trend, part of its exposure, held after the fit's last month.
    first_abs = int(months[0][:4]) * 12 + int(months[0][5:7]) - 1

    def trended(k):
        kappa, centre = fit["fits"][k]["trend"]["value"], fit["fits"][k]["trend"]["center"]
        return [f[t] * math.exp(kappa * (min(first_abs + t, first_abs + until - 1) - centre) / 12)
                for t in range(len(f))]

    fy, fx = trended(0), trended(1)
    scores = {m: Scores(len(months)) for m in MODELS}
    n = 0
    for t in range(o0, o1 + 1):
        exposure_y = sum(fy[s_] for s_ in range(t) if f[s_] > 0)
        exposure_x = sum(fx[s_] for s_ in range(t) if f[s_] > 0)
        covered = sum(1 for s_ in range(t) if f[s_] > 0)
        for series in pairs:
            if not any(any(series[m][:t]) for m in MEASURES):
                continue  # a pair "has a row" when any measure is non-zero before the origin
            Y, X = series[target], series[partner]
            ty = sum(Y[s_] for s_ in range(t) if f[s_] > 0)
            tx = sum(X[s_] for s_ in range(t) if f[s_] > 0)
            my = f32(math.log((ty + ay) / (exposure_y + by)))
            mx = f32(math.log((tx + ax) / (exposure_x + bx)))
            Ly = f32(sum(math.log1p(Y[s_]) for s_ in range(t) if f[s_] > 0) / covered)
            Lx = f32(sum(math.log1p(X[s_]) for s_ in range(t) if f[s_] > 0) / covered)
            ey, ex = clip(my + py[0], -30, 20), clip(mx + px[0], -30, 20)
            for s_ in range(t):
                ly, lx = (math.log1p(Y[s_]), math.log1p(X[s_])) if f[s_] > 0 else (Ly, Lx)
                ny = clip(my + py[0] + py[1] * (ey - my - py[0]) + py[2] * (ly - Ly) + py[3] * (lx - Lx), -30, 20)
                nx = clip(mx + px[0] + px[1] * (ex - mx - px[0]) + px[2] * (lx - Lx) + px[3] * (ly - Ly), -30, 20)
                ey, ex = ny, nx
            y = int(Y[t])
            min_support = y + 2  # the pmfs reach past the outcome (unbounded measures)
            thr = q90(Y, t)
            activity = activity_class(Y, t)
            # The model: its exact one-step NB, over 0..days of the month when bounded.
            r = math.exp(clip(py[4] + py[5] * (my - center), *LOG_R_BOUNDS))
            mean = fy[t] * math.exp(ey)
            cells = lround(days[t]) + 1 if bounded else nb_support(mean, r, min_support)
            scores["sphere"].add(nb_pmf(mean, r, cells), y, thr, fixed, t, activity)
            # Persistence: all mass on last month's count.
            point = [0.0] * (int(Y[t - 1]) + 1)
            point[-1] = 1.0
            scores["persistence"].add(point, y, thr, fixed, t, activity)
            scores["climatology"].add(empirical(Y, days, 0, t), y, thr, fixed, t, activity)
            scores["recent"].add(empirical(Y, days, max(0, t - 12), t), y, thr, fixed, t, activity)
            # NB-AR: log mean a + b log(1 + last) + c (mean of log(1 + y) over 12 months).
            logs, k12 = 0.0, 0
            for s_ in range(max(0, t - 12), t):
                logs += math.log1p(Y[s_])
                k12 += 1
            eta = nbar_h1["a"] + nbar_h1["b"] * math.log1p(Y[t - 1]) + nbar_h1["c"] * (logs / k12 if k12 else 0.0)
            mean = days[t] / nbar["exposure_scale"] * math.exp(clip(eta, -30, 20))
            r = math.exp(nbar_h1["log_r"])
            cells = lround(days[t]) + 1 if bounded else nb_support(mean, r, min_support)
            scores["nb-ar"].add(nb_pmf(mean, r, cells), y, thr, fixed, t, activity)
            n += 1
    out = {m: scores[m].means() for m in MODELS}
    command = s["provenance"]["command"].split()
    resamples = int(command[command.index("--bootstrap") + 1])
    seed = int(command[command.index("--seed") + 1])
    out["skill"] = [skill_of(scores["sphere"], scores[b], b, 1, resamples, seed, False) for b in MODELS[1:]]
    out["rps_skill"] = [skill_of(scores["sphere"], scores[b], b, 1, resamples, seed, True) for b in MODELS[1:]]
    out["forecasts"] = n
    out["cpu_seconds"] = time.process_time() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
