"""Wall-clock scaling of `sphere forecast` (or, with a third argument `sensitivity`, of a Morris
`sphere sensitivity` whose second argument is the number of trajectories) split into shards, and
MPI ranks when available.

Efficiency E(R) = T(1) / (R * T(R)); speed-up T(1) / T(R). Every variant's JSON must equal the
single-process JSON byte for byte, or the script fails.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sphere, runs = os.path.abspath(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "forecast"
if mode == "sensitivity":
    args = ["sensitivity", "--method", "morris", "--output", "escalation", "--n", str(runs),
            "--runs", "200", "--seed", "3", "--threads", "1", "--json"]
else:
    args = ["forecast", "--runs", str(runs), "--seed", "3", "--threads", "1", "--json"]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def single():
    return subprocess.run([sphere] + args, check=True, capture_output=True).stdout


def shards(n, tmp):
    procs = [subprocess.Popen([sphere] + args[:-1] + ["--shard", f"{k}/{n}", "--out",
                                                      f"{tmp}/p{k}.json"],
                              stdout=subprocess.DEVNULL) for k in range(1, n + 1)]
    if any(p.wait() != 0 for p in procs):
        sys.exit("a shard failed")
    return subprocess.run([sphere, "merge", "--json"] + [f"{tmp}/p{k}.json" for k in range(1, n + 1)],
                          check=True, capture_output=True).stdout


def mpi(n):
    return subprocess.run(["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", str(n),
                           sphere] + args, check=True, capture_output=True).stdout


with tempfile.TemporaryDirectory() as tmp:
    t1, ref = min((timed(single) for _ in range(3)), key=lambda r: r[0])
    rows = [("1 process", 1, t1)]
    t2, out = min((timed(lambda: shards(2, tmp)) for _ in range(3)), key=lambda r: r[0])
    assert out == ref, "2 shards + merge differ from one process"
    rows.append(("2 shards + merge", 2, t2))
    has_mpi = shutil.which("mpirun") and "mpi" in subprocess.run(
        ["ldd", sphere], capture_output=True, text=True).stdout
    if has_mpi:
        tm, out = min((timed(lambda: mpi(2)) for _ in range(3)), key=lambda r: r[0])
        assert out == ref, "mpirun -n 2 differs from one process"
        rows.append(("mpirun -n 2", 2, tm))

print(f"{' '.join(args[:7])}: 1 thread per process, {os.cpu_count()} CPUs, best of 3; outputs identical")
print(f"{'variant':<18} {'procs':>5} {'wall s':>8} {'speed-up':>8} {'efficiency':>10}")
for name, r, t in rows:
    print(f"{name:<18} {r:>5} {t:>8.3f} {t1 / t:>8.2f} {t1 / (r * t):>10.2f}")
