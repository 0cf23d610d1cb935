#!/usr/bin/env python3
"""Per-invocation logs of a Python reference simulator and of keepwarm, in one format.

The format is that of ../shared/reference/exact/logs: line i is the i-th invocation of the
trace, 'w' warm, 'c' cold or 'd' dropped, followed by how many containers were removed while
handling it when that is not 0 (evictions and TTL/HIST purges; the reference counts both in
its evdict). Comparing the two outputs with cmp checks a compat mode on any trace:

  # the reference, from a checkout of its public sources (not part of keepwarm)
  tools/reference_log.py reference faascache-sim/code/split TRACE GD 1000 > ref.log
  tools/reference_log.py reference faas-container-eviction/code/sim TRACE RAND 1000 --seed 2 > ref.log
  # keepwarm, one cell with --events
  keepwarm run --trace TRACE --policy gd --memory 1000 --compat faascache --events ev.csv
  tools/reference_log.py events ev.csv > kw.log
  cmp ref.log kw.log

TRACE is a FaasCache pickle (N-x.pckl, unpickled with the reference's own LambdaData class, so
only trusted files) or a keepwarm native trace directory (functions.csv, invocations.csv). The
FaasCache simulator is driven through runActivation, the course skeleton through
runInvocation (after random.seed(SEED) when --seed is given). The simulators import numpy,
pandas and scipy; when those are not installed, a minimal stand-in for the few numpy calls
they make (zeros, sum, division, cumsum: sequential, as numpy's) is used and the others are
left empty.
"""
import argparse
import csv
import os
import sys
import tempfile
import types


def install_stand_ins():
    try:
        import numpy  # noqa: F401
        return
    except ImportError:
        pass

    class Array(list):
        def sum(self):
            total = 0.0
            for x in self:
                total += x
            return total

        def __truediv__(self, d):
            return Array([x / d for x in self])

    def cumsum(a):
        out, s = Array(), 0.0
        for x in a:
            s += x
            out.append(s)
        return out

    np = types.ModuleType("numpy")
    np.zeros = lambda n: Array([0.0] * n)
    np.cumsum = cumsum
    np.infty = np.inf = float("inf")
    sys.modules["numpy"] = np
    for name in ("pandas", "scipy", "scipy.stats"):
        sys.modules.setdefault(name, types.ModuleType(name))
    if "TraceGen" not in sys.modules:  # imported by LambdaScheduler, needs numpy.array
        sys.modules["TraceGen"] = types.ModuleType("TraceGen")


def load_trace(path, LambdaData):
    if path.endswith(".pckl"):
        import pickle
        with open(path, "rb") as f:
            _, trace = pickle.load(f)
        return trace
    funcs = {}
    with open(os.path.join(path, "functions.csv")) as f:
        for r in csv.DictReader(f):
            funcs[r["function"]] = LambdaData(r["function"], int(r["memory_mb"]),
                                              float(r["cold_ms"]), float(r["warm_ms"]))
    with open(os.path.join(path, "invocations.csv")) as f:
        return [(funcs[r["function"]], float(r["time_ms"])) for r in csv.DictReader(f)]


def reference(args):
    install_stand_ins()
    sys.path.insert(0, os.path.abspath(args.source))
    from LambdaData import LambdaData
    import LambdaScheduler
    trace = load_trace(args.trace, LambdaData)
    logs = tempfile.mkdtemp()
    s = LambdaScheduler.LambdaScheduler(policy=args.policy, mem_capacity=args.memory,
                                        num_funcs=10, run="x", log_dir=logs)
    outcomes = []
    s.WritePerfLog = lambda d, t, meta: outcomes.append("c" if meta == "miss" else "w")
    run = getattr(s, "runActivation", None) or s.runInvocation
    if args.seed is not None:
        import random
        random.seed(args.seed)
    out = sys.stdout
    for d, t in trace:
        removed, n = sum(s.evdict.values()), len(outcomes)
        run(d, t)
        removed = sum(s.evdict.values()) - removed
        out.write((outcomes[-1] if len(outcomes) > n else "d") + (str(removed) if removed else "")
                  + "\n")


def events(args):
    removed = 0
    with open(args.events) as f:
        for r in csv.DictReader(f):
            if r["event"] == "arrival":
                sys.stdout.write({"warm": "w", "cold": "c", "dropped": "d"}[r["detail"]] +
                                 (str(removed) if removed else "") + "\n")
                removed = 0
            elif r["event"] in ("evict", "expire"):
                removed += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reference", help="run a reference simulator")
    r.add_argument("source", help="directory of LambdaScheduler.py (the reference's sources)")
    r.add_argument("trace")
    r.add_argument("policy", help="GD, LRU, FREQ, SIZE, LND, TTL, HIST (FaasCache) or RAND")
    r.add_argument("memory", type=int)
    r.add_argument("--seed", type=int, help="random.seed before the first invocation")
    e = sub.add_parser("events", help="convert a keepwarm --events file")
    e.add_argument("events")
    args = p.parse_args()
    reference(args) if args.command == "reference" else events(args)


if __name__ == "__main__":
    main()
