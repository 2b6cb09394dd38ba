"""Plain-Python reference of Sphere's expected-utility ("challenge") model.

The same specification as src/bargain (docs/MODEL.md, "Bargaining"): Bueno de Mesquita's model as
reconstructed by Scholz, Calbert & Smith (2011), with the choices Sphere makes where the paper is
ambiguous. Written independently of the C++ code, loop for loop, so that the benchmark can check
that both give the same numbers (to 1e-9) and compare their speed. No numpy: plain Python.
"""

PRINTED = "printed"          # eq. 31 as printed: P_i + P_j = 1
SCHOLZ_CODE = "scholz-code"  # the normalisation of Scholz's own code (jmckib replication)


def weighted_median(xs, ws):
    """Lowest position whose cumulative weight reaches half the total (the Condorcet winner)."""
    order = sorted(set(xs))
    total = sum(ws)
    acc = 0.0
    for p in order:
        for x, w in zip(xs, ws):
            if x == p:
                acc += w
        if 2.0 * acc >= total * (1.0 - 1e-12):  # a tie counts despite rounding
            return p
    return order[-1]


def weighted_mean(xs, ws):
    num = 0.0
    den = 0.0
    for x, w in zip(xs, ws):
        num += w * x
        den += w
    return num / den


def distinct(xs):
    """Distinct positions in order of first appearance, and how many actors hold each."""
    values, counts = [], []
    for x in xs:
        if x in values:
            counts[values.index(x)] += 1
        else:
            values.append(x)
            counts.append(1)
    return values, counts


def probabilities(x, cs, r, rng, rule):
    """P[a][b]: probability that position a beats position b (indices into the distinct list)."""
    values, counts = distinct(x)
    m = len(values)
    n = len(x)
    # d[k][a] = (|x_k - v_a| / range) ** r_k
    d = [[(abs(x[k] - values[a]) / rng) ** r[k] if rule == SCHOLZ_CODE else abs(x[k] - values[a]) / rng
          for a in range(m)] for k in range(n)]
    denominator = 0.0
    if rule == SCHOLZ_CODE:
        for k in range(n):
            for a in range(m):
                for b in range(m):
                    denominator += counts[a] * counts[b] * abs(cs[k] * (d[k][b] - d[k][a]))
    p = [[0.0] * m for _ in range(m)]
    for a in range(m):
        for b in range(m):
            if a == b:
                continue
            num = 0.0
            tot = 0.0
            for k in range(n):
                v = cs[k] * (d[k][b] - d[k][a])
                if v > 0.0:
                    num += v
                tot += abs(v)
            den = denominator if rule == SCHOLZ_CODE else tot
            p[a][b] = num / den if den > 0.0 else 0.0
    return values, p


class Round:
    """One round's positions, P per pair of distinct positions, and each actor's utilities (with
    its own risk exponent) against every distinct position."""

    def __init__(self, x, s, cs, rng, mu, q, rule):
        self.x, self.s, self.cs, self.rng, self.mu, self.q, self.rule = x, s, cs, rng, mu, q, rule
        self.values, self.counts = distinct(x)
        self.index = [self.values.index(v) for v in x]

    def set_risk(self, r):
        x, rng, values = self.x, self.rng, self.values
        self.r = list(r)
        _, self.p = probabilities(x, self.cs, r, rng, self.rule)
        self.success, self.failure, self.status_quo = [], [], []
        for k in range(len(x)):
            self.status_quo.append(2.0 - 4.0 * 0.5 ** r[k])
            us, uf = [], []
            for a in range(len(values)):
                dist = abs(x[k] - values[a]) / rng
                us.append(2.0 - 4.0 * (0.5 - 0.5 * dist) ** r[k])
                uf.append(2.0 - 4.0 * (0.5 + 0.5 * dist) ** r[k])
            self.success.append(us)
            self.failure.append(uf)

    def challenge(self, i, j, viewer):
        """E(U_ij) as `viewer` (i or j) sees it: i challenges j, j resists with probability s_j."""
        x, s, q, mu, rng = self.x, self.s, self.q, self.mu, self.rng
        other = j if viewer == i else i
        p = self.p[self.index[i]][self.index[j]]
        u_s = self.success[viewer][self.index[other]]
        u_f = self.failure[viewer][self.index[other]]
        challenge = s[j] * (p * u_s + (1.0 - p) * u_f) + (1.0 - s[j]) * u_s
        no_challenge = q * self.status_quo[viewer]
        if q != 1.0:  # with Q = 1 the better/worse term is multiplied by 0
            risk = self.r[viewer]
            e = (abs(x[i] - mu) + abs(x[i] - x[j])) / rng
            u_b = 2.0 - 4.0 * (0.5 - 0.25 * e) ** risk
            u_w = 2.0 - 4.0 * (0.5 + 0.25 * e) ** risk
            t = 1.0 if abs(x[i] - mu) < abs(x[i] - x[j]) else 0.0
            no_challenge += (1.0 - q) * (t * u_b + (1.0 - t) * u_w)
        return challenge - no_challenge


