#!/usr/bin/env python3
"""check_rand_model.py: keepwarm's compat-mode RAND against tools/faascache_rand_model.py.

Both replay ../shared/reference/20-c.pckl with the course variant's overheads (3000 ms + 20%)
over the same number of seeds; their random sources differ, so their per-seed results differ
and the check is on distributions, per memory size:
- mean cold starts: Welch's t statistic below 4 and the means within 10%;
- the share of seeds in the burst mode (drops more than 100 above the median): within 0.15;
- the median of drops within 5, and the mean of drops outside the bursts within 2 or 5%.
The reference directory is $KEEPWARM_REFERENCE_DIR when set and non-empty (as for the C++
tests' test::shared_reference_dir()), else ../shared/reference beside SOURCE_DIR.
Exits 77 (CTest's skip code) with a message when the reference trace is absent.

Usage: check_rand_model.py KEEPWARM_EXE SOURCE_DIR WORK_DIR
"""

import csv
import os
import statistics
import subprocess
import sys

MEMORY = [500, 800, 1000]
SEEDS = 60


def summarise(rows):
    cold = [r[0] for r in rows]
    drops = sorted(r[1] for r in rows)
    median = statistics.median(drops)
    bursts = [d for d in drops if d > median + 100]
    calm = [d for d in drops if d <= median + 100]
    return {
        "cold_mean": statistics.mean(cold),
        "cold_var": statistics.variance(cold),
        "median": median,
        "burst_share": len(bursts) / len(rows),
        "calm_mean": statistics.mean(calm),
    }


def reference_dir(source):
    """$KEEPWARM_REFERENCE_DIR, else ../shared/reference beside the source tree."""
    env = os.environ.get("KEEPWARM_REFERENCE_DIR", "")
    if env:
        return env
    return os.path.join(source, "..", "shared", "reference")


def main():
    exe, source, work = sys.argv[1:4]
    trace = os.path.join(reference_dir(source), "20-c.pckl")
    if not os.path.isfile(trace):
        print(f"SKIP: {os.path.normpath(trace)} is absent (../shared is not beside the source "
              "and KEEPWARM_REFERENCE_DIR does not name a directory holding it)")
        return 77
    out = os.path.join(work, "rand-model")
    subprocess.run([exe, "run", "-t", trace, "-p", "rand", "-m", ",".join(map(str, MEMORY)),
                    "--seeds", str(SEEDS), "--compat", "faascache", "--overhead-ms", "3000",
                    "--overhead-pct", "0.2", "--reproducible", "-q", "-o", out], check=True)
    ours = {m: [] for m in MEMORY}
    with open(os.path.join(out, "results.csv"), newline="") as f:
        for r in csv.DictReader(f):
            ours[int(r["memory_mb"])].append((int(r["cold"]), int(r["dropped"])))
    model = subprocess.run(
        [sys.executable, os.path.join(source, "tools", "faascache_rand_model.py"), trace,
         "--memory", ",".join(map(str, MEMORY)), "--seeds", f"1-{SEEDS}"],
        check=True, capture_output=True, text=True).stdout
    theirs = {m: [] for m in MEMORY}
    for r in csv.DictReader(model.splitlines()):
        theirs[int(r["memory_mb"])].append((int(r["cold"]), int(r["dropped"])))

    failures = []
    for m in MEMORY:
        if len(ours[m]) != SEEDS or len(theirs[m]) != SEEDS:
            failures.append(f"{m} MB: expected {SEEDS} seeds from each")
            continue
        a, b = summarise(ours[m]), summarise(theirs[m])
        t = abs(a["cold_mean"] - b["cold_mean"]) / ((a["cold_var"] + b["cold_var"]) / SEEDS) ** 0.5
        print(f"{m:5d} MB  cold mean {a['cold_mean']:7.1f} vs model {b['cold_mean']:7.1f} (t {t:.2f})"
              f"  burst share {a['burst_share']:.3f} vs {b['burst_share']:.3f}"
              f"  drop median {a['median']:6.1f} vs {b['median']:6.1f}"
              f"  calm drop mean {a['calm_mean']:6.2f} vs {b['calm_mean']:6.2f}")
        if t >= 4 or abs(a["cold_mean"] - b["cold_mean"]) > 0.10 * b["cold_mean"]:
            failures.append(f"{m} MB: mean cold starts differ")
        if abs(a["burst_share"] - b["burst_share"]) > 0.15:
            failures.append(f"{m} MB: burst shares differ")
        if abs(a["median"] - b["median"]) > 5:
            failures.append(f"{m} MB: drop medians differ")
        if abs(a["calm_mean"] - b["calm_mean"]) > max(2, 0.05 * b["calm_mean"]):
            failures.append(f"{m} MB: drops outside bursts differ")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
