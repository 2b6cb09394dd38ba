"""Scenario-engine benchmark: sphere (C++, 1 and 2 threads) against numpy_sim.py, the plain NumPy
implementation of the same monthly dynamics, on the built-in model at a 60-month horizon.
Checks that both give the same trajectories for the same draws, then prints trajectories per
second per core, the ratio, the 1 → 2 thread speed-up and peak memory against the run count."""
import json
import os
import subprocess
import sys
import time

import numpy as np

import numpy_sim

sphere = sys.argv[1]
CHECK_RUNS, NUMPY_RUNS, SPHERE_RUNS = 10, 40, 40000
NAMES = ["rel_RUS_AZE", "gas_AZE_EEC", "trade_RUS_AZE", "leverage_RUS_AZE"]


def run(args):
    """Runs sphere; returns (stdout, wall seconds, peak resident memory in MiB, CPU seconds)."""
    start = time.perf_counter()
    p = subprocess.Popen([sphere] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"sphere {' '.join(args)} failed: {p.stderr.read().decode()}")
    return out, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


first = json.loads(run(["replay", "--engine", "structural", "--run", "0", "--seed", "1", "--calibration", "--json"])[0])
model = numpy_sim.Model(first["calibration"])
worst = 0.0
for k in range(CHECK_RUNS):
    rep = json.loads(run(["replay", "--engine", "structural", "--run", str(k), "--seed", "1", "--json"])[0])
    cpp = np.array([[row[n] for n in NAMES] for row in rep["indicators"]])
    worst = max(worst, float(np.abs(model.simulate(1, k) - cpp).max()))
    settled = [s["outcome"] for s in rep["settlements"]]
    if len(settled) != len(model.settlements):
        sys.exit(f"run {k}: {len(settled)} settlements in sphere, {len(model.settlements)} in NumPy")
    for x, (_, _, y) in zip(settled, model.settlements):
        worst = max(worst, abs(x - y))
print(f"agreement: runs 0-{CHECK_RUNS - 1}, 60 months x 4 indicators and "
      f"{len(model.settlements)} issue settlements, largest difference {worst:.3g}")
if worst > 1e-9:
    sys.exit("NumPy and sphere trajectories differ")

start, start_cpu = time.perf_counter(), time.process_time()
for k in range(NUMPY_RUNS):
    model.simulate(1, k)
numpy_rate = NUMPY_RUNS / (time.perf_counter() - start)
numpy_cpu_rate = NUMPY_RUNS / (time.process_time() - start_cpu)

_, base, _, base_cpu = run(["forecast", "--runs", "1", "--threads", "1", "--json"])  # start-up
rates, cpu_rates, peaks = {}, {}, {}
for threads in (1, 2):
    _, wall, peak, cpu = run(["forecast", "--runs", str(SPHERE_RUNS), "--threads", str(threads), "--json"])
    rates[threads] = SPHERE_RUNS / (wall - base)
    cpu_rates[threads] = SPHERE_RUNS / (cpu - base_cpu)
    peaks[SPHERE_RUNS] = peak
for runs in (4000, 200000):
    peaks[runs] = run(["forecast", "--runs", str(runs), "--threads", "2", "--json"])[2]

print(f"numpy:  {numpy_rate:10.1f} trajectories/s (1 core, {NUMPY_RUNS} runs); {numpy_cpu_rate:.1f} per CPU-second")
print(f"sphere: {rates[1]:10.1f} trajectories/s (1 thread, {SPHERE_RUNS} runs, start-up {base:.3f} s subtracted)")
print(f"sphere: {rates[2]:10.1f} trajectories/s (2 threads)")
print(f"sphere CPU time: {cpu_rates[1]:.1f} trajectories per CPU-second with 1 thread, {cpu_rates[2]:.1f} with 2 "
      f"(equal figures mean the work parallelises; a wall-clock speed-up also needs 2 idle cores; "
      f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
print(f"ratio sphere/numpy per core: {rates[1] / numpy_rate:.0f}x wall clock, {cpu_rates[1] / numpy_cpu_rate:.0f}x per CPU-second; "
      f"speed-up 1 -> 2 threads: {rates[2] / rates[1]:.2f}x")
print("peak memory: " + ", ".join(f"{r} runs {m:.1f} MiB" for r, m in sorted(peaks.items())))
