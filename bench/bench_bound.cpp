// bench_bound.cpp: the lower bound on misses (docs/bounds.md) on a 107,310-invocation trace,
// `keepwarm trace generate azure --functions 200 --seed 11 --max-per-day 5200`, at the five
// memory sizes of the docs (one benchmark per size; the argument is the memory in MB). The
// counters report the bound and the compulsory misses, so a change in the numbers shows too.
//
//   build/release/bin/bench_bound
#include <benchmark/benchmark.h>

#include "keepwarm/bound/bound.hpp"
#include "keepwarm/traces/formats.hpp"

namespace {

using namespace keepwarm;

const Trace& trace() {
  static const Trace t = [] {
    AzureLikeSpec spec;
    spec.functions = 200;
    spec.seed = 11;
    spec.max_per_day = 5200;
    return generate_azure_like(spec);
  }();
  return t;
}

void BM_Bound(benchmark::State& state) {
  if (!bound::solver_available()) {
    state.SkipWithError("built without LEMON: no bound");
    return;
  }
  const bound::Relaxation relax = bound::build_relaxation(trace());
  bound::BoundResult b;
  for (auto _ : state) {
    b = bound::solve(relax, static_cast<uint64_t>(state.range(0)));
    benchmark::DoNotOptimize(b.lower_bound);
  }
  state.counters["invocations"] = static_cast<double>(b.invocations);
  state.counters["lower_bound"] = static_cast<double>(b.lower_bound);
  state.counters["compulsory"] = static_cast<double>(b.compulsory);
}
BENCHMARK(BM_Bound)
    ->Arg(2000)
    ->Arg(4000)
    ->Arg(8000)
    ->Arg(16000)
    ->Arg(32000)
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
