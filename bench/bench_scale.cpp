// bench_scale.cpp: keepwarm at production size, side by side with a minimal simulator.
//
// The trace is `keepwarm trace generate azure --functions 1000 --seed 4` (a 24-hour Azure-like
// day, about 7 million invocations). BM_Scale_keepwarm runs the built-in lru plugin through the
// plugin ABI; BM_Scale_minimal runs the same model and the same rule (docs/model.md, default
// mode: most recently idled container reused, victim = the idle container whose last start is
// earliest, ties by the order they went idle) in one self-contained loop with no plugin and no
// bookkeeping beyond what the rule needs. Both report the same counts, checked on every run: a
// mismatch fails the benchmark. The argument is the server's memory as a percentage of the
// trace's unlimited-memory peak.
//
// BM_Scale_functions runs lru on a 50,000-function trace of the same size (0.48 h, so that it
// also has about 7 million invocations) to show how the cost per invocation grows with the
// number of functions; BM_Scale_minimal_functions runs the minimal loop on it, to show how much
// of that growth is the model's own (the minimal loop's data grows with the functions too).
//
//   build/release/bin/bench_scale --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/formats.hpp"

namespace {

using namespace keepwarm;

const Trace& day_trace() {
  static const Trace trace = [] {
    AzureLikeSpec spec;  // the CLI's defaults for `trace generate azure`
    spec.functions = 1000;
    spec.seed = 4;
    return generate_azure_like(spec);
  }();
  return trace;
}

const Trace& many_functions_trace() {
  static const Trace trace = [] {
    AzureLikeSpec spec;
    spec.functions = 50000;
    spec.seed = 4;
    spec.duration_ms = 0.48 * 3600000.0;
    return generate_azure_like(spec);
  }();
  return trace;
}

PluginPtr plugin(const char* name) {
  static PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  return registry.find(name);
}

uint64_t unlimited_peak_mb(const Trace& trace) {
  static std::map<const Trace*, uint64_t> peaks;
  auto it = peaks.find(&trace);
  if (it == peaks.end()) {
    SimConfig config;
    config.memory_mb = UINT64_MAX / 2;
    it = peaks.emplace(&trace, simulate(trace, plugin("lru"), config).metrics.peak_memory_mb).first;
  }
  return it->second;
}

struct Counts {
  uint64_t warm = 0, cold = 0, dropped = 0, evictions = 0;
  bool operator==(const Counts&) const = default;
};

// ---- the minimal simulator ---------------------------------------------------------------

class MinimalLru {
 public:
  MinimalLru(const Trace& trace, uint64_t capacity_mb)
      : trace_(trace), capacity_(capacity_mb), idle_head_(trace.functions.size(), kNil) {}

  Counts run() {
    const size_t n = trace_.invocation_count();
    for (size_t i = 0; i < n; ++i) {
      const double t = trace_.times[i];
      while (!finishes_.empty() && finishes_.front().time <= t) finish(pop_finish().slot);
      arrive(trace_.function_of[i], t);
    }
    return counts_;
  }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Container {
    uint32_t fn;
    uint32_t prev, next;  // idle list of the function, most recently idled at the head
    uint32_t heap_pos;    // position in lru_, kNil when running
    double start;
    uint64_t idle_seq;
  };
  struct Finish {
    double time;
    uint64_t seq;
    uint32_t slot;
  };

  void arrive(uint32_t fn, double t) {
    const Function& f = trace_.functions[fn];
    uint32_t slot = idle_head_[fn];
    if (slot != kNil) {
      unlink(slot);
      ++counts_.warm;
      start(slot, t, t + f.warm_ms);
      return;
    }
    const uint64_t need = f.memory_mb;
    if (capacity_ - used_ < need) {
      if (capacity_ - used_ + idle_mb_ < need) {
        ++counts_.dropped;
        return;
      }
      while (capacity_ - used_ < need) {
        const uint32_t victim = lru_.front();
        unlink(victim);
        used_ -= trace_.functions[containers_[victim].fn].memory_mb;
        free_.push_back(victim);
        ++counts_.evictions;
      }
    }
    if (free_.empty()) {
      slot = static_cast<uint32_t>(containers_.size());
      containers_.push_back({});
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    containers_[slot].fn = fn;
    used_ += need;
    ++counts_.cold;
    start(slot, t, t + f.cold_ms);
  }

  void start(uint32_t slot, double t, double finish_time) {
    containers_[slot].start = t;
    finishes_.push_back({finish_time, finish_seq_++, slot});
    size_t i = finishes_.size() - 1;
    const Finish e = finishes_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!earlier(e, finishes_[parent])) break;
      finishes_[i] = finishes_[parent];
      i = parent;
    }
    finishes_[i] = e;
  }

