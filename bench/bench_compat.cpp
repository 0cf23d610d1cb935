// bench_compat.cpp: the cost of exactness. One cell of FaasCache's 20-c trace (17,808
// invocations) per iteration, for a policy in the default model and in its compat mode
// (faascache: the emulated heapq list, O(n) per invocation; faascache-course for rand: the
// creation-order list and CPython's MT19937). items_per_second = invocations per CPU second.
// The Python references take 0.4-20 s per cell on these traces.
//
// The trace is $KEEPWARM_REFERENCE_DIR/20-c.pckl, else ../shared/reference/20-c.pckl beside the
// source tree; without it every benchmark reports an error and skips.
//
//   cmake --preset release && cmake --build --preset release --target bench_compat
//   build/release/bin/bench_compat
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/trace.hpp"

namespace {

using namespace keepwarm;
namespace fs = std::filesystem;

const Trace* trace_20c() {
  static const std::unique_ptr<Trace> trace = []() -> std::unique_ptr<Trace> {
    fs::path dir = fs::path(KEEPWARM_SOURCE_DIR) / ".." / "shared" / "reference";
    if (const char* env = std::getenv("KEEPWARM_REFERENCE_DIR"); env != nullptr && *env != '\0')
      dir = env;
    if (!fs::exists(dir / "20-c.pckl")) return nullptr;
    return std::make_unique<Trace>(load_trace(dir / "20-c.pckl"));
  }();
  return trace.get();
}

PluginRegistry& registry() {
  static PluginRegistry r({fs::path(KEEPWARM_PLUGIN_DIR)});
  return r;
}

void BM_Cell(benchmark::State& state, const std::string& policy, Compat compat) {
  const Trace* trace = trace_20c();
  if (trace == nullptr) {
    state.SkipWithError("20-c.pckl not found (../shared/reference or KEEPWARM_REFERENCE_DIR)");
    return;
  }
  const PluginPtr plugin = registry().find(policy);
  SimConfig config;
  config.memory_mb = static_cast<uint64_t>(state.range(0));
  config.compat = compat;
  if (compat == Compat::faascache_course) {
    config.overhead_ms = 3000;
    config.overhead_frac = 0.2;
  }
  config.params = plugin->resolve_params({});
  CellMetrics last;
  for (auto _ : state) {
    last = simulate(*trace, plugin, config).metrics;
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace->invocation_count()));
  state.counters["cold"] = static_cast<double>(last.cold);
  state.counters["removed"] = static_cast<double>(last.evictions + last.expirations);
}

#define KW_BENCH_COMPAT(label, policy, compat)                   \
  BENCHMARK_CAPTURE(BM_Cell, label, std::string(policy), compat) \
      ->Arg(500)                                                 \
      ->Arg(1000)                                                \
      ->Arg(4000)                                                \
      ->Unit(benchmark::kMillisecond)

KW_BENCH_COMPAT(lru_default, "lru", Compat::none);
KW_BENCH_COMPAT(lru_faascache, "lru", Compat::faascache);
KW_BENCH_COMPAT(gd_default, "gd", Compat::none);
KW_BENCH_COMPAT(gd_faascache, "gd", Compat::faascache);
KW_BENCH_COMPAT(landlord_default, "landlord", Compat::none);
KW_BENCH_COMPAT(landlord_faascache, "landlord", Compat::faascache);
KW_BENCH_COMPAT(hist_default, "hybrid-histogram", Compat::none);
KW_BENCH_COMPAT(hist_faascache, "hybrid-histogram", Compat::faascache);
KW_BENCH_COMPAT(rand_default, "rand", Compat::none);
KW_BENCH_COMPAT(rand_course, "rand", Compat::faascache_course);

}  // namespace

BENCHMARK_MAIN();
