"""A plain NumPy implementation of Sphere's monthly dynamics (docs/MODEL.md, "Scenario engine"),
for the benchmark in bench/sim/run.sh. It reads the calibrated engine that
`sphere replay --calibration --json` prints and draws the same random numbers (Philox4x32-10 with
the same keys, counters and transforms), so each trajectory's indicators equal the C++ ones.
Vectorised over dyads and classes within a month; months, tool choices and the few events a
month has are plain Python."""
import math

import numpy as np

M32 = np.uint64(0xFFFFFFFF)
PHILOX_M0, PHILOX_M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
EVENTS, TOOLS = 1, 3


def philox(ctr, key):
    """Philox4x32-10 of counters ctr (n x 4, uint64 holding 32-bit words) under key (k0, k1)."""
    c0, c1, c2, c3 = (ctr[:, i].copy() for i in range(4))
    k0, k1 = key
    for _ in range(10):
        p0, p1 = PHILOX_M0 * c0, PHILOX_M1 * c2
        hi0, lo0, hi1, lo1 = p0 >> np.uint64(32), p0 & M32, p1 >> np.uint64(32), p1 & M32
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
        k0, k1 = (k0 + PHILOX_W0) & 0xFFFFFFFF, (k1 + PHILOX_W1) & 0xFFFFFFFF
    return np.stack([c0, c1, c2, c3], axis=1)


def uniform_from(w0, w1):
    return (((w0 >> np.uint64(5)) << np.uint64(26) | (w1 >> np.uint64(6))).astype(np.float64) + 0.5) * 2.0**-53


class Stream:
    """Scalar draws of one stream, continuing where the vectorised first block left off."""

    def __init__(self, key, ctr, block=None, used=4):
        self.key, self.ctr, self.block, self.used = key, list(ctr), block, used

    def u32(self):
        if self.used == 4:
            self.block = [int(x) for x in philox(np.array([self.ctr], dtype=np.uint64), self.key)[0]]
            self.ctr[3] += 1
            self.used = 0
        self.used += 1
        return self.block[self.used - 1]

    def uniform(self):
        hi, lo = self.u32() >> 5, self.u32() >> 6
        return (float((hi << 26) | lo) + 0.5) * 2.0**-53

    def below(self, n):
        return (self.u32() * n) >> 32

    def poisson_ptrs(self, lam):
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha, vr = 1.1239 + 1.1328 / (b - 3.4), 0.9277 - 3.6224 / (b - 2.0)
        while True:
            U, V = self.uniform() - 0.5, self.uniform()
            us = 0.5 - abs(U)
            k = math.floor((2.0 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k


def fnv1a(text):
    """FNV-1a of an issue id: the issue's word in its draws' counters."""
    h = 2166136261
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def triangular(low, mode, high, u):
    if not high > low:
        return mode
    f = (mode - low) / (high - low)
    if u < f:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))


def drawn_players(issue, seed, run):
    """One run's draw of an issue's players, as bargain::draw_issue makes it: input 3a + (0
    position, 1 salience, 2 influence) of player a from Philox at counter (run, input, issue, 0)."""
    n = len(issue["ranges"])
    ctr = np.zeros((3 * n, 4), dtype=np.uint64)
    ctr[:, 0], ctr[:, 1], ctr[:, 2] = run, np.arange(3 * n), fnv1a(issue["id"])
    blocks = philox(ctr, (seed & 0xFFFFFFFF, seed >> 32))
    u = uniform_from(blocks[:, 0], blocks[:, 1])
    out = []
    for a, (pos, sal, inf) in enumerate(issue["ranges"]):
        x = triangular(pos[0], pos[1], pos[2], float(u[3 * a]))
        s = triangular(sal[0], sal[1], sal[2], float(u[3 * a + 1]))
        c = triangular(inf[0], inf[1], inf[2], float(u[3 * a + 2]))
        out.append((c, x, s))
    return out


