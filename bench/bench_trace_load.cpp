// bench_trace_load.cpp: trace loading speed per form (native CSV, binary, FaasCache pickle) in
// invocations per second, on one generated trace of ~1M invocations; and the Azure importer's
// peak heap on a generated dataset in the published layout (counted by this program's
// operator new, so it is exact and independent of what ran before).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "keepwarm/traces/formats.hpp"
#include "keepwarm/traces/name_table.hpp"

// ---- heap accounting ------------------------------------------------------------------------
namespace {
std::atomic<int64_t> g_heap_now{0};
std::atomic<int64_t> g_heap_peak{0};
constexpr size_t kHeader = alignof(std::max_align_t);

void* counted_alloc(size_t n) {
  void* p = std::malloc(n + kHeader);
  if (!p) throw std::bad_alloc();
  *static_cast<size_t*>(p) = n;
  const int64_t now = g_heap_now.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
  int64_t peak = g_heap_peak.load();
  while (now > peak && !g_heap_peak.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + kHeader;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - kHeader;
  g_heap_now.fetch_sub(static_cast<int64_t>(*reinterpret_cast<size_t*>(base)));
  std::free(base);
}
}  // namespace

void* operator new(size_t n) { return counted_alloc(n); }
void* operator new[](size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, size_t) noexcept { counted_free(p); }
void operator delete[](void* p, size_t) noexcept { counted_free(p); }

namespace {

namespace fs = std::filesystem;
using namespace keepwarm;

fs::path work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("keepwarm-bench-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("keepwarm-bench-" + std::to_string(::getpid())),
                     ec);
    });
    return d;
  }();
  return dir;
}

// A pickle in FaasCache's shape (protocol 4, memoised LambdaData objects) for a trace.
std::string to_pickle(const Trace& t) {
  std::string p = "\x80\x04";
  uint32_t memo = 0;
  auto op = [&p](int c) { p += static_cast<char>(c); };
  auto str = [&](const std::string& s) {
    op(0x8c);
    op(static_cast<int>(s.size()));
    p += s;
  };
  auto u32 = [&](uint32_t v) {
    for (int k = 0; k < 4; ++k) op(static_cast<int>((v >> (8 * k)) & 0xff));
  };
  auto memoize = [&] {
    op(0x94);
    return memo++;
  };
  auto get = [&](uint32_t i) {
    op('j');
    u32(i);
  };
  auto integer = [&](double v) {
    op('J');
    u32(static_cast<uint32_t>(v));
  };
  auto real = [&](double d) {
    op('G');
    const auto bits = std::bit_cast<uint64_t>(d);
    for (int k = 7; k >= 0; --k) op(static_cast<int>((bits >> (8 * k)) & 0xff));
  };
  op('}');
  memoize();
  op('(');
  for (const Function& f : t.functions) {
    str(f.id);
    const uint32_t name = memoize();
    op('(');
    get(name);
    integer(f.memory_mb);
    integer(f.cold_ms);
    integer(f.warm_ms);
    op('t');
    memoize();
  }
  op('u');
  op(']');
  memoize();
  str("LambdaData");
  memoize();
  str("LambdaData");
  memoize();
  op(0x93);
  const uint32_t cls = memoize();
  op('0');  // POP: the class stays in the memo
  std::vector<int64_t> objects(t.functions.size(), -1);
  op('(');
  for (size_t i = 0; i < t.times.size(); ++i) {
    const uint32_t f = t.function_of[i];
    if (objects[f] < 0) {
      get(cls);
      op(')');
      op(0x81);
      objects[f] = memoize();
      op('}');
      memoize();
      op('(');
      str("kind");
      str(t.functions[f].id);
      str("warm_time");
      integer(t.functions[f].warm_ms);
      str("run_time");
      integer(t.functions[f].cold_ms);
      str("mem_size");
      integer(t.functions[f].memory_mb);
      op('u');
      op('b');
    } else {
      get(static_cast<uint32_t>(objects[f]));
    }
    real(t.times[i]);
    op(0x86);
    memoize();
    if (i % 1000 == 999) {  // Python batches APPENDS by 1000
      op('e');
      op('(');
    }
  }
  op('e');
  op(0x86);
  memoize();
  op('.');
  return p;
}

struct Forms {
  fs::path native, binary, pickle;
  size_t invocations;
};

