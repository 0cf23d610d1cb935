// read.cpp: reading an output directory back into ReportData.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <string_view>

#include "keepwarm/report/report.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/json_read.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

// ---- reading an output directory ---------------------------------------------------------

namespace {

// A CSV file with a header, read one row at a time (results files can be large); fields of
// the current row are looked up by column name.
class CsvReader {
 public:
  explicit CsvReader(const fs::path& file) : file_(file), in_(file, std::ios::binary) {
    if (!in_) throw ReportError(file.string() + ": cannot open");
    std::string line;
    if (!std::getline(in_, line)) throw ReportError(file.string() + ": empty file");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    header_ = split_csv_line(line);
    for (size_t i = 0; i < header_.size(); ++i) column_[header_[i]] = i;
  }

  // Reads the next non-empty row; false at the end of the file.
  bool next() {
    while (std::getline(in_, line_)) {
      ++line_number_;
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (line_.empty()) continue;
      fields_ = split_csv_line(line_);
      if (fields_.size() != header_.size())
        throw ReportError(file_.string() + ":" + std::to_string(line_number_) + ": expected " +
                          std::to_string(header_.size()) + " fields, found " +
                          std::to_string(fields_.size()));
      return true;
    }
    if (in_.bad()) throw ReportError(file_.string() + ": read error");
    return false;
  }

  bool has(const std::string& name) const { return column_.count(name) != 0; }
  // The index of a column; ReportError when the header lacks it.
  size_t column(const std::string& name) const {
    const auto it = column_.find(name);
    if (it == column_.end())
      throw ReportError(file_.string() + ":1: missing column '" + name + "'");
    return it->second;
  }
  std::string_view text(size_t col) const { return fields_[col]; }
  std::string str(size_t col) const { return std::string(fields_[col]); }
  uint64_t u64(size_t col) const {
    const std::string_view s = fields_[col];
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) bad(col, "an integer");
    return v;
  }
  double num(size_t col) const {
    const std::string_view s = fields_[col];
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) bad(col, "a number");
    return v;
  }

 private:
  [[noreturn]] void bad(size_t col, const char* what) const {
    throw ReportError(file_.string() + ":" + std::to_string(line_number_) + ": " + header_[col] +
                      " '" + std::string(fields_[col]) + "' is not " + what);
  }
  fs::path file_;
  std::ifstream in_;
  std::vector<std::string> header_;
  std::map<std::string, size_t> column_;
  std::string line_;
  std::vector<std::string> fields_;
  size_t line_number_ = 1;
};

ReportSettings read_settings(const fs::path& file) {
  ReportSettings s;
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception& e) {
    throw ReportError(e.what());
  }
  try {
    const json::Value doc = json::parse(text);
    s.keepwarm_version = doc.at("keepwarm_version").str("keepwarm_version");
    if (const json::Value* abi = doc.find("sdk_abi")) s.sdk_abi = abi->str("sdk_abi");
    const json::Value& ex = doc.at("experiment");
    s.name = ex.at("name").str("experiment.name");
    if (const json::Value* src = ex.find("source")) s.source = src->str("experiment.source");
    for (const json::Value& t : ex.at("traces").items) {
      ReportSettings::TraceInfo info;
      info.name = t.at("name").str("trace name");
      if (const json::Value* p = t.find("path")) info.path = p->str("trace path");
      if (const json::Value* f = t.find("functions")) info.functions = f->u64("trace functions");
      if (const json::Value* n = t.find("invocations"))
        info.invocations = n->u64("trace invocations");
      s.traces.push_back(info);
    }
    for (const json::Value& m : ex.at("memory_mb").items) s.memory_mb.push_back(m.u64("memory"));
    for (const json::Value& p : ex.at("policies").items) s.policies.push_back(p.str("policy"));
    for (const json::Value& v : ex.at("seeds").items) s.seeds.push_back(v.u64("seed"));
    if (const json::Value* c = ex.find("compat")) s.compat = c->str("compat");
    if (const json::Value* b = ex.find("baseline")) s.baseline = b->str("experiment.baseline");
    if (const json::Value* cs = ex.find("cold_start")) {
      if (const json::Value* v = cs->find("overhead_ms")) s.overhead_ms = v->num("overhead_ms");
      if (const json::Value* v = cs->find("overhead_pct")) s.overhead_pct = v->num("overhead_pct");
    }
    if (const json::Value* params = ex.find("params"))
      for (const auto& [policy, table] : params->members)
        for (const auto& [k, v] : table.members) s.params[policy][k] = v.str("parameter");
    if (const json::Value* plugins = doc.find("plugins"))
      for (const json::Value& p : plugins->items)
        s.plugin_versions[p.at("name").str("plugin name")] = p.at("version").str("version");
    if (const json::Value* failed = doc.find("failed_cells")) {
      s.failed_cells = failed->items.size();
      for (const json::Value& c : failed->items)
        s.failed.push_back({c.at("trace").str("trace"), c.at("policy").str("policy"),
                            c.at("memory_mb").u64("memory_mb"), c.at("seed").u64("seed"),
                            c.at("error").str("error")});
    }
  } catch (const json::ParseError& e) {
    throw ReportError(file.string() + ": " + e.what());
  }
  return s;
}

}  // namespace