  static bool earlier(const Finish& a, const Finish& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  Finish pop_finish() {
    const Finish top = finishes_.front();
    const Finish last = finishes_.back();
    finishes_.pop_back();
    const size_t n = finishes_.size();
    if (n > 0) {
      size_t i = 0;
      for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && earlier(finishes_[c + 1], finishes_[c])) ++c;
        if (!earlier(finishes_[c], last)) break;
        finishes_[i] = finishes_[c];
        i = c;
      }
      finishes_[i] = last;
    }
    return top;
  }

  void finish(uint32_t slot) {
    Container& c = containers_[slot];
    c.prev = kNil;
    c.next = idle_head_[c.fn];
    if (c.next != kNil) containers_[c.next].prev = slot;
    idle_head_[c.fn] = slot;
    idle_mb_ += trace_.functions[c.fn].memory_mb;
    c.idle_seq = idle_seq_++;
    lru_.push_back(slot);
    c.heap_pos = static_cast<uint32_t>(lru_.size() - 1);
    lru_up(c.heap_pos);
  }

  // Takes an idle container out of its function's list and the LRU heap.
  void unlink(uint32_t slot) {
    Container& c = containers_[slot];
    if (c.prev != kNil)
      containers_[c.prev].next = c.next;
    else
      idle_head_[c.fn] = c.next;
    if (c.next != kNil) containers_[c.next].prev = c.prev;
    idle_mb_ -= trace_.functions[c.fn].memory_mb;
    const uint32_t i = c.heap_pos;
    const uint32_t last = lru_.back();
    lru_.pop_back();
    if (i < lru_.size()) {
      lru_[i] = last;
      containers_[last].heap_pos = i;
      lru_down(lru_up(i));
    }
  }

  bool older(uint32_t a, uint32_t b) const {
    const Container& x = containers_[a];
    const Container& y = containers_[b];
    return x.start < y.start || (x.start == y.start && x.idle_seq < y.idle_seq);
  }
  uint32_t lru_up(uint32_t i) {
    const uint32_t s = lru_[i];
    while (i > 0) {
      const uint32_t parent = (i - 1) / 2;
      if (!older(s, lru_[parent])) break;
      lru_[i] = lru_[parent];
      containers_[lru_[i]].heap_pos = i;
      i = parent;
    }
    lru_[i] = s;
    containers_[s].heap_pos = i;
    return i;
  }
  void lru_down(uint32_t i) {
    const uint32_t s = lru_[i];
    const uint32_t n = static_cast<uint32_t>(lru_.size());
    for (;;) {
      uint32_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && older(lru_[c + 1], lru_[c])) ++c;
      if (!older(lru_[c], s)) break;
      lru_[i] = lru_[c];
      containers_[lru_[i]].heap_pos = i;
      i = c;
    }
    lru_[i] = s;
    containers_[s].heap_pos = i;
  }

  const Trace& trace_;
  const uint64_t capacity_;
  uint64_t used_ = 0, idle_mb_ = 0;
  std::vector<Container> containers_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> idle_head_;
  std::vector<Finish> finishes_;
  std::vector<uint32_t> lru_;
  uint64_t finish_seq_ = 0, idle_seq_ = 0;
  Counts counts_;
};

Counts keepwarm_counts(const Trace& trace, uint64_t memory_mb) {
  SimConfig config;
  config.memory_mb = memory_mb;
  const CellMetrics m = simulate(trace, plugin("lru"), config).metrics;
  return {m.warm, m.cold, m.dropped, m.evictions};
}

