// bench_policies.cpp: throughput of every built-in policy (items_per_second = invocations
// replayed per CPU second, engine included; CPU time because the machines are shared) on a
// deterministic generated trace of about 1.3 million invocations of 300 functions, at a memory
// size where evictions are frequent.
//
//   cmake -B build/rel -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/rel -j2 --target bench_policies
//   build/rel/bin/bench_policies
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/trace.hpp"

namespace {

using namespace keepwarm;

// splitmix64: small, deterministic everywhere.
class Prng {
 public:
  explicit Prng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    s_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

// 300 functions over 4 hours; rates spread over four orders of magnitude (a few functions
// make most of the load, as in Azure traces); memory 16..512 MB; warm 10 ms..2 s.
const Trace& bench_trace() {
  static const Trace trace = [] {
    Prng rng(20210419);
    Trace t;
    t.name = "bench";
    constexpr int kFunctions = 300;
    constexpr double kSpan = 4 * 3600e3;
    std::vector<std::pair<double, uint32_t>> all;
    all.reserve(1'300'000);
    for (uint32_t f = 0; f < kFunctions; ++f) {
      const double warm = 10 * std::pow(200.0, rng.uniform());
      t.functions.push_back(Function{"f" + std::to_string(f),
                                     static_cast<uint32_t>(16 * std::pow(32.0, rng.uniform())),
                                     warm * (1.2 + 4 * rng.uniform()), warm});
      // Mean gap 0.37 s .. 3700 s: about 1.3 million invocations in all.
      const double gap = 370 * std::pow(10000.0, rng.uniform());
      for (double time = gap * rng.uniform(); time < kSpan;
           time += -gap * std::log(1 - rng.uniform()))
        all.emplace_back(time, f);
    }
    std::sort(all.begin(), all.end());
    for (const auto& [time, f] : all) {
      t.times.push_back(std::floor(time));
      t.function_of.push_back(f);
    }
    t.validate();
    return t;
  }();
  return trace;
}

PluginRegistry& registry() {
  static PluginRegistry r({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  return r;
}

void BM_Policy(benchmark::State& state, const std::string& policy, uint64_t memory_mb,
               const std::map<std::string, std::string>& params = {}) {
  const Trace& trace = bench_trace();
  const PluginPtr plugin = registry().find(policy);
  Lookahead lookahead;
  if (plugin->needs_lookahead()) lookahead.arrivals = trace.arrivals_by_function();
  SimConfig config;
  config.memory_mb = memory_mb;
  config.params = plugin->resolve_params(params);
  CellMetrics last;
  for (auto _ : state) {
    last =
        simulate(trace, plugin, config, plugin->needs_lookahead() ? &lookahead : nullptr).metrics;
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.invocation_count()));
  state.counters["invocations"] = static_cast<double>(trace.invocation_count());
  state.counters["cold"] = static_cast<double>(last.cold);
  state.counters["evictions"] = static_cast<double>(last.evictions);
  state.counters["dropped"] = static_cast<double>(last.dropped);
  state.counters["expirations"] = static_cast<double>(last.expirations);
  state.counters["prewarms"] = static_cast<double>(last.prewarms);
}

constexpr uint64_t kMemoryMb = 30000;

#define KW_BENCH_POLICY(name) \
  BENCHMARK_CAPTURE(BM_Policy, name, std::string(#name), kMemoryMb)->Unit(benchmark::kMillisecond)

KW_BENCH_POLICY(lru);
KW_BENCH_POLICY(rand);
KW_BENCH_POLICY(gd);
KW_BENCH_POLICY(freq);
KW_BENCH_POLICY(size);
KW_BENCH_POLICY(landlord);
KW_BENCH_POLICY(ttl);
KW_BENCH_POLICY(oracle);
BENCHMARK_CAPTURE(BM_Policy, hybrid_histogram, std::string("hybrid-histogram"), kMemoryMb)
    ->Unit(benchmark::kMillisecond);
// The oracle's score alone (rollout_candidates = 0, oracle 1.0.0's rule): what the rollouts
// cost.
BENCHMARK_CAPTURE(BM_Policy, oracle_score_only, std::string("oracle"), kMemoryMb,
                  std::map<std::string, std::string>{{"rollout_candidates", "0"}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
