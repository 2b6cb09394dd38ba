"""Plain NumPy reference of `sphere backtest` at horizon 1: given the parameters sphere fitted
(its --json output), recompute the empirical-Bayes anchors, filter every pair's state to each
origin and score the model's exact one-step negative-binomial predictive and the persistence,
climatology and recent baselines by CRPS. Prints mean CRPS per model and the CPU time.

usage: reference.py PANEL.csv SPHERE_BACKTEST.json FROM TO   (origins as YYYY-MM)
"""
import json
import sys
import time

import numpy as np
from scipy.stats import nbinom

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/calibrate")
import reference as calib  # noqa: E402


def crps_pmf(pmf, y):
    """CRPS of discrete distributions (rows) at outcomes y: sum_k (F(k) - 1{y <= k})^2."""
    F = np.cumsum(pmf, axis=1)
    k = np.arange(pmf.shape[1])[None, :]
    ind = (y[:, None] <= k).astype(float)
    total = ((F - ind) ** 2).sum(axis=1)
    # Beyond the support F = 1 and the indicator is 0 for k < y.
    total += np.maximum(0, y - pmf.shape[1])
    return total


def empirical(Y, start, end, width):
    pmf = np.zeros((Y.shape[0], width))
    window = Y[:, start:end].astype(int)
    for t in range(window.shape[1]):
        np.add.at(pmf, (np.arange(Y.shape[0]), window[:, t]), 1.0)
    return pmf / window.shape[1]


def main():
    path, sphere_json, first, last = sys.argv[1:5]
    start = time.process_time()
    s = json.load(open(sphere_json))
    fit = s["fits"][0]
    target, partner = fit["target"], fit["partner"]
    Y, X, days, keys = calib.load(path, target, partner, None)
    months = sorted(__import__("pandas").read_csv(path, usecols=["month"])["month"].unique())
    o0, o1 = months.index(first), months.index(last)
    until = o0  # refit once: the fit's window ends at the first origin
    f = days / days[:until][days[:until] > 0].mean()
    bound = np.rint(days).astype(int)
    width = int(bound.max()) + 1
    params = [[m["params"][k]["value"] for k in calib.NAMES] for m in fit["fits"]]
    priors = [(m["prior"]["a"], m["prior"]["b"]) for m in fit["fits"]]
    (dy, by, ay, gy, lry, rhoy), (dx, bx, ax, gx, lrx, rhox) = params
    center_y = fit["fits"][0]["dispersion_center"]
    # Each measure's common trend, part of its exposure, held after the fit's last month.
    first_abs = int(months[0][:4]) * 12 + int(months[0][5:7]) - 1
    held = np.minimum(first_abs + np.arange(len(f)), first_abs + until - 1)
    fy = f * np.exp(fit["fits"][0]["trend"]["value"] * (held - fit["fits"][0]["trend"]["center"]) / 12)
    fx = f * np.exp(fit["fits"][1]["trend"]["value"] * (held - fit["fits"][1]["trend"]["center"]) / 12)
    f32 = lambda v: v.astype(np.float32).astype(float)  # sphere keeps anchors in single precision

    def anchors(series, prior, t, f):
        # As sphere at each origin: pooled log rate and mean log(1 + y) over [0, t), the prior
        # and the exposure scale of the fit.
        a, b = prior
        covered = f[:t] > 0
        totals = series[:, :t][:, covered].sum(axis=1)
        m_d = np.log((totals + a) / (f[:t][covered].sum() + b))
        level = np.log1p(series[:, :t][:, covered]).mean(axis=1)
        return f32(m_d), f32(level)

    sums = {"sphere": 0.0, "persistence": 0.0, "climatology": 0.0, "recent": 0.0}
    n = 0
    for t in range(o0, o1 + 1):
        active = (Y[:, :t].sum(axis=1) + X[:, :t].sum(axis=1)) > 0
        # A pair "has a row" when any measure is non-zero before the origin.
        mY, LY = anchors(Y, priors[0], t, fy)
        mX, LX = anchors(X, priors[1], t, fx)
        ey, ex = np.clip(mY + dy, -30, 20), np.clip(mX + dx, -30, 20)
        for s_ in range(t):  # the state filtered up to the origin
            ly, lx = np.log1p(Y[:, s_]), np.log1p(X[:, s_])
            ny = np.clip(mY + dy + by * (ey - mY - dy) + ay * (ly - LY) + gy * (lx - LX), -30, 20)
            nx = np.clip(mX + dx + bx * (ex - mX - dx) + ax * (lx - LX) + gx * (ly - LY), -30, 20)
            ey, ex = ny, nx
        y = Y[active, t]
        mean = fy[t] * np.exp(ey[active])
        # Each pair's NB size follows its level at the origin (the fit's centre m0).
        ry = np.exp(np.clip(lry + rhoy * (mY[active] - center_y), calib.LOWER[4], calib.UPPER[4]))
        k = np.arange(bound[t] + 1)
        pmf = nbinom.pmf(k[None, :], ry[:, None], (ry / (ry + mean))[:, None])
        pmf[:, -1] += np.maximum(0, 1 - pmf.sum(axis=1))
        sums["sphere"] += crps_pmf(pmf, y).sum()
        last_value = Y[active, t - 1].astype(int)
        sums["persistence"] += np.abs(y - last_value).sum()
        sums["climatology"] += crps_pmf(empirical(Y[active], 0, t, width), y).sum()
        sums["recent"] += crps_pmf(empirical(Y[active], max(0, t - 12), t, width), y).sum()
        n += active.sum()
    out = {k: v / n for k, v in sums.items()}
    out["forecasts"] = int(n)
    out["cpu_seconds"] = time.process_time() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
