// azure.cpp: the Azure Functions 2019 dataset importer with FaasCache's transformation.
//
// Streaming, in two passes over the (large) invocations file so memory grows with the number of
// functions, not invocations: pass 1 keeps one daily total per row; after sampling, pass 2 keeps
// the non-zero minutes of the chosen rows only. The durations and memory files are small (one row
// per function / app) and are read into hash maps.
//
// Transformation: cold = Maximum duration, warm = Average; memory = ceil(app AverageAllocatedMb /
// number of the app's functions in the durations file); functions invoked fewer than twice or
// lacking duration or memory data are dropped; the n invocations of minute m are at
// (m-1)*60000 + i*60000/n, i = 0..n-1.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include "file_read.hpp"
#include "keepwarm/traces/formats.hpp"
#include "keepwarm/traces/name_table.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

AzureSample parse_azure_sample(const std::string& s) {
  if (s == "representative") return AzureSample::representative;
  if (s == "random") return AzureSample::random;
  if (s == "rare") return AzureSample::rare;
  if (s == "all") return AzureSample::all;
  throw std::invalid_argument("unknown sample '" + s +
                              "' (expected representative, random, rare or all)");
}

const char* to_string(AzureSample s) noexcept {
  switch (s) {
    case AzureSample::representative:
      return "representative";
    case AzureSample::random:
      return "random";
    case AzureSample::rare:
      return "rare";
    case AzureSample::all:
      return "all";
  }
  return "?";
}

namespace {

constexpr int kMinutes = 1440;

// Reads a CSV file line by line (no quoting: the dataset has none), tracking line numbers.
class CsvStream {
 public:
  explicit CsvStream(fs::path file) : file_(std::move(file)), in_(file_, std::ios::binary) {
    if (!in_)
      throw TraceError(file_, 0, 0, "cannot open (is this an Azure 2019 dataset directory?)");
  }
  bool next() {
    while (std::getline(in_, line_)) {
      ++line_no_;
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (line_no_ == 1 && line_.rfind("\xEF\xBB\xBF", 0) == 0) line_.erase(0, 3);
      if (!line_.empty()) {
        pos_ = 0;
        return true;
      }
    }
    if (in_.bad()) throw TraceError(file_, line_no_, 0, "read error");
    return false;
  }
  std::string_view field() {
    if (pos_ > line_.size()) fail(line_.size() + 1, "missing field");
    const size_t comma = line_.find(',', pos_);
    const size_t stop = comma == std::string::npos ? line_.size() : comma;
    col_ = pos_ + 1;
    const std::string_view f(line_.data() + pos_, stop - pos_);
    pos_ = stop + 1;
    return f;
  }
  double number(const char* what) {
    const std::string_view f = field();
    double v = 0;
    const auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc() || p != f.data() + f.size() || !std::isfinite(v))
      fail(col_, std::string("bad number for ") + what + ": '" + std::string(f) + "'");
    return v;
  }
  uint64_t count(const char* what) {
    const std::string_view f = field();
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc() || p != f.data() + f.size())
      fail(col_, std::string("bad count for ") + what + ": '" + std::string(f) + "'");
    return v;
  }
  void expect_end() {
    if (pos_ <= line_.size()) fail(pos_ + 1, "unexpected extra fields");
  }
  void header(const std::vector<std::string_view>& names, bool minutes_follow) {
    if (!next()) throw TraceError(file_, 0, 0, "empty file, expected a header");
    for (const std::string_view name : names)
      if (field() != name) fail(col_, "expected header column '" + std::string(name) + "'");
    if (minutes_follow) {
      for (int m = 1; m <= kMinutes; ++m)
        if (field() != std::to_string(m))
          fail(col_, "expected header column '" + std::to_string(m) + "'");
      expect_end();
    }
  }
  [[noreturn]] void fail(uint64_t column, const std::string& what) const {
    throw TraceError(file_, line_no_, column, what);
  }
  uint64_t line_no() const { return line_no_; }
  uint64_t column() const { return col_; }

 private:
  fs::path file_;
  std::ifstream in_;
  std::string line_;
  size_t pos_ = 0;
  uint64_t line_no_ = 0;
  uint64_t col_ = 0;
};

std::string day_file(const char* stem, int day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", day);
  return std::string(stem) + ".anon.d" + buf + ".csv";
}

// "a,b,c" in k (a buffer reused from row to row).
std::string_view key3(std::string& k, std::string_view a, std::string_view b, std::string_view c) {
  k.clear();
  k.append(a).append(1, ',').append(b).append(1, ',').append(c);
  return k;
}

struct Durations {
  double average, maximum;
};

struct Row {  // one eligible row of the invocations file
  uint64_t line;
  uint64_t total;
  uint32_t memory_mb;
  double cold_ms, warm_ms;
  std::string function;
};

