"""Plain NumPy/SciPy reference of `sphere backtest --target sum_score` at horizon 1: given the
level model sphere fitted (its --json output: lambda, nu, c, k, the population's non-zero share
and scale), recompute every pair's recency-weighted summary at each origin (weighted median,
weighted MAD, weighted share of non-zero months), the hurdle's one-step predictive and its
closed-form CRPS, and the persistence, climatology and recent baselines (docs/MODEL.md, "Level
model"). Prints mean CRPS per model and the CPU time.

usage: levels_reference.py PANEL.csv SPHERE_BACKTEST.json FROM TO   (origins as YYYY-MM)
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.special import beta as beta_fn
from scipy.stats import t as student_t

MAD_TO_SD = 1.4826


def load(path, target):
    """Every measure of the GDELT monthly panel as [pair, month] matrices (absent rows are 0)."""
    df = pd.read_csv(path)
    months = sorted(df["month"].unique())
    month_index = {m: i for i, m in enumerate(months)}
    days = df.groupby("month")["days_in_data"].first().reindex(months).to_numpy(float)
    a = np.minimum(df["country1"], df["country2"])
    b = np.maximum(df["country1"], df["country2"])
    keys = sorted(set(zip(a, b)))
    pair_index = {k: i for i, k in enumerate(keys)}
    rows = np.array([pair_index[k] for k in zip(a, b)])
    cols = df["month"].map(month_index).to_numpy()
    measures = ["days_nonzero", "days_negative", "days_positive", "sum_score"]
    out = {}
    for m in measures:
        mat = np.zeros((len(keys), len(months)))
        mat[rows, cols] = df[m].to_numpy(float)
        mat = mat.astype(np.float32).astype(float)  # sphere keeps panel values in single precision
        out[m] = mat
    return out, out[target], days, months


def weighted_median(values, weights):
    """Row-wise: the smallest value whose cumulative weight (in sorted order) reaches half the
    total. Entries with weight 0 (absent) sort last as +inf."""
    order = np.argsort(values, axis=1, kind="stable")
    v = np.take_along_axis(values, order, axis=1)
    w = np.take_along_axis(weights, order, axis=1)
    cum = np.cumsum(w, axis=1)
    idx = np.argmax(cum >= 0.5 * cum[:, -1:], axis=1)
    return v[np.arange(v.shape[0]), idx]


def hurdle_crps(p, mu, s, nu, y):
    """CRPS of the hurdle: q|y| + p A(y) - q p A(0) - p^2 s C_nu (Jordan, Krueger and Lerch 2019)."""
    q = 1 - p
    c_nu = 2 * np.sqrt(nu) * beta_fn(0.5, nu - 0.5) / ((nu - 1) * beta_fn(0.5, nu / 2) ** 2)
    out = q * np.abs(y) + p * np.abs(y - mu) - q * p * np.abs(mu)  # a body without spread
    pos = s > 0

    def abs_from(z):  # E|T - z| for the standard t_nu
        return z * (2 * student_t.cdf(z, nu) - 1) + 2 * student_t.pdf(z, nu) * (nu + z * z) / (nu - 1)

    sp, mp, pp, yp = s[pos], mu[pos], p[pos], y[pos]
    a0 = sp * abs_from(-mp / sp)
    ay = sp * abs_from((yp - mp) / sp)
    out[pos] = (1 - pp) * np.abs(yp) + pp * ay - (1 - pp) * pp * a0 - pp * pp * sp * c_nu
    return out


def empirical_crps(samples, counts, y):
    """CRPS of each row's empirical distribution (its first counts[i] sorted values, +inf beyond):
    mean|x - y| - (1/n^2) sum_i (2i - n - 1) x_(i)."""
    n = counts.astype(float)
    valid = np.isfinite(samples)
    x = np.where(valid, samples, 0.0)
    first = np.where(valid, np.abs(x - y[:, None]), 0.0).sum(axis=1) / n
    i = np.arange(1, samples.shape[1] + 1)[None, :]
    second = np.where(valid, (2 * i - n[:, None] - 1) * x, 0.0).sum(axis=1) / (n * n)
    return first - second


def main():
    path, sphere_json, first, last = sys.argv[1:5]
    start = time.process_time()
    s = json.load(open(sphere_json))
    fit = s["level_fits"][0]
    lam = fit["lambda"]
    nu = np.exp(fit["params"]["log_nu"]["estimate"])
    c = np.exp(fit["params"]["log_c"]["estimate"])
    k = np.exp(fit["params"]["log_k"]["estimate"])
    share, prior_scale, scale = fit["nonzero_share"], fit["prior_scale"], fit["exposure_scale"]
    measures, Y, days, months = load(path, s["target"])
    any_value = np.zeros(Y.shape, dtype=bool)
    for mat in measures.values():
        any_value |= mat != 0
    seen = np.cumsum(any_value, axis=1) > 0  # seen[:, t]: a non-zero value at or before t
    f = days / scale
    covered = days > 0
    o0, o1 = months.index(first), months.index(last)
    sums = {"sphere-level": 0.0, "persistence": 0.0, "climatology": 0.0, "recent": 0.0}
    n = 0
    for o in range(o0, o1 + 1):
        pairs = seen[:, o - 1]
        y_hist = Y[pairs, :o]
        y = Y[pairs, o]
        # Recency weights lambda^(o-1-s), by repeated multiplication as sphere forms them.
        w = np.cumprod(np.concatenate([[1.0], np.full(o - 1, lam)]))[::-1]
        w = np.where(covered[:o], w, 0.0)
        nonzero = (y_hist != 0) & covered[None, :o]
        weight = np.broadcast_to(w, y_hist.shape)
        n_d = np.where(nonzero, weight, 0.0).sum(axis=1)
        W_d = w.sum()
        z = np.where(nonzero, y_hist / np.where(covered[:o], f[:o], 1.0)[None, :], np.inf)
        zw = np.where(nonzero, weight, 0.0)
        has = nonzero.sum(axis=1)
        mu = np.where(has > 0, weighted_median(z, zw), 0.0)
        dev = np.where(nonzero, np.abs(z - mu[:, None]), np.inf)
        mad = np.where(has >= 2, MAD_TO_SD * weighted_median(dev, zw), 0.0)
        p = (n_d + k * share) / (W_d + k)
        sd = c * np.sqrt((n_d * mad * mad + k * prior_scale * prior_scale) / (n_d + k))
        sums["sphere-level"] += hurdle_crps(p, mu * f[o], sd * f[o], nu, y).sum()
        sums["persistence"] += np.abs(y - y_hist[:, -1]).sum()
        hist = np.where(covered[None, :o], y_hist, np.inf)
        climate = np.sort(hist, axis=1)
        sums["climatology"] += empirical_crps(climate, np.full(len(y), covered[:o].sum()), y).sum()
        recent = np.sort(hist[:, max(0, o - 12):], axis=1)
        sums["recent"] += empirical_crps(recent, np.full(len(y), covered[max(0, o - 12):o].sum()), y).sum()
        n += len(y)
    out = {key: value / n for key, value in sums.items()}
    out["forecasts"] = int(n)
    out["cpu_seconds"] = time.process_time() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
