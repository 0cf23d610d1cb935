// bench_events.cpp: what the event log costs. Engine throughput (invocations per second) on one
// cell with no observer (what every ordinary run does), through run_grid as `keepwarm run` calls
// it, with an observer that does nothing (the cost of the hooks alone), and with the CSV event
// log written to memory. The first two must be equal within noise: the log costs nothing unless
// it is asked for.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <sstream>

#include "keepwarm/experiment/event_log.hpp"
#include "keepwarm/experiment/results.hpp"
#include "keepwarm/experiment/runner.hpp"
#include "keepwarm/report/report.hpp"

using namespace keepwarm;

namespace {

// An Azure-like mix: 200 functions, rates over three orders of magnitude, 200,000 invocations.
const Trace& bench_trace() {
  static const Trace trace = [] {
    Trace t;
    t.name = "bench";
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int> mem(1, 8);
    std::uniform_real_distribution<double> cold(200, 3000), u(0, 1);
    std::vector<double> weight;
    for (int i = 0; i < 200; ++i) {
      const double c = cold(rng);
      t.functions.push_back(
          {"f" + std::to_string(i), static_cast<uint32_t>(64 * mem(rng)), c, c * 0.2});
      weight.push_back(std::pow(10.0, 3 * u(rng)));
    }
    std::discrete_distribution<uint32_t> pick(weight.begin(), weight.end());
    std::exponential_distribution<double> gap(1.0 / 20);  // one arrival per 20 ms on average
    double now = 0;
    for (int i = 0; i < 200000; ++i) {
      now += gap(rng);
      t.times.push_back(now);
      t.function_of.push_back(pick(rng));
    }
    t.validate();
    return t;
  }();
  return trace;
}

PluginPtr lru() {
  static PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  static PluginPtr p = registry.find("lru");
  return p;
}

SimConfig config() {
  SimConfig c;
  c.memory_mb = 4096;
  c.params = lru()->resolve_params({});
  return c;
}

class NullObserver final : public EventObserver {
 public:
  void arrival(double, uint32_t, Outcome, kw_container_id) override { ++n; }
  void removal(double, kw_container_id, uint32_t, uint32_t, kw_removal_reason) override { ++n; }
  void prewarm(double, kw_container_id, uint32_t, bool) override { ++n; }
  uint64_t n = 0;
};

void count(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bench_trace().invocation_count()));
}

void BM_NoObserver(benchmark::State& state) {
  const Trace& t = bench_trace();
  const SimConfig c = config();
  for (auto _ : state) benchmark::DoNotOptimize(simulate(t, lru(), c));
  count(state);
}

void BM_RunGridNormalPath(benchmark::State& state) {
  auto trace = std::make_shared<const Trace>(bench_trace());
  Experiment ex;
  ex.memory_mb = {4096};
  ex.jobs = 1;
  for (auto _ : state) benchmark::DoNotOptimize(run_grid(ex, {trace}, {lru()}));
  count(state);
}

void BM_NullObserver(benchmark::State& state) {
  const Trace& t = bench_trace();
  const SimConfig c = config();
  NullObserver obs;
  for (auto _ : state) benchmark::DoNotOptimize(simulate(t, lru(), c, nullptr, &obs));
  benchmark::DoNotOptimize(obs.n);
  count(state);
}

void BM_EventLogCsv(benchmark::State& state) {
  const Trace& t = bench_trace();
  const SimConfig c = config();
  size_t bytes = 0;
  for (auto _ : state) {
    std::ostringstream out;
    EventLog log(t, out);
    benchmark::DoNotOptimize(simulate(t, lru(), c, nullptr, &log));
    bytes += out.str().size();
  }
  count(state);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

}  // namespace

BENCHMARK(BM_NoObserver)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunGridNormalPath)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NullObserver)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EventLogCsv)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