std::vector<size_t> choose(const std::vector<Row>& rows, const AzureImportOptions& o) {
  std::vector<size_t> all(rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const size_t k = std::min(o.functions, rows.size());
  if (o.sample == AzureSample::all || k == rows.size()) return all;
  Rng rng(o.seed);
  // Picks `want` of pool[from, to) uniformly at random (partial Fisher-Yates), appending to out.
  auto pick = [&rng](std::vector<size_t>& pool, size_t from, size_t to, size_t want,
                     std::vector<size_t>& out) {
    want = std::min(want, to - from);
    for (size_t i = 0; i < want; ++i) {
      const size_t j = from + i + static_cast<size_t>(rng.below(to - from - i));
      std::swap(pool[from + i], pool[j]);
      out.push_back(pool[from + i]);
    }
  };
  std::vector<size_t> chosen;
  if (o.sample == AzureSample::random) {
    pick(all, 0, all.size(), k, chosen);
  } else {
    std::stable_sort(all.begin(), all.end(),
                     [&](size_t a, size_t b) { return rows[a].total < rows[b].total; });
    if (o.sample == AzureSample::rare) {
      chosen.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(k));
    } else {  // representative: k/4 from each quartile of daily invocations (extra to the low ones)
      const size_t n = all.size();
      for (size_t q = 0; q < 4; ++q) {
        const size_t from = n * q / 4, to = n * (q + 1) / 4;
        pick(all, from, to, k / 4 + (q < k % 4 ? 1 : 0), chosen);
      }
    }
  }
  std::sort(chosen.begin(), chosen.end());  // file order
  return chosen;
}

}  // namespace