def risk_exponents(rnd, n):
    """r_i from the security levels Sec_i = sum_j E(U_ji), all computed with r = 1 (eqs 32-34)."""
    rnd.set_risk([1.0] * n)
    security = []
    for i in range(n):
        total = 0.0
        for j in range(n):
            if j != i:
                total += rnd.challenge(j, i, j)
        security.append(total)
    hi = max(security)
    lo = min(security)
    if hi - lo <= 0.0:
        return [1.0] * n
    out = []
    for i in range(n):
        big_r = (2.0 * security[i] - hi - lo) / (hi - lo)
        out.append((1.0 - big_r / 3.0) / (1.0 + big_r / 3.0))
    return out


CONFLICT, COMPROMISE, CAPITULATION = 0, 1, 2


def best_moves(x, c, s, q, rng, rule, mu):
    n = len(x)
    cs = [c[k] * s[k] for k in range(n)]
    rnd = Round(x, s, cs, rng, mu, q, rule)
    r = risk_exponents(rnd, n)
    rnd.set_risk(r)
    moves = []
    for i in range(n):
        best = None  # (kind, key, new position, j)
        for j in range(n):
            if x[i] == x[j]:
                continue
            a = rnd.challenge(i, j, i)  # i challenges j, as i sees it
            b = rnd.challenge(j, i, i)  # j challenges i, as i sees it
            if a > 0.0 and b > 0.0 and b > a:
                kind, pos = CONFLICT, x[j]
            elif a < 0.0 < b and b > -a:
                kind, pos = COMPROMISE, x[i] + (x[j] - x[i]) * abs(a / b)
            elif a < 0.0 < b and -a > b:
                kind, pos = CAPITULATION, x[j]
            else:
                continue
            if rule == SCHOLZ_CODE and kind == CAPITULATION:
                continue  # Scholz's code never capitulates (see docs/MODEL.md)
            if rule == SCHOLZ_CODE and kind == COMPROMISE:
                key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
            else:
                key = abs(pos - x[i])
            if best is None or kind < best[0] or (kind == best[0] and key < best[1]):
                best = (kind, key, pos, j)
        moves.append(best)
    return moves, r


def run(c, s, x0, q=1.0, rounds=10, rule=SCHOLZ_CODE, tolerance=None):
    """Runs the model; returns the list of (median, mean, positions) after each round.

    With `tolerance` set, stops early once the median moved less than tolerance * range in each
    of the last two rounds."""
    x = list(x0)
    n = len(x)
    w = [c[k] * s[k] for k in range(n)]
    rng = max(x) - min(x)
    history = []
    if rng <= 0.0 or sum(w) <= 0.0:
        return history
    quiet = 0
    previous = weighted_median(x, w)
    for _ in range(rounds):
        mu = weighted_median(x, w)
        moves, _r = best_moves(x, c, s, q, rng, rule, mu)
        x = [m[2] if m is not None else x[i] for i, m in enumerate(moves)]
        median = weighted_median(x, w)
        history.append((median, weighted_mean(x, w), list(x)))
        if tolerance is not None:
            quiet = quiet + 1 if abs(median - previous) < tolerance * rng else 0
            previous = median
            if quiet >= 2:
                break
    return history


if __name__ == "__main__":
    import csv
    import sys
    rows = list(csv.DictReader(open(sys.argv[1])))
    c = [float(r["Capability"]) for r in rows]
    s = [float(r["Salience"]) for r in rows]
    x = [float(r["Position"]) for r in rows]
    rule = sys.argv[2] if len(sys.argv) > 2 else SCHOLZ_CODE
    for t, (med, mean, pos) in enumerate(run(c, s, x, rounds=10, rule=rule), 1):
        print(t, round(med, 3), round(mean, 3), [round(v, 3) for v in pos])