const Forms& forms() {
  static const Forms f = [] {
    AzureLikeSpec s;
    s.functions = 200;
    s.seed = 3;
    s.max_per_day = 40000;
    Trace t = generate_azure_like(s);
    for (Function& fn : t.functions) {  // whole numbers, as in FaasCache's pickles
      fn.cold_ms = std::round(fn.cold_ms);
      fn.warm_ms = std::round(fn.warm_ms);
    }
    Forms out;
    out.invocations = t.invocation_count();
    out.native = work_dir() / "native";
    out.binary = work_dir() / "trace.kwt";
    out.pickle = work_dir() / "trace.pckl";
    write_native_trace(t, out.native);
    write_binary_trace(t, out.binary);
    std::ofstream(out.pickle, std::ios::binary) << to_pickle(t);
    return out;
  }();
  return f;
}

void load_bench(benchmark::State& state, const fs::path& path) {
  const Forms& f = forms();
  for (auto _ : state) {
    Trace t = load_trace(path);
    benchmark::DoNotOptimize(t.times.data());
    if (t.invocation_count() != f.invocations) state.SkipWithError("wrong invocation count");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.invocations));
  state.SetBytesProcessed(static_cast<int64_t>(
      state.iterations() *
      (fs::is_directory(path) ? fs::file_size(path / "invocations.csv") : fs::file_size(path))));
  state.counters["invocations"] = static_cast<double>(f.invocations);
}

void BM_LoadNativeCsv(benchmark::State& state) { load_bench(state, forms().native); }
void BM_LoadBinary(benchmark::State& state) { load_bench(state, forms().binary); }
void BM_LoadPickle(benchmark::State& state) { load_bench(state, forms().pickle); }
BENCHMARK(BM_LoadNativeCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoadBinary)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoadPickle)->Unit(benchmark::kMillisecond)->UseRealTime();

// An Azure 2019 day in the published layout: `functions` rows, heavy-tailed per-minute counts.
// The same at 50,000 functions (a 3-minute window of `trace generate azure --functions 50000`),
// where finding each row's function by name is most of the reading.
const Forms& forms_50k() {
  static const Forms f = [] {
    AzureLikeSpec s;
    s.functions = 50000;
    s.seed = 4;
    s.duration_ms = 0.05 * 3600000.0;
    const Trace t = generate_azure_like(s);
    Forms out;
    out.invocations = t.invocation_count();
    out.native = work_dir() / "native-50k";
    write_native_trace(t, out.native);
    return out;
  }();
  return f;
}

void BM_LoadNativeCsv50k(benchmark::State& state) {
  const Forms& f = forms_50k();
  for (auto _ : state) {
    Trace t = load_trace(f.native);
    benchmark::DoNotOptimize(t.times.data());
    if (t.invocation_count() != f.invocations) state.SkipWithError("wrong invocation count");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.invocations));
  state.counters["invocations"] = static_cast<double>(f.invocations);
}
BENCHMARK(BM_LoadNativeCsv50k)->Unit(benchmark::kMillisecond)->UseRealTime();

// One lookup per invocation of the 50,000-function trace, by name: the flat table the readers
// use (arg 0) beside std::unordered_map<std::string_view, uint32_t> (arg 1).
void BM_NameLookup(benchmark::State& state) {
  static const auto data = [] {
    const Trace t = load_trace(forms_50k().native);
    std::vector<std::string> names;
    for (const Function& fn : t.functions) names.push_back(fn.id);
    return std::pair{names, std::vector<uint32_t>(t.function_of.begin(), t.function_of.end())};
  }();
  const auto& [names, order] = data;
  NameTable flat(names.size());
  std::unordered_map<std::string_view, uint32_t> map;
  for (const std::string& n : names) {
    map.emplace(n, static_cast<uint32_t>(map.size()));
    flat.insert(n);
  }
  // The rows' names as a reader sees them: views into one text in trace order.
  std::string text;
  std::vector<std::pair<size_t, size_t>> rows;
  for (uint32_t f : order) {
    rows.emplace_back(text.size(), names[f].size());
    text += names[f];
  }
  const bool use_map = state.range(0) == 1;
  uint64_t sum = 0;
  for (auto _ : state) {
    for (const auto& [b, n] : rows) {
      const std::string_view name(text.data() + b, n);
      sum += use_map ? map.find(name)->second : flat.find(name);
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows.size()));
  state.SetLabel(use_map ? "unordered_map<string_view>" : "NameTable (flat)");
}
BENCHMARK(BM_NameLookup)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

