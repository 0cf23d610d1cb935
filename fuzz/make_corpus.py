#!/usr/bin/env python3
"""make_corpus.py KEEPWARM_EXE SOURCE_DIR OUT_DIR: the seed corpus of every fuzz target, made by
keepwarm itself (a generated trace in each form, the shipped experiments, the files of a small
run). Multi-file inputs are joined with NUL bytes, as the targets split them (fuzz_support.hpp).
The pickle seed is written with Python's pickle module in FaasCache's shape, since keepwarm only
reads pickles."""
import os
import pickle
import subprocess
import sys
import tempfile
import types


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    exe, src, out = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t")
        run(exe, "trace", "generate", "mix", "--functions", "4", "--duration-h", "0.05",
            "--seed", "3", "-o", trace)
        native = read(os.path.join(trace, "functions.csv")) + b"\0" + read(
            os.path.join(trace, "invocations.csv"))
        put(out, "native", "generated", native)
        put(out, "native", "quoted", b'function,memory_mb,cold_ms,warm_ms\n"a,b",100,10,5\n'
            b'"say ""hi""",50,1,1\n\0time_ms,function\n0,"a,b"\n1.5,"say ""hi"""\n')
        run(exe, "trace", "convert", trace, os.path.join(tmp, "t.kwt"))
        put(out, "binary", "generated", read(os.path.join(tmp, "t.kwt")))

        # A FaasCache-shaped pickle: ({name: (name, mem, cold, warm)}, [(LambdaData, t), ...]).
        module = types.ModuleType("LambdaData")

        class LambdaData:
            def __init__(self, kind, mem_size, run_time, warm_time):
                self.kind, self.mem_size, self.run_time, self.warm_time = (
                    kind, mem_size, run_time, warm_time)

        LambdaData.__module__ = "LambdaData"
        LambdaData.__qualname__ = "LambdaData"
        module.LambdaData = LambdaData
        sys.modules["LambdaData"] = module
        a, b = LambdaData("a", 128, 2000, 100), LambdaData("b", 256, 5000, 300)
        lambdas = {"a": ("a", 128, 2000, 100), "b": ("b", 256, 5000, 300)}
        calls = [(a, 0.0), (b, 0.0), (a, 1500.5), (b, 70000.0), (a, 70000.0)]
        for proto in (2, 4):
            put(out, "pickle", "faascache-p%d" % proto, pickle.dumps((lambdas, calls), proto))

        # Azure: the three files of day 1 for two functions of one app.
        minutes = ",".join(str(m) for m in range(1, 1441))
        row_a = ",".join("3" if m in (1, 2, 700) else "0" for m in range(1, 1441))
        row_b = ",".join("1" if m % 60 == 0 else "0" for m in range(1, 1441))
        inv = ("HashOwner,HashApp,HashFunction,Trigger," + minutes + "\n" +
               "o1,a1,f1,http," + row_a + "\n" + "o1,a1,f2,timer," + row_b + "\n")
        dur = ("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
               "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
               "percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
               "o1,a1,f1,120,10,1,900,1,1,1,1,1,1,1\no1,a1,f2,40,10,1,300,1,1,1,1,1,1,1\n")
        mem = ("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
               "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
               "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
               "AverageAllocatedMb_pct100\no1,a1,5,300,1,1,1,1,1,1,1,1\n")
        put(out, "azure", "two-functions", (inv + "\0" + dur + "\0" + mem).encode())

        for name in sorted(os.listdir(os.path.join(src, "experiments"))):
            if name.endswith(".toml"):
                put(out, "experiment", name, read(os.path.join(src, "experiments", name)))
        put(out, "experiment", "variants.toml", b'[experiment]\ntraces = ["sample"]\n'
            b'memory_mb = [500]\nmemory_pct = [10, 50]\nbaseline = "lru"\n'
            b'policies = ["lru", { policy = "ttl", label = "t", params = { keepalive_min = [1, 5] } }]\n'
            b'[policy.ttl]\nkeepalive_min = 2\n[cold_start]\noverhead_ms = 1.5\n')

        res = os.path.join(tmp, "res")
        run(exe, "run", "-q", "--svg-only", "--reproducible", "-t", trace, "-p", "rand,lru",
            "--seeds", "2", "-m", "200,400", "-o", res)
        put(out, "results", "small-run", read(os.path.join(res, "results.json")) + b"\0" +
            read(os.path.join(res, "results.csv")) + b"\0" + read(os.path.join(res, "functions.csv")))


if __name__ == "__main__":
    main()
