// bench_engine.cpp: engine throughput (invocations per second) with the built-in lru and rand
// plugins over a generated trace of 1.2 million invocations and 300 functions.
//
//   build/release/bin/bench_engine --benchmark_filter=lru
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "keepwarm/engine.hpp"
#include "keepwarm/plugin.hpp"

namespace {

using namespace keepwarm;

// A skewed population: function i is invoked at a rate proportional to 1/(i+1) (Zipf-like),
// with exponential inter-arrival times; memory 128-1024 MB; warm 5-500 ms; cold 2-5x warm
// plus 200 ms.
const Trace& bench_trace() {
  static const Trace trace = [] {
    Trace t;
    t.name = "bench";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return static_cast<double>(x >> 11) * 0x1.0p-53;
    };
    constexpr int kFunctions = 300;
    constexpr size_t kInvocations = 1'200'000;
    double harmonic = 0;
    for (int i = 0; i < kFunctions; ++i) harmonic += 1.0 / (i + 1);
    std::vector<double> cumulative;
    for (int i = 0; i < kFunctions; ++i) {
      const double warm = 5 * std::pow(100.0, next());
      t.functions.push_back(Function{"f" + std::to_string(i),
                                     static_cast<uint32_t>(128 << static_cast<int>(next() * 4)),
                                     warm * (2 + 3 * next()) + 200, warm});
      cumulative.push_back((cumulative.empty() ? 0 : cumulative.back()) + 1.0 / (i + 1) / harmonic);
    }
    // One merged Poisson stream of 200 invocations/s; each picks a function by its share.
    double now = 0;
    for (size_t i = 0; i < kInvocations; ++i) {
      now += -std::log(1 - next()) * 5.0;
      const double u = next();
      const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), u);
      t.times.push_back(now);
      t.function_of.push_back(
          static_cast<uint32_t>(std::min<ptrdiff_t>(it - cumulative.begin(), kFunctions - 1)));
    }
    return t;
  }();
  return trace;
}

PluginPtr plugin(const char* name) {
  static PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  return registry.find(name);
}

// Memory the trace needs to never evict (the peak with unlimited memory), measured once.
uint64_t unlimited_peak_mb() {
  static const uint64_t peak = [] {
    SimConfig config;
    config.memory_mb = UINT64_MAX / 2;
    return simulate(bench_trace(), plugin("lru"), config).metrics.peak_memory_mb;
  }();
  return peak;
}

// The benchmark argument is the server's memory as a percentage of that peak.
void run_policy(benchmark::State& state, const char* name) {
  const Trace& trace = bench_trace();
  const PluginPtr p = plugin(name);
  SimConfig config;
  config.memory_mb = unlimited_peak_mb() * static_cast<uint64_t>(state.range(0)) / 100;
  config.params = p->resolve_params({});
  CellMetrics last;
  for (auto _ : state) {
    const CellResult r = simulate(trace, p, config);
    last = r.metrics;
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.invocation_count()));
  state.counters["cold_pct"] = last.cold_pct();
  state.counters["evictions"] = static_cast<double>(last.evictions);
  state.counters["dropped_pct"] = last.dropped_pct();
  state.counters["peak_mb"] = static_cast<double>(last.peak_memory_mb);
}

void BM_Engine_lru(benchmark::State& state) { run_policy(state, "lru"); }
void BM_Engine_rand(benchmark::State& state) { run_policy(state, "rand"); }

// Memory at 5%, 20%, 50% and 100% of the unlimited peak.
BENCHMARK(BM_Engine_lru)->Arg(5)->Arg(20)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Engine_rand)->Arg(5)->Arg(20)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
