#!/usr/bin/python3
"""Import benchmark: `sphere events import` against pandas and `wc -l` on one >= 1 GB GDELT 2.0 file.

Usage: /usr/bin/python3 bench/events/bench.py [SPHERE_BINARY] [--gb 1.0] [--keep]

Builds nothing: it runs the given Release binary (default build/sphere). The input is generated in
/tmp (never in the repository) by repeating the rows of the real GDELT 2.0 sample
(../shared/data/gdelt-sample) with varied actor countries and dates, then removed unless --keep.
All three tools read the same file from the page cache (a warm-up read comes first); each runs in
its own process so that its peak memory (ru_maxrss) is its own. Sphere and pandas compute the same
thing: rows between RUS and AZE (either direction) dated 2016-2023, duplicates (same date, actors
and event code) removed, events and Goldstein sums per ordered dyad and month; the script checks
that their results are equal.
"""
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(REPO, "..", "shared", "data", "gdelt-sample", "20191024143000.export.CSV")
REGION = ["RUS", "AZE", "ARM", "GEO", "TUR", "IRN", "USA", "UKR", "ISR", "CHN", "KAZ", "DEU"]

PANDAS = r"""
import sys, pandas as pd
cols = {1: "SQLDATE", 7: "c1", 8: "g1", 17: "c2", 18: "g2", 26: "EventCode", 30: "GoldsteinScale"}
df = pd.read_csv(sys.argv[1], sep="\t", header=None, usecols=list(cols), quoting=3,
                 dtype={1: "int64", 7: str, 8: str, 17: str, 18: str, 26: str, 30: "float64"})
df = df.rename(columns=cols)
df["a1"] = df["c1"].fillna(df["g1"])
df["a2"] = df["c2"].fillna(df["g2"])
keep = (((df.a1 == "RUS") & (df.a2 == "AZE")) | ((df.a1 == "AZE") & (df.a2 == "RUS"))) & \
       (df.SQLDATE >= 20160101) & (df.SQLDATE <= 20231231)
df = df[keep].drop_duplicates(["SQLDATE", "a1", "a2", "EventCode"])
df["month"] = (df.SQLDATE // 10000).astype(str) + "-" + ((df.SQLDATE // 100) % 100).map("{:02d}".format)
g = df.groupby(["a1", "a2", "month"]).agg(events=("EventCode", "size"), goldstein=("GoldsteinScale", "sum"))
for (a1, a2, m), r in g.iterrows():
    print(f"{a1},{a2},{m},{int(r.events)},{r.goldstein:.6f}")
"""


def generate(path, target_bytes):
    """Repeats the sample's rows with varied actor countries and event dates until target_bytes."""
    rows = [line.rstrip("\n").split("\t") for line in open(SAMPLE, encoding="utf-8")]
    written, i = 0, 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target_bytes:
            chunk = []
            for _ in range(20000):
                f = list(rows[i % len(rows)])
                day = (i * 7919) % 3650  # 2015-2024, every day
                y, m, d = 2015 + day // 365, 1 + (day % 365) // 31 % 12, 1 + day % 28
                f[1], f[2], f[3] = f"{y}{m:02d}{d:02d}", f"{y}{m:02d}", str(y)
                # Varied actors; rows without a country code keep it empty, as in GDELT.
                h = (i * 0x9E3779B1) & 0xFFFFFFFF
                if f[7]:
                    f[7] = REGION[h % len(REGION)]
                if f[17]:
                    f[17] = REGION[(h >> 16) % len(REGION)]
                chunk.append("\t".join(f))
                i += 1
            text = "\n".join(chunk) + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
    return i