Trace import_azure(const fs::path& dir, const AzureImportOptions& o, AzureImportStats* stats) {
  if (o.day < 1 || o.day > 14) throw std::invalid_argument("day must be in 1..14");
  if (!fs::is_directory(dir)) throw TraceError(dir, 0, 0, "not a directory");
  const fs::path inv_file = dir / day_file("invocations_per_function_md", o.day);
  const fs::path dur_file = dir / day_file("function_durations_percentiles", o.day);
  fs::path mem_file = dir / day_file("app_memory_percentiles", o.day);
  if (!fs::exists(mem_file) && o.memory_day > 0)
    mem_file = dir / day_file("app_memory_percentiles", o.memory_day);

  // Durations per function and function count per app.
  // Flat name tables (keepwarm/traces/name_table.hpp) give each key an index into a vector.
  NameTable duration_index;  // "owner,app,function" -> durations
  std::vector<Durations> durations;
  NameTable app_index;  // "owner,app," -> app_functions
  std::vector<uint32_t> app_functions;
  std::string key, app_key_buf;
  {
    CsvStream csv(dur_file);
    csv.header({"HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum",
                "percentile_Average_0", "percentile_Average_1", "percentile_Average_25",
                "percentile_Average_50", "percentile_Average_75", "percentile_Average_99",
                "percentile_Average_100"},
               false);
    csv.expect_end();
    while (csv.next()) {
      const std::string_view owner = csv.field(), app = csv.field(), fn = csv.field();
      const double avg = csv.number("Average");
      csv.number("Count");
      csv.number("Minimum");
      const double max = csv.number("Maximum");
      for (int i = 0; i < 7; ++i) csv.number("percentile");
      csv.expect_end();
      if (avg < 0 || max < 0) csv.fail(1, "negative duration");
      const auto [app_i, new_app] = app_index.insert(key3(key, owner, app, ""));
      if (new_app) app_functions.push_back(0);
      ++app_functions[app_i];
      if (duration_index.insert(key3(key, owner, app, fn)).second)
        durations.push_back(Durations{avg, max});  // the first row of a key counts
    }
  }
  NameTable memory_index;  // "owner,app," -> app_memory
  std::vector<double> app_memory;
  {
    CsvStream csv(mem_file);
    csv.header({"HashOwner", "HashApp", "SampleCount", "AverageAllocatedMb",
                "AverageAllocatedMb_pct1", "AverageAllocatedMb_pct5", "AverageAllocatedMb_pct25",
                "AverageAllocatedMb_pct50", "AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95",
                "AverageAllocatedMb_pct99", "AverageAllocatedMb_pct100"},
               false);
    csv.expect_end();
    while (csv.next()) {
      const std::string_view owner = csv.field(), app = csv.field();
      csv.number("SampleCount");
      const double mb = csv.number("AverageAllocatedMb");
      for (int i = 0; i < 8; ++i) csv.number("AverageAllocatedMb percentile");
      csv.expect_end();
      if (memory_index.insert(key3(key, owner, app, "")).second) app_memory.push_back(mb);
    }
  }

  const std::vector<std::string_view> inv_columns = {"HashOwner", "HashApp", "HashFunction",
                                                     "Trigger"};
  AzureImportStats st;
  // Pass 1: daily totals of eligible rows.
  std::vector<Row> rows;
  {
    CsvStream csv(inv_file);
    csv.header(inv_columns, true);
    while (csv.next()) {
      ++st.functions_in_file;
      const std::string_view owner = csv.field(), app = csv.field(), fn = csv.field();
      const std::string function(fn);
      if (const std::string problem = function_name_problem(function); !problem.empty())
        csv.fail(csv.column(), "HashFunction '" + function + "' " + problem);
      const std::string_view app_key = key3(app_key_buf, owner, app, "");
      const std::string_view fn_key = key3(key, owner, app, fn);
      csv.field();  // Trigger
      uint64_t total = 0;
      for (int m = 1; m <= kMinutes; ++m) {
        const uint64_t n = csv.count("a minute");
        total = n > UINT64_MAX - total ? UINT64_MAX : total + n;  // saturates: refused below
      }
      csv.expect_end();
      if (total < 2) continue;
      const uint32_t d = duration_index.find(fn_key);
      const uint32_t mem = memory_index.find(app_key);
      if (d == NameTable::kAbsent || mem == NameTable::kAbsent) continue;
      // A function with durations has its app counted in app_functions.
      const double per_function =
          std::ceil(app_memory[mem] / app_functions[app_index.find(app_key)]);
      if (!(per_function > 0) || per_function > 4294967295.0) continue;
      rows.push_back(Row{csv.line_no(), total, static_cast<uint32_t>(per_function),
                         durations[d].maximum, durations[d].average, function});
    }
  }
  st.functions_eligible = rows.size();
  duration_index = NameTable();
  durations = {};
  app_memory = {};
  memory_index = NameTable();
  app_index = NameTable();
  const std::vector<size_t> chosen = choose(rows, o);
  st.functions_kept = chosen.size();

  Trace trace;
  trace.name = dir.filename().string() + "-d" + std::to_string(o.day);
  std::unordered_map<std::string, uint32_t> seen_ids;
  for (size_t c : chosen) {
    const Row& r = rows[c];
    std::string id = r.function;
    if (const uint32_t n = seen_ids[id]++; n > 0) id += "~" + std::to_string(n + 1);
    trace.functions.push_back(Function{id, r.memory_mb, r.cold_ms, r.warm_ms});
  }

  // Pass 2: the chosen rows' non-zero minutes, then invocation times, merged by time.
  std::vector<std::vector<std::pair<uint16_t, uint32_t>>> minutes(chosen.size());
  {
    CsvStream csv(inv_file);
    csv.header(inv_columns, true);
    size_t next = 0;
    while (next < chosen.size() && csv.next()) {
      if (csv.line_no() != rows[chosen[next]].line) continue;
      for (int i = 0; i < 4; ++i) csv.field();
      for (int m = 1; m <= kMinutes; ++m) {
        const uint64_t n = csv.count("a minute");
        if (n > UINT32_MAX) csv.fail(csv.column(), "too many invocations in one minute");
        if (n > 0) minutes[next].emplace_back(static_cast<uint16_t>(m), static_cast<uint32_t>(n));
      }
      ++next;
    }
    if (next != chosen.size())
      throw TraceError(inv_file, csv.line_no(), 0, "file changed between the two passes");
  }
  for (size_t f = 0; f < chosen.size(); ++f) st.invocations_kept += rows[chosen[f]].total;
  if (o.max_invocations > 0 && st.invocations_kept > o.max_invocations)
    throw TraceError(inv_file, 0, 0,
                     "the " + std::to_string(chosen.size()) + " chosen functions have " +
                         std::to_string(st.invocations_kept) +
                         " invocations, more than the limit " + std::to_string(o.max_invocations) +
                         " (about 12 bytes each in memory; raise it with --max-invocations, or "
                         "keep fewer functions)");
  // A large trace's columns go to a temporary file instead of memory (file_read.hpp).
  const bool spill = spill_columns(st.invocations_kept * 12);
  ColumnBuilder<double> times(spill, inv_file);
  ColumnBuilder<uint32_t> function_of(spill, inv_file);
  times.reserve(st.invocations_kept);
  function_of.reserve(st.invocations_kept);
  // Minute by minute: gather that minute's invocations of all functions, sort (stable: ties in
  // function order), append.
  std::vector<size_t> cursor(chosen.size(), 0);
  std::vector<std::pair<double, uint32_t>> batch;
  for (int m = 1; m <= kMinutes; ++m) {
    batch.clear();
    for (uint32_t f = 0; f < chosen.size(); ++f) {
      auto& mf = minutes[f];
      if (cursor[f] < mf.size() && mf[cursor[f]].first == m) {
        const uint32_t n = mf[cursor[f]++].second;
        for (uint32_t i = 0; i < n; ++i) batch.emplace_back((m - 1) * 60000.0 + i * 60000.0 / n, f);
      }
    }
    std::stable_sort(batch.begin(), batch.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [t, f] : batch) {
      times.push_back(t);
      function_of.push_back(f);
    }
  }
  trace.times = times.finish();
  trace.function_of = function_of.finish();
  if (stats) *stats = st;
  return trace;
}

}  // namespace keepwarm
