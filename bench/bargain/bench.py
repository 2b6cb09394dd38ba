"""Times the expected-utility model on every scoreable DEU III issue: sphere (C++) against the
plain-Python reference (eu_reference.py), same specification, both probability rules, and checks
that every forecast agrees to 1e-9. Usage: bench.py SPHERE DEU_FILE"""
import csv
import json
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


def main():
    sphere, deu = sys.argv[1], sys.argv[2]
    command = [sphere, "bargain", "validate", "--deu", deu, "--forecasts", "--rounds", str(ROUNDS),
               "--tolerance", str(TOLERANCE), "--q", str(Q)]
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append((time.perf_counter() - start, json.loads(out)))
    process_time = min(t for t, _ in runs)
    cpp_time = min(r["eu_seconds"] for _, r in runs)
    cpp = runs[0][1]["issues"]
    issues = load(deu)
    py_times = []
    for _ in range(3):
        start = time.perf_counter()
        py = python_forecasts(issues)
        py_times.append(time.perf_counter() - start)
    py_time = min(py_times)

    worst, compared = 0.0, 0
    for row in cpp:
        for key in ("eu_printed", "eu_scholz_code"):
            worst = max(worst, abs(row[key] - py[(row["id"], key)]))
            compared += 1
    assert compared == len(py), f"{compared} C++ forecasts, {len(py)} Python ones"
    print(f"DEU III: {len(cpp)} issues, expected-utility model with both probability rules "
          f"(at most {ROUNDS} rounds, tolerance {TOLERANCE}, Q = {Q})")
    print(f"sphere (C++), model runs only, best of 5 : {cpp_time * 1000:9.2f} ms "
          f"(whole process incl. loading, other models and JSON: {process_time * 1000:.1f} ms)")
    print(f"plain Python reference, best of 3         : {py_time * 1000:9.2f} ms")
    print(f"largest difference in {compared} forecasts: {worst:.3g} "
          f"({'equal to 1e-9' if worst <= 1e-9 else 'NOT EQUAL'})")
    print(f"ratio Python / sphere (model runs): {py_time / cpp_time:.0f}x; "
          f"Python / whole sphere process: {py_time / process_time:.0f}x")
    if worst > 1e-9:
        sys.exit(1)


if __name__ == "__main__":
    main()
