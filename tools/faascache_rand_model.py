#!/usr/bin/env python3
"""faascache_rand_model.py: an independent model of the FaasCache course variant's RAND policy.

keepwarm's `faascache-assignment` fidelity rows (../shared/reference/faascache-20-c.csv) are
three runs of the reference simulator's RAND eviction. This script re-implements that model as
docs/model.md and design.md describe it, in the simplest possible Python and with Python's own
random module, so that keepwarm's compat mode can be compared with it over many seeds instead
of only against three published runs:

- containers live in one list in creation order; a warm start reuses the first idle container
  of the function in that list;
- an arrival first retires the containers whose run ended at or before it;
- a miss with too little free memory evicts idle containers chosen uniformly at random until
  their memory adds up to the new container's memory (memory already free is not counted),
  and evicts them even when the invocation is then dropped;
- a cold start runs 3000 ms + 1.2 x cold_ms (the course variant's provider overhead), a warm
  start warm_ms.

Usage: faascache_rand_model.py TRACE.pckl --memory 500,800 --seeds 1-40
Prints CSV: memory_mb,seed,cold,dropped,evictions
"""

import argparse
import pickle
import random
import sys


class _Lambda:
    """Stand-in for the reference's LambdaData.LambdaData (the only class the pickle holds)."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("LambdaData", "LambdaData"):
            return _Lambda
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the trace")


def load(path):
    with open(path, "rb") as f:
        _, invocations = _Unpickler(f).load()
    kinds = {}
    trace = []
    for d, t in invocations:
        k = kinds.setdefault(d.kind, len(kinds))
        trace.append((float(t), k, d.mem_size, d.run_time, d.warm_time))
    return trace


def run(trace, memory, seed):
    rng = random.Random(seed)
    pool = []  # containers as [function, mem, busy_until] in creation order
    used = cold = dropped = evictions = 0
    for t, fn, mem, run_ms, warm_ms in trace:
        container = None
        for c in pool:
            if c[2] is not None and t >= c[2]:
                c[2] = None  # finished: idle from now on
            if container is None and c[0] == fn and c[2] is None:
                container = c
        if container is not None:
            container[2] = t + warm_ms
            continue
        if used + mem > memory:
            idle = [c for c in pool if c[2] is None]
            to_free = mem
            while to_free > 0 and idle:
                victim = rng.choice(idle)
                idle.remove(victim)
                pool.remove(victim)
                used -= victim[1]
                to_free -= victim[1]
                evictions += 1
        if used + mem > memory:
            dropped += 1
            continue
        pool.append([fn, mem, t + 3000 + 1.2 * run_ms])
        used += mem
        cold += 1
    return cold, dropped, evictions


def int_list(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace", help="a FaasCache pickle, e.g. ../shared/reference/20-c.pckl")
    ap.add_argument("--memory", type=int_list, required=True, help="MB, e.g. 500,800,1000")
    ap.add_argument("--seeds", type=int_list, default=int_list("1-30"), help="e.g. 1-40 or 1,5")
    args = ap.parse_args()
    try:
        trace = load(args.trace)
    except (OSError, pickle.UnpicklingError, ValueError, EOFError) as e:
        sys.exit(f"{args.trace}: {e}")
    print("memory_mb,seed,cold,dropped,evictions")
    for memory in args.memory:
        for seed in args.seeds:
            print(memory, seed, *run(trace, memory, seed), sep=",", flush=True)


if __name__ == "__main__":
    main()
