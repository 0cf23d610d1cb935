// bench_isolation.cpp: what process isolation costs (docs/results.md). A grid of many small cells
// run through run_grid with cells in worker processes (the default) and in keepwarm's own process
// (--isolation none): the difference per cell is the supervisor's round trip (the request, the
// encoded outcome, decoding it). And what starting one worker costs (fork of a process holding a
// 200,000-invocation trace, one request, exit), paid once per --jobs slot and after each failure.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "keepwarm/experiment/runner.hpp"
#include "keepwarm/experiment/worker_pool.hpp"

using namespace keepwarm;

namespace {

// n_functions functions with invocations of mixed rates.
std::shared_ptr<const Trace> make_trace(int functions, int invocations, uint64_t seed) {
  auto t = std::make_shared<Trace>();
  t->name = "bench";
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> mem(1, 8);
  std::uniform_real_distribution<double> cold(200, 3000), u(0, 1);
  std::vector<double> weight;
  for (int i = 0; i < functions; ++i) {
    const double c = cold(rng);
    t->functions.push_back(
        {"f" + std::to_string(i), static_cast<uint32_t>(64 * mem(rng)), c, c * 0.2});
    weight.push_back(std::pow(10.0, 2 * u(rng)));
  }
  std::discrete_distribution<uint32_t> pick(weight.begin(), weight.end());
  std::exponential_distribution<double> gap(1.0 / 50);
  double now = 0;
  for (int i = 0; i < invocations; ++i) {
    now += gap(rng);
    t->times.push_back(now);
    t->function_of.push_back(pick(rng));
  }
  t->validate();
  return t;
}

PluginPtr lru() {
  static PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  static PluginPtr p = registry.find("lru");
  return p;
}

constexpr int kCells = 200;

// kCells cells of a 2,000-invocation trace (one per memory size); arg 0: isolation none/process,
// arg 1: jobs.
void BM_SmallCells(benchmark::State& state) {
  static const auto trace = make_trace(50, 2000, 7);
  Experiment ex;
  for (int m = 0; m < kCells; ++m) ex.memory_mb.push_back(static_cast<uint64_t>(400 + 10 * m));
  ex.isolation = state.range(0) == 0 ? Isolation::none : Isolation::process;
  ex.jobs = static_cast<unsigned>(state.range(1));
  for (auto _ : state) {
    RunResults r = run_grid(ex, {trace}, {lru()});
    if (r.failed() != 0) state.SkipWithError("a cell failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["cells"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kCells,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One worker started, one request answered, the worker ended, in a process holding a large trace.
void BM_WorkerStart(benchmark::State& state) {
  static const auto ballast = make_trace(200, 200000, 9);
  benchmark::DoNotOptimize(ballast->times.data());
  for (auto _ : state) {
    WorkerPool pool(
        1, [](uint64_t r, unsigned) { return std::to_string(r); }, 0);
    benchmark::DoNotOptimize(pool.run(1, 0));
  }
}

}  // namespace

BENCHMARK(BM_SmallCells)
    ->ArgNames({"process", "jobs"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 2})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_WorkerStart)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();