void report(benchmark::State& state, const Trace& trace, const Counts& c) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.invocation_count()));
  state.counters["ns_per_inv"] = benchmark::Counter(
      static_cast<double>(state.iterations() * trace.invocation_count()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
  state.counters["cold"] = static_cast<double>(c.cold);
  state.counters["evictions"] = static_cast<double>(c.evictions);
  state.counters["dropped"] = static_cast<double>(c.dropped);
}

// lru through the plugin ABI on trace at state.range(0) percent of its peak.
void run_keepwarm(benchmark::State& state, const Trace& trace) {
  const uint64_t mb = unlimited_peak_mb(trace) * static_cast<uint64_t>(state.range(0)) / 100;
  Counts c;
  for (auto _ : state) {
    c = keepwarm_counts(trace, mb);
    benchmark::DoNotOptimize(c);
  }
  report(state, trace, c);
  state.counters["functions"] = static_cast<double>(trace.functions.size());
}

void BM_Scale_keepwarm(benchmark::State& state) { run_keepwarm(state, day_trace()); }

// The minimal loop on trace at state.range(0) percent of its peak, its counts checked against
// keepwarm's.
void run_minimal(benchmark::State& state, const Trace& trace) {
  const uint64_t mb = unlimited_peak_mb(trace) * static_cast<uint64_t>(state.range(0)) / 100;
  const Counts expected = keepwarm_counts(trace, mb);
  Counts c;
  for (auto _ : state) {
    c = MinimalLru(trace, mb).run();
    benchmark::DoNotOptimize(c);
  }
  if (!(c == expected)) state.SkipWithError("the minimal loop's counts differ from keepwarm's");
  report(state, trace, c);
  state.counters["functions"] = static_cast<double>(trace.functions.size());
}

void BM_Scale_minimal(benchmark::State& state) { run_minimal(state, day_trace()); }
void BM_Scale_functions(benchmark::State& state) { run_keepwarm(state, many_functions_trace()); }
void BM_Scale_minimal_functions(benchmark::State& state) {
  run_minimal(state, many_functions_trace());
}

// Every built-in policy on the 1000-function day at state.range(0) percent of its peak, with its
// default parameters (the oracle's lookahead built outside the timed loop, as the host builds it
// once per trace): its speed beside lru's (BM_Scale_policy/lru is BM_Scale_keepwarm again).
void BM_Scale_policy(benchmark::State& state, const char* policy) {
  const Trace& trace = day_trace();
  const uint64_t mb = unlimited_peak_mb(trace) * static_cast<uint64_t>(state.range(0)) / 100;
  const PluginPtr p = plugin(policy);
  Lookahead lookahead;
  if (p->needs_lookahead()) lookahead.arrivals = trace.arrivals_by_function();
  SimConfig config;
  config.memory_mb = mb;
  config.params = p->resolve_params({});
  CellMetrics m;
  for (auto _ : state) {
    m = simulate(trace, p, config, p->needs_lookahead() ? &lookahead : nullptr).metrics;
    benchmark::DoNotOptimize(m);
  }
  report(state, trace, Counts{m.warm, m.cold, m.dropped, m.evictions});
  state.counters["expirations"] = static_cast<double>(m.expirations);
}

BENCHMARK(BM_Scale_keepwarm)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scale_minimal)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scale_functions)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scale_minimal_functions)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);
#define KW_SCALE_POLICY(id, name)              \
  BENCHMARK_CAPTURE(BM_Scale_policy, id, name) \
      ->Arg(10)                                \
      ->Arg(50)                                \
      ->Arg(100)                               \
      ->Unit(benchmark::kMillisecond)
KW_SCALE_POLICY(lru, "lru");
KW_SCALE_POLICY(rand, "rand");
KW_SCALE_POLICY(gd, "gd");
KW_SCALE_POLICY(freq, "freq");
KW_SCALE_POLICY(size, "size");
KW_SCALE_POLICY(landlord, "landlord");
KW_SCALE_POLICY(ttl, "ttl");
KW_SCALE_POLICY(hybrid_histogram, "hybrid-histogram");
KW_SCALE_POLICY(oracle, "oracle");

}  // namespace

BENCHMARK_MAIN();