struct AzureDataset {
  fs::path dir;
  uint64_t invocations = 0;
  uintmax_t bytes = 0;
};

const AzureDataset& azure_dataset(size_t functions) {
  static std::unordered_map<size_t, AzureDataset> cache;
  auto& d = cache[functions];
  if (!d.dir.empty()) return d;
  d.dir = work_dir() / ("azure-" + std::to_string(functions));
  fs::create_directories(d.dir);
  Rng rng(99);
  std::ofstream inv(d.dir / "invocations_per_function_md.anon.d01.csv", std::ios::binary);
  std::ofstream dur(d.dir / "function_durations_percentiles.anon.d01.csv", std::ios::binary);
  std::ofstream mem(d.dir / "app_memory_percentiles.anon.d01.csv", std::ios::binary);
  inv << "HashOwner,HashApp,HashFunction,Trigger";
  for (int m = 1; m <= 1440; ++m) inv << ',' << m;
  inv << '\n';
  dur << "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
         "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
         "percentile_Average_99,percentile_Average_100\n";
  mem << "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
         "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
         "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
         "AverageAllocatedMb_pct100\n";
  const size_t apps = functions / 4 + 1;
  for (size_t a = 0; a < apps; ++a)
    mem << "owner" << a << ",app" << a << ",10," << 100 + rng.below(900) << ",1,1,1,1,1,1,1,1\n";
  std::string row;
  for (size_t f = 0; f < functions; ++f) {
    const size_t a = f % apps;
    const std::string key =
        "owner" + std::to_string(a) + ",app" + std::to_string(a) + ",func" + std::to_string(f);
    // Per-minute rate log-uniform from 1/day to ~100/minute.
    const double per_minute = std::exp(std::log(1.0 / 1440) + rng.uniform() * std::log(144000.0));
    row = key + ",http";
    for (int m = 0; m < 1440; ++m) {
      // Poisson-ish count by summing exponential gaps within the minute.
      uint64_t n = 0;
      for (double t = rng.exponential(1.0 / per_minute); t < 1.0;
           t += rng.exponential(1.0 / per_minute))
        ++n;
      d.invocations += n;
      row += ',';
      row += std::to_string(n);
    }
    inv << row << '\n';
    dur << key << ',' << 50 + rng.below(2000) << ",100,1," << 3000 + rng.below(20000)
        << ",1,1,1,1,1,1,1\n";
  }
  inv.close();
  d.bytes = fs::file_size(d.dir / "invocations_per_function_md.anon.d01.csv");
  return d;
}

long maxrss_kb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Peak heap of an import, with `functions` rows in the file and 200 kept: stays proportional to
// the number of functions (plus the kept trace), far below the file's invocation count x 12 B.
void BM_AzureImport(benchmark::State& state) {
  const AzureDataset& d = azure_dataset(static_cast<size_t>(state.range(0)));
  AzureImportOptions o;
  o.functions = 200;
  int64_t peak = 0;
  uint64_t kept = 0;
  const long rss_before = maxrss_kb();
  for (auto _ : state) {
    const int64_t base = g_heap_now.load();
    g_heap_peak.store(base);
    Trace t = import_azure(d.dir, o);
    kept = t.invocation_count();
    peak = std::max(peak, g_heap_peak.load() - base);
    benchmark::DoNotOptimize(t.times.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.bytes * 2));  // 2 passes
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * state.range(0)));
  state.counters["file_MB"] = static_cast<double>(d.bytes) / 1e6;
  state.counters["file_invocations"] = static_cast<double>(d.invocations);
  state.counters["kept_invocations"] = static_cast<double>(kept);
  state.counters["peak_heap_MB"] = static_cast<double>(peak) / 1e6;
  state.counters["kept_trace_MB"] = static_cast<double>(kept) * 12 / 1e6;
  state.counters["maxrss_delta_MB"] = static_cast<double>(maxrss_kb() - rss_before) / 1e3;
}
BENCHMARK(BM_AzureImport)->Arg(2000)->Arg(8000)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