def quad_class(cameo):
    root = int(cameo[:2])
    return 0 if root <= 5 else 1 if root <= 8 else 2 if root <= 13 else 3


def is_force(cameo):
    return 18 <= int(cameo[:2]) <= 20


class Model:
    def __init__(self, cal):
        self.c = cal
        n = cal["n"]
        self.n, self.D = n, cal["dyads"]
        d = np.arange(self.D)
        i, jj = d // (n - 1), d % (n - 1)
        j = np.where(jj >= i, jj + 1, jj)
        self.i, self.j = i, j
        self.rev = np.array([self.dyad(j[k], i[k]) for k in range(self.D)])
        self.mu = np.array(cal["mu"]).reshape(self.D, 4)
        self.sign = np.array([1.0, 1.0, -1.0, -1.0])
        self.pools = [cal["dyad_pools"][k] or cal["class_pools"][k % 4] for k in range(self.D * 4)]
        self.pool_force = [[is_force(c) for c, _ in p] for p in self.pools]
        self.pool_class = [[quad_class(c) for c, _ in p] for p in self.pools]
        self.baseline = np.array(cal["baseline"])

    def dyad(self, i, j):
        return int(i) * (self.n - 1) + int(j) - (1 if j > i else 0)

    def simulate(self, seed, run):
        c, D = self.c, self.D
        key = (seed & 0xFFFFFFFF, seed >> 32)
        R = np.array(c["R0"])
        H = np.array(c["H0"]).reshape(D, 4)
        R_ring = np.array(c["R_ring0"]).reshape(12, D)
        force_ring = np.array(c["force_ring0"]).reshape(12, D)
        rel_ring = list(c["rel_ring0"])
        a, b = c["a"], c["b"]
        ab, ba = self.dyad(a, b), self.dyad(b, a)
        gsb, gbs = self.dyad(c["gas_seller"], c["gas_buyer"]), self.dyad(c["gas_buyer"], c["gas_seller"])
        trade0 = c["trade0"]
        trade, block_left = trade0, 0
        out = np.zeros((c["months"], 4))
        self.settlements = []  # (month, issue, outcome), as `sphere replay --json` lists them
        if c["settle"] and c["bargaining"] != "compromise":
            raise NotImplementedError("the NumPy twin settles issues with the compromise model only")
        # The issues' players for this run: as stated, or one draw over their ranges.
        sampled = c.get("settle_inputs", "stated") == "sampled"
        run_players = [drawn_players(issue, seed, run) if sampled else issue["players"]
                       for issue in c["settle"]]
        cells = np.arange(D * 4)
        for t in range(c["months"]):
            m = c["start"] + t
            G, force = [0.0] * D, np.zeros(D)
            counts = np.zeros((D, 4))
            lev = {0: c["leverage_ab_by_month"][t] * trade / trade0, 1: c["leverage_ba_by_month"][t] * trade / trade0}

            def add(d, cameo, g, cls, f):
                G[d] += g
                counts[d, cls] += 1
                if f:
                    force[d] += 1

            for side in (0, 1):
                u, v = (a, b) if side == 0 else (b, a)
                r = R[self.dyad(u, v)] / 10.0
                w, total = [], 1.0
                for tl in c["tools"]:
                    if tl["coercive"]:
                        eu = tl["gain"] * lev[side] - c["hostility"] * r - tl["cost"] - c["retaliation"] * lev[1 - side]
                    else:
                        eu = tl["gain"] + c["hostility"] * r - tl["cost"]
                    w.append(math.exp(c["rho"] * eu))
                    total += w[-1]
                x = Stream(key, [run, m, side, TOOLS << 24]).uniform() * total
                for k, tl in enumerate(c["tools"]):
                    if x >= w[k]:
                        x -= w[k]
                        continue
                    add(self.dyad(u, v), tl["cameo"], tl["goldstein"], quad_class(tl["cameo"]), is_force(tl["cameo"]))
                    if k == 0:
                        block_left = max(block_left, int(c["block_months"]))
                    break
            # Events: one Philox block per active (dyad, class) cell, Poisson by inversion.
            exc = c["alpha"] * (H + H[self.rev])
            lam = self.mu * np.exp(self.sign[None, :] * c["beta"] * R[:, None] / 10.0) + exc
            active = cells[((self.mu > 0) | (exc > 0)).ravel()]
            if active.size:
                ctr = np.zeros((active.size, 4), dtype=np.uint64)
                ctr[:, 0], ctr[:, 1], ctr[:, 2], ctr[:, 3] = run, m, active, EVENTS << 24
                blocks = philox(ctr, key)
                u = uniform_from(blocks[:, 0], blocks[:, 1])
                lam_a = lam.ravel()[active]
                p = np.exp(-lam_a)
                cdf, k = p.copy(), np.zeros(active.size, dtype=np.int64)
                todo = (u > cdf) & (lam_a < 10)
                while todo.any():
                    k[todo] += 1
                    p[todo] *= lam_a[todo] / k[todo]
                    cdf[todo] += p[todo]
                    todo &= (u > cdf) & (k < 1000)
                for idx in np.nonzero((k > 0) | (lam_a >= 10))[0]:
                    cell = int(active[idx])
                    s = Stream(key, [run, m, cell, (EVENTS << 24) + 1], [int(x) for x in blocks[idx]], 2)
                    count = int(k[idx])
                    if lam_a[idx] >= 10:
                        s.used = 4
                        s.ctr[3] = EVENTS << 24
                        count = s.poisson_ptrs(float(lam_a[idx]))
                    pool, d = self.pools[cell], cell // 4
                    for _ in range(min(count, 200)):
                        e = s.below(len(pool))
                        add(d, pool[e][0], pool[e][1], self.pool_class[cell][e], self.pool_force[cell][e])
            for sh in c["shocks"]:
                if sh["month"] == m:
                    add(self.dyad(sh["from"], sh["to"]), sh["cameo"], sh["goldstein"], quad_class(sh["cameo"]), is_force(sh["cameo"]))
            H = c["decay"] * (H + counts)
            Gv = np.array(G)
            R = np.clip(R + c["theta"] * (self.baseline - R) + c["kappa"] * (Gv + Gv[self.rev]), -10.0, 10.0)
            rel = (R[ab] + R[ba]) / 2
            trade = trade0 * math.exp(c["trade_elasticity"] * (rel - c["rel0"]) / 10.0) * (1.0 - c["block_cut"] if block_left > 0 else 1.0)
            if block_left > 0:
                block_left -= 1
            gas_rel = (R[gsb] + R[gbs]) / 2
            ramp = min(max((m - c["start"] + 1) / c["gas_ramp"], 0.0), 1.0)
            cap = c["gas_cap"][t]  # what the network can deliver; null: unbounded
            gas = (c["gas_start"] + (c["gas_target"] - c["gas_start"]) * ramp) * max(0.0, 1.0 + c["gas_elasticity"] * (gas_rel - c["gas_rel0"]) / 10.0)
            gas = gas if cap is None else min(gas, cap)
            slot = m % 12
            R_ring[slot], force_ring[slot], rel_ring[slot] = R, force, rel
            if c["settle"] and ((t + 1) % c["settle_every"] == 0 or t == c["months"] - 1):
                for k, issue in enumerate(c["settle"]):
                    num = den = 0.0  # in player order, as the C++ sums
                    for p, (cap, pos, sal) in enumerate(run_players[k]):
                        if p == issue["a"]:
                            cap *= 1.0 + c["leverage_weight"] * lev[0]
                        if p == issue["b"]:
                            cap *= 1.0 + c["leverage_weight"] * lev[1]
                        num += cap * sal * pos
                        den += cap * sal
                    self.settlements.append((m, k, num / den))
            out[t] = (rel, gas, trade, c["leverage_ab_by_month"][t] * trade / trade0)
        return out
