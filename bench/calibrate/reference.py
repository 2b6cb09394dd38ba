"""Plain NumPy/SciPy reference of `sphere calibrate` on a GDELT monthly panel: the same
likelihood (negative-binomial log-linear autoregression with a filtered state, censored at the
exposure, empirical-Bayes dyad levels, an NB size that follows the dyad's level, a common trend
from the panel's totals folded into the exposure), maximised with SciPy. Prints the estimates as
JSON.

With --full it also does what `sphere calibrate` does after the estimates: the null fit (no state,
excitation or cross terms) for the likelihood-ratio test, and the standard errors from the
observed information (central second differences of the log-likelihood). CPU seconds are
reported for the estimates alone and in all.

usage: reference.py PANEL.csv TARGET PARTNER [UNTIL-YYYY-MM] [--full]
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln
from scipy.stats import nbinom

LOWER = [-5.0, 0.0, 0.0, -1.0, -4.6, -3.0]
UPPER = [5.0, 0.99, 1.0, 1.0, 6.9, 3.0]
NAMES = ["delta", "beta", "alpha", "gamma", "log_r", "rho"]


def load(path, target, partner, until):
    df = pd.read_csv(path)
    if until:
        df = df[df["month"] < until]
    months = sorted(df["month"].unique())
    month_index = {m: i for i, m in enumerate(months)}
    days = df.groupby("month")["days_in_data"].first().reindex(months).to_numpy(float)
    codes = sorted(set(df["country1"]) | set(df["country2"]))
    pairs = df[["country1", "country2"]].drop_duplicates()
    a = np.minimum(pairs["country1"], pairs["country2"])
    b = np.maximum(pairs["country1"], pairs["country2"])
    keys = sorted(zip(a, b))
    pair_index = {k: i for i, k in enumerate(keys)}
    Y = np.zeros((len(keys), len(months)))
    X = np.zeros((len(keys), len(months)))
    rows = [pair_index[(min(r.country1, r.country2), max(r.country1, r.country2))]
            for r in df[["country1", "country2"]].itertuples()]
    cols = df["month"].map(month_index).to_numpy()
    Y[rows, cols] = df[target].to_numpy(float)
    X[rows, cols] = df[partner].to_numpy(float)
    return Y, X, days, keys


def fit_prior(totals, exposure):
    def neg(x):
        a, b = np.exp(x)
        ll = (gammaln(totals + a) - gammaln(a) + a * np.log(b / (b + exposure))
              + np.where(totals > 0, totals * np.log(exposure / (b + exposure)), 0.0))
        return -ll.sum()
    res = minimize(neg, [np.log(0.5), 0.0], method="L-BFGS-B", bounds=[(-12, 12), (-12, 15)],
                   options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})
    return np.exp(res.x)


def anchors(Y, f):
    covered = f > 0
    totals = Y[:, covered].sum(axis=1)
    exposure = np.full(Y.shape[0], f[covered].sum())
    a, b = fit_prior(totals, exposure)
    m = np.log((totals + a) / (exposure + b))
    level = np.log1p(Y[:, covered]).mean(axis=1)
    return m, level, (a, b)


def trend(series, f):
    """Poisson regression of the monthly totals on years from the exposure-weighted mean month,
    log exposure as offset, sandwich standard error with a Newey-West middle (lag
    floor(4 (n/100)^(2/9)))."""
    t = np.arange(len(f))
    u = (t - (f * t).sum() / f.sum()) / 12.0
    lag = int(np.floor(4 * (len(f) / 100) ** (2 / 9)))
    T, Z = series.sum(axis=0), np.column_stack([np.ones_like(u), u])

    def neg(b):
        eta = Z @ b
        mu = f * np.exp(eta)
        return -(T * eta - mu).sum(), -Z.T @ (T - mu)

    b = minimize(neg, [np.log(T.sum() / f.sum()), 0.0], jac=True, method="BFGS",
                 options={"gtol": 1e-10}).x
    mu = f * np.exp(Z @ b)
    A = (Z * mu[:, None]).T @ Z
    S = Z * (T - mu)[:, None]
    B = S.T @ S
    for lg in range(1, lag + 1):
        G = S[lg:].T @ S[:-lg]
        B += (1 - lg / (lag + 1)) * (G + G.T)
    cov = np.linalg.inv(A) @ B @ np.linalg.inv(A)
    return b[1], float(np.sqrt(cov[1, 1])), u


def loglik(theta, Y, X, m, L, C, f, bound, center):
    delta, beta, alpha, gamma, log_r, rho = theta
    # Each dyad's NB size: log r + rho (m - m0), m0 the median level, kept within log r's bounds.
    r = np.exp(np.clip(log_r + rho * (m - center), LOWER[4], UPPER[4]))
    eta = np.clip(m + delta, -30, 20)
    total = 0.0
    for t in range(Y.shape[1]):
        y = Y[:, t]
        if f[t] > 0:
            mu = f[t] * np.exp(eta)
            ll = (gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * (np.log(r) - np.log(r + mu))
                  + y * (np.log(mu) - np.log(r + mu)))
            censored = y >= bound[t]
            if censored.any():
                rc = r[censored]
                ll[censored] = np.log(np.maximum(
                    nbinom.sf(bound[t] - 1, rc, rc / (rc + mu[censored])), 1e-300))
            total += ll.sum()
            ly, lx = np.log1p(y), np.log1p(X[:, t])
        else:
            ly, lx = L, C
        eta = np.clip(m + delta + beta * (eta - m - delta) + alpha * (ly - L) + gamma * (lx - C),
                      -30, 20)
    return total


def standard_errors(neg, x):
    """sqrt(diag(H^-1)) of the negative log-likelihood's Hessian at x by central second
    differences (step 1e-4 max(1, |x_i|)); parameters on a bound get none (0), as in sphere."""
    x = np.asarray(x, float)
    inner = [i for i in range(len(x)) if LOWER[i] + 1e-7 < x[i] < UPPER[i] - 1e-7]
    h = {i: 1e-4 * max(1.0, abs(x[i])) for i in inner}
    f0 = neg(x)
    H = np.zeros((len(inner), len(inner)))

    def at(**shift):
        y = x.copy()
        for i, d in shift.items():
            y[int(i)] += d
        return neg(y)

    for a, i in enumerate(inner):
        H[a, a] = (at(**{str(i): h[i]}) - 2 * f0 + at(**{str(i): -h[i]})) / h[i] ** 2
        for b in range(a):
            j = inner[b]
            H[a, b] = H[b, a] = (at(**{str(i): h[i], str(j): h[j]}) - at(**{str(i): h[i], str(j): -h[j]})
                                 - at(**{str(i): -h[i], str(j): h[j]})
                                 + at(**{str(i): -h[i], str(j): -h[j]})) / (4 * h[i] * h[j])
    se = np.zeros(len(x))
    se[inner] = np.sqrt(np.diag(np.linalg.inv(H)))
    return se


def main():
    full = "--full" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--full"]
    path, target, partner = args[:3]
    until = args[3] if len(args) > 3 else None
    start = time.process_time()
    Y, X, days, keys = load(path, target, partner, until)
    f = days / days[days > 0].mean()
    bound = np.rint(days)
    # Each measure's exposure: the panel's, times its common trend.
    ky, sey, u = trend(Y, f)
    kx, sex, _ = trend(X, f)
    fy, fx = f * np.exp(ky * u), f * np.exp(kx * u)
    mY, LY, prior_y = anchors(Y, fy)
    mX, LX, prior_x = anchors(X, fx)
    out = {"pairs": len(keys), "fits": []}
    for (series, partner_series, m, L, C, prior, f, kappa, se) in (
            (Y, X, mY, LY, LX, prior_y, fy, ky, sey), (X, Y, mX, LX, LY, prior_x, fx, kx, sex)):
        # float32, as sphere keeps its anchors
        m = m.astype(np.float32).astype(float)
        L = L.astype(np.float32).astype(float)
        C = C.astype(np.float32).astype(float)
        center = float(np.median(m))
        def neg(th):
            return -loglik(th, series, partner_series, m, L, C, f, bound, center)
        res = minimize(neg, [0.0, 0.5, 0.2, 0.0, 0.0, 0.0], method="L-BFGS-B",
                       bounds=list(zip(LOWER, UPPER)),
                       options={"ftol": 1e-15, "gtol": 1e-8, "maxiter": 5000, "eps": 1e-8})
        params = dict(zip(NAMES, res.x.tolist()))
        params["trend"] = kappa
        fit = {"params": params, "trend_se": se, "dispersion_center": center,
               "loglik": -res.fun, "prior": {"a": prior[0], "b": prior[1]},
               "evaluations": int(res.nfev)}
        if full:
            t0 = time.process_time()
            free = [0, 4, 5]  # the null: delta, log r and rho; beta = alpha = gamma = 0

            def neg_null(v):
                th = np.array(res.x)
                th[1:4] = 0.0
                th[free] = v
                return neg(th)
            null = minimize(neg_null, res.x[free], method="L-BFGS-B",
                            bounds=[(LOWER[i], UPPER[i]) for i in free],
                            options={"ftol": 1e-15, "gtol": 1e-8, "maxiter": 5000, "eps": 1e-8})
            fit["loglik_null"] = -null.fun
            fit["se"] = dict(zip(NAMES, standard_errors(neg, res.x).tolist()))
            fit["full_cpu"] = time.process_time() - t0
        out["fits"].append(fit)
    out["cpu_seconds"] = time.process_time() - start
    out["cpu_estimates"] = out["cpu_seconds"] - sum(f.get("full_cpu", 0.0) for f in out["fits"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
