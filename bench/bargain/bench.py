"""Times the expected-utility model on every scoreable DEU III issue: sphere (C++, on one thread
and on one per CPU) against the plain-Python reference (eu_reference.py, one thread), same
specification, both probability rules; checks that every forecast agrees to 1e-9 and that sphere's
do not depend on the thread count. Usage: bench.py SPHERE DEU_FILE"""
import csv
import json
import os
import subprocess
import sys
import time

import eu_reference as ref

ACTORS = ["com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
          "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk"]
ROUNDS, TOLERANCE, Q = 10, 0.005, 1.0  # as `sphere bargain validate` by default


def load(path):
    """The scoreable issues: outcome in [0, 100], at least 3 actors with position and salience."""
    issues = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if not row["isnr"] or row["out"] == "":
                continue
            out = float(row["out"])
            if not 0.0 <= out <= 100.0:
                continue
            x, s = [], []
            for a in ACTORS:
                p, sal = row.get("p" + a, ""), row.get("s" + a, "")
                if p != "" and sal != "":
                    x.append(float(p))
                    s.append(float(sal) / 100.0)
            if len(x) >= 3:
                issues.append((row["isnr"], x, s))
    return issues


def python_forecasts(issues):
    result = {}
    for issue_id, x, s in issues:
        c = [1.0] * len(x)
        w = [c[k] * s[k] for k in range(len(x))]
        initial = ref.weighted_median(x, w)
        for key, rule in (("eu_printed", ref.PRINTED), ("eu_scholz_code", ref.SCHOLZ_CODE)):
            history = ref.run(c, s, x, q=Q, rounds=ROUNDS, rule=rule, tolerance=TOLERANCE)
            result[(issue_id, key)] = history[-1][0] if history else initial
    return result


def time_sphere(command, threads):
    """Best of 5 runs of sphere with this many threads: (model-run wall time, model-run CPU time
    summed over threads, whole-process wall time, the forecasts)."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run(command + ["--threads", str(threads)], check=True,
                             capture_output=True, text=True).stdout
        runs.append((time.perf_counter() - start, json.loads(out)))
    return (min(r["eu_seconds"] for _, r in runs), min(r["eu_cpu_seconds"] for _, r in runs),
            min(t for t, _ in runs), runs[0][1]["issues"])


def main():
    sphere, deu = sys.argv[1], sys.argv[2]
    command = [sphere, "bargain", "validate", "--deu", deu, "--capability", "equal", "--forecasts", "--rounds", str(ROUNDS),
               "--tolerance", str(TOLERANCE), "--q", str(Q)]
    threads = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    one_wall, one_cpu, one_process, cpp = time_sphere(command, 1)
    many_wall, many_cpu, _, cpp_many = time_sphere(command, threads)
    assert cpp_many == cpp, f"sphere gives other forecasts with {threads} threads than with 1"
    issues = load(deu)
    py_times, py_cpus = [], []
    for _ in range(3):
        start, cpu_start = time.perf_counter(), time.process_time()
        py = python_forecasts(issues)
        py_cpus.append(time.process_time() - cpu_start)
        py_times.append(time.perf_counter() - start)
    py_time, py_cpu = min(py_times), min(py_cpus)
    load_after = os.getloadavg()[0]

    worst, compared = 0.0, 0
    for row in cpp:
        for key in ("eu_printed", "eu_scholz_code"):
            worst = max(worst, abs(row[key] - py[(row["id"], key)]))
            compared += 1
    assert compared == len(py), f"{compared} C++ forecasts, {len(py)} Python ones"
    print(f"DEU III: {len(cpp)} issues, expected-utility model with both probability rules "
          f"(at most {ROUNDS} rounds, tolerance {TOLERANCE}, Q = {Q})")
    print(f"load average (1 min) before / after: {load_before:.2f} / {load_after:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"sphere, 1 thread, model runs, best of 5   : {one_wall * 1000:9.2f} ms wall, "
          f"{one_cpu * 1000:8.2f} ms CPU (whole process incl. loading, other models and JSON: "
          f"{one_process * 1000:.1f} ms)")
    print(f"sphere, {threads} threads, model runs, best of 5  : {many_wall * 1000:9.2f} ms wall, "
          f"{many_cpu * 1000:8.2f} ms CPU (all threads); forecasts identical to 1 thread")
    print(f"plain Python reference (1 thread), best of 3: {py_time * 1000:9.2f} ms wall, "
          f"{py_cpu * 1000:8.2f} ms CPU")
    print(f"largest difference in {compared} forecasts: {worst:.3g} "
          f"({'equal to 1e-9' if worst <= 1e-9 else 'NOT EQUAL'})")
    print(f"ratio Python / sphere, single thread: {py_time / one_wall:.0f}x wall, "
          f"{py_cpu / one_cpu:.0f}x CPU; whole sphere process: {py_time / one_process:.0f}x wall")
    print(f"ratio Python / sphere with {threads} threads (Python on 1): "
          f"{py_time / many_wall:.0f}x wall")
    if worst > 1e-9:
        sys.exit(1)


if __name__ == "__main__":
    main()