def run(argv, stdout=subprocess.DEVNULL):
    """Runs argv under /usr/bin/time (whose child is argv alone, so the peak RSS is argv's own, not
    that of a forked copy of this script). Returns (wall seconds, CPU seconds (user + system),
    peak RSS in MiB, stdout text)."""
    with tempfile.NamedTemporaryFile("r", prefix="sphere-bench-time-") as stats:
        proc = subprocess.run(["/usr/bin/time", "-o", stats.name, "-f", "%e %U %S %M"] + argv,
                              stdout=stdout, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            sys.exit(f"{argv[0]} failed: {proc.stderr.decode()}")
        wall, user, system, rss_kib = stats.read().split()[-4:]
    out = proc.stdout.decode() if stdout == subprocess.PIPE else None
    return float(wall), float(user) + float(system), int(rss_kib) / 1024.0, out


def best_of(n, argv, stdout=subprocess.DEVNULL):
    results = [run(argv, stdout) for _ in range(n)]
    return min(results, key=lambda r: r[1])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    binary = os.path.abspath(args[0] if args else os.path.join(REPO, "build", "sphere"))
    gb = float(sys.argv[sys.argv.index("--gb") + 1]) if "--gb" in sys.argv else 1.0
    if not os.path.exists(SAMPLE):
        sys.exit(f"the GDELT sample is absent: {SAMPLE}")
    if not os.access(binary, os.X_OK):
        sys.exit(f"no sphere binary at {binary}: build it first (make, or cmake --build)")
    fd, path = tempfile.mkstemp(prefix="sphere-gdelt-bench-", suffix=".tsv", dir="/tmp")
    os.close(fd)
    small = path + ".quarter"
    try:
        t = time.perf_counter()
        rows = generate(path, int(gb * 1e9))
        size = os.path.getsize(path)
        with open(path, "rb") as src, open(small, "wb") as dst:
            dst.write(src.read(size // 4).rsplit(b"\n", 1)[0] + b"\n")
        print(f"generated {path}: {size / 1e6:.0f} MB, {rows:,} rows ({time.perf_counter() - t:.1f} s)")
        run(["cat", path])  # warm the page cache

        sphere = [binary, "events", "import", "--dyad", "RUS:AZE", "--from", "2016-01-01",
                  "--to", "2023-12-31", "--series", "--csv"]
        wc = best_of(5, ["wc", "-l", path], subprocess.PIPE)
        sp = best_of(5, sphere[:3] + [path] + sphere[3:], subprocess.PIPE)
        sp_small = run(sphere[:3] + [small] + sphere[3:], subprocess.PIPE)
        pd = run(["/usr/bin/python3", "-c", PANDAS, path], subprocess.PIPE)
        wc_out, sp_out, pd_out = wc[3], sp[3], pd[3]
        assert int(wc_out.split()[0]) == rows, "wc -l disagrees with the rows written"

        # Same answer: sphere's non-zero months against pandas' groupby.
        ours = {}
        for line in sp_out.splitlines()[1:]:
            a1, a2, month, events, *_rest = line.split(",")
            goldstein = float(line.split(",")[-4])
            if int(events) > 0:
                ours[(a1, a2, month)] = (int(events), round(goldstein, 6))
        theirs = {}
        for line in pd_out.splitlines():
            a1, a2, month, events, goldstein = line.split(",")
            theirs[(a1, a2, month)] = (int(events), round(float(goldstein), 6))
        same = ours == theirs and len(ours) > 0
        print(f"results equal: {same} ({len(ours)} non-zero dyad-months, "
              f"{sum(v[0] for v in ours.values()):,} events after de-duplication)")

        mb = size / 1e6
        print(f"load average before the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(wall times include waiting for a core; CPU = user + system time)")
        print(f"{'tool':<36}{'wall s':>8}{'CPU s':>8}{'MB/s':>8}{'rows/s':>13}{'peak RSS MiB':>14}")
        for name, r in [("sphere events import (1 thread)", sp),
                        ("pandas read_csv + filter + groupby", pd), ("wc -l", wc)]:
            print(f"{name:<36}{r[0]:>8.2f}{r[1]:>8.2f}{mb / r[1]:>8.0f}{rows / r[1]:>13,.0f}{r[2]:>14.1f}")
        print("(MB/s and rows/s per CPU second)")
        print(f"sphere vs pandas: {pd[1] / sp[1]:.1f}x less CPU time ({pd[0] / sp[0]:.1f}x wall); "
              f"sphere vs wc -l: {sp[1] / wc[1]:.2f}x the CPU time ({sp[0] / wc[0]:.2f}x wall)")
        print(f"sphere peak RSS on a quarter of the file: {sp_small[2]:.1f} MiB (whole file: {sp[2]:.1f} MiB)")
        if not same:
            sys.exit("sphere and pandas disagree")
    finally:
        if "--keep" not in sys.argv:
            for p in (path, small):
                if os.path.exists(p):
                    os.remove(p)


if __name__ == "__main__":
    main()
