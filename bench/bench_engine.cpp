// bench_engine.cpp: engine throughput (invocations per second) with the built-in lru and rand
// plugins over a generated Azure-like day: 2.56 million invocations of 300 functions.
//
//   build/release/bin/bench_engine --benchmark_filter=lru
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/formats.hpp"

namespace {

using namespace keepwarm;

// An Azure-like day from keepwarm's own generator (`keepwarm trace generate azure`): 300
// functions whose daily rates are log-uniform between 1 and 86,400 invocations, lognormal
// execution times and memory, a diurnal pattern; about 2.56 million invocations.
const Trace& bench_trace() {
  static const Trace trace = [] {
    AzureLikeSpec spec;
    spec.functions = 300;
    spec.seed = 42;
    spec.diurnal_amplitude = 0.5;
    return generate_azure_like(spec);
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
  state.counters["invocations"] = static_cast<double>(trace.invocation_count());
}

void BM_Engine_lru(benchmark::State& state) { run_policy(state, "lru"); }
void BM_Engine_rand(benchmark::State& state) { run_policy(state, "rand"); }

// Memory at 5%, 20%, 50% and 100% of the unlimited peak.
BENCHMARK(BM_Engine_lru)->Arg(5)->Arg(20)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Engine_rand)->Arg(5)->Arg(20)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