ReportData read_report_data(const fs::path& dir) {
  ReportData data;
  data.settings = read_settings(dir / "results.json");

  CsvReader cells(dir / "results.csv");
  {
    // In the order of the file's columns, so the first one missing is the one reported.
    const size_t trace = cells.column("trace"), policy = cells.column("policy"),
                 memory = cells.column("memory_mb"), seed = cells.column("seed"),
                 invocations = cells.column("invocations"), warm = cells.column("warm"),
                 cold = cells.column("cold"), dropped = cells.column("dropped"),
                 evictions = cells.column("evictions"), expirations = cells.column("expirations"),
                 prewarms = cells.column("prewarms"), prewarm_hits = cells.column("prewarm_hits"),
                 cold_pct = cells.column("cold_pct"), dropped_pct = cells.column("dropped_pct"),
                 latency = cells.column("added_latency_ms"), idle = cells.column("idle_mb_s"),
                 peak = cells.column("peak_memory_mb");
    while (cells.next()) {
      ReportCell c;
      c.trace = cells.str(trace);
      c.policy = cells.str(policy);
      c.memory_mb = cells.u64(memory);
      c.seed = cells.u64(seed);
      c.invocations = cells.u64(invocations);
      c.warm = cells.u64(warm);
      c.cold = cells.u64(cold);
      c.dropped = cells.u64(dropped);
      c.evictions = cells.u64(evictions);
      c.expirations = cells.u64(expirations);
      c.prewarms = cells.u64(prewarms);
      c.prewarm_hits = cells.u64(prewarm_hits);
      c.peak_memory_mb = cells.u64(peak);
      c.cold_pct = cells.num(cold_pct);
      c.dropped_pct = cells.num(dropped_pct);
      c.added_latency_ms = cells.num(latency);
      c.idle_mb_s = cells.num(idle);
      data.cells.push_back(std::move(c));
    }
  }

  // functions.csv can be large (functions x cells): keep only the rows the report shows, those
  // at each trace's smallest memory size.
  std::map<std::string, uint64_t, std::less<>> smallest;
  for (const ReportCell& c : data.cells) {
    const auto it = smallest.find(c.trace);
    if (it == smallest.end() || c.memory_mb < it->second) smallest[c.trace] = c.memory_mb;
  }
  if (fs::exists(dir / "functions.csv")) {
    CsvReader fns(dir / "functions.csv");
    const size_t trace = fns.column("trace"), policy = fns.column("policy"),
                 memory = fns.column("memory_mb"), seed = fns.column("seed"),
                 function = fns.column("function"), invocations = fns.column("invocations"),
                 warm = fns.column("warm"), cold = fns.column("cold"),
                 dropped = fns.column("dropped"), evictions = fns.column("evictions"),
                 expirations = fns.column("expirations");
    while (fns.next()) {
      const auto it = smallest.find(fns.text(trace));
      const uint64_t mem = fns.u64(memory);
      if (it == smallest.end() || it->second != mem) continue;
      ReportFunction f;
      f.trace = fns.str(trace);
      f.policy = fns.str(policy);
      f.memory_mb = mem;
      f.seed = fns.u64(seed);
      f.function = fns.str(function);
      f.metrics.invocations = fns.u64(invocations);
      f.metrics.warm = fns.u64(warm);
      f.metrics.cold = fns.u64(cold);
      f.metrics.dropped = fns.u64(dropped);
      f.metrics.evictions = fns.u64(evictions);
      f.metrics.expirations = fns.u64(expirations);
      data.functions.push_back(std::move(f));
    }
  }
  if (fs::exists(dir / "bound.csv")) {
    CsvReader b(dir / "bound.csv");
    const size_t trace = b.column("trace"), memory = b.column("memory_mb"),
                 lower = b.column("lower_bound"), compulsory = b.column("compulsory");
    // optimum: empty where the search did not prove it; absent in files of keepwarm < 0.9.
    const bool with_optimum = b.has("optimum");
    const size_t optimum = with_optimum ? b.column("optimum") : 0;
    while (b.next()) {
      ReportBound row{b.str(trace), b.u64(memory), b.u64(lower), b.u64(compulsory)};
      if (with_optimum && !b.text(optimum).empty()) {
        row.has_optimum = true;
        row.optimum = b.u64(optimum);
      }
      data.bounds.push_back(std::move(row));
    }
  }
  return data;
}

std::string gap_closed(double baseline, double misses, double bound) {
  if (!(baseline > bound)) return "-";
  return format_fixed(100.0 * (baseline - misses) / (baseline - bound), 1) + "%";
}

}  // namespace keepwarm
