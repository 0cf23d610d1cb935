// report_data.cpp: functions.csv, reading an output directory back into ReportData, and the
// event log observer.
#include <charconv>
#include <map>
#include <ostream>
#include <sstream>

#include "io_util.hpp"
#include "json_read.hpp"
#include "keepwarm/report.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

// ---- functions.csv -----------------------------------------------------------------------

std::string functions_csv(const RunResults& r) {
  std::ostringstream out;
  out << "trace,policy,memory_mb,seed,function,invocations,warm,cold,dropped,evictions,"
         "expirations\n";
  for (const CellOutcome& c : r.cells) {
    if (!c.ok) continue;
    const Trace& trace = *r.traces[c.cell.trace];
    const std::string prefix = trace.name + ',' + r.plugins[c.cell.policy]->name() + ',' +
                               std::to_string(c.cell.memory_mb) + ',' +
                               std::to_string(c.cell.seed) + ',';
    for (size_t f = 0; f < c.result.per_function.size() && f < trace.functions.size(); ++f) {
      const FunctionMetrics& m = c.result.per_function[f];
      out << prefix << trace.functions[f].id << ',' << m.invocations << ',' << m.warm << ','
          << m.cold << ',' << m.dropped << ',' << m.evictions << ',' << m.expirations << '\n';
    }
  }
  return out.str();
}

void write_functions_csv(const RunResults& results, const fs::path& dir) {
  fs::create_directories(dir);
  write_file_atomic(dir / "functions.csv", functions_csv(results));
}

// ---- reading an output directory ---------------------------------------------------------

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A CSV file with a header; fields are looked up by column name.
class CsvReader {
 public:
  CsvReader(const fs::path& file, const std::vector<std::string>& required) : file_(file) {
    std::string text;
    try {
      text = read_file(file);
    } catch (const std::exception& e) {
      throw ReportError(e.what());
    }
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line)) throw ReportError(file.string() + ": empty file");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto header = split(line);
    for (size_t i = 0; i < header.size(); ++i) column_[header[i]] = i;
    for (const std::string& name : required)
      if (!column_.count(name))
        throw ReportError(file.string() + ":1: missing column '" + name + "'");
    size_t n = 1;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      rows_.push_back(split(line));
      lines_.push_back(n);
      if (rows_.back().size() != header.size())
        throw ReportError(file.string() + ":" + std::to_string(n) + ": expected " +
                          std::to_string(header.size()) + " fields, found " +
                          std::to_string(rows_.back().size()));
    }
  }
  size_t size() const { return rows_.size(); }
  const std::string& text(size_t row, const std::string& col) const {
    return rows_[row][column_.at(col)];
  }
  uint64_t u64(size_t row, const std::string& col) const {
    const std::string& s = text(row, col);
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) bad(row, col, "an integer");
    return v;
  }
  double num(size_t row, const std::string& col) const {
    const std::string& s = text(row, col);
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) bad(row, col, "a number");
    return v;
  }

 private:
  [[noreturn]] void bad(size_t row, const std::string& col, const char* what) const {
    throw ReportError(file_.string() + ":" + std::to_string(lines_[row]) + ": " + col + " '" +
                      text(row, col) + "' is not " + what);
  }
  fs::path file_;
  std::map<std::string, size_t> column_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> lines_;
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
    if (const json::Value* failed = doc.find("failed_cells")) s.failed_cells = failed->items.size();
  } catch (const json::ParseError& e) {
    throw ReportError(file.string() + ": " + e.what());
  }
  return s;
}

}  // namespace

ReportData read_report_data(const fs::path& dir) {
  ReportData data;
  data.settings = read_settings(dir / "results.json");

  const CsvReader cells(dir / "results.csv", {"trace", "policy", "memory_mb", "seed", "invocations",
                                              "warm", "cold", "dropped", "evictions", "expirations",
                                              "prewarms", "prewarm_hits", "cold_pct", "dropped_pct",
                                              "added_latency_ms", "idle_mb_s", "peak_memory_mb"});
  for (size_t i = 0; i < cells.size(); ++i) {
    ReportCell c;
    c.trace = cells.text(i, "trace");
    c.policy = cells.text(i, "policy");
    c.memory_mb = cells.u64(i, "memory_mb");
    c.seed = cells.u64(i, "seed");
    c.invocations = cells.u64(i, "invocations");
    c.warm = cells.u64(i, "warm");
    c.cold = cells.u64(i, "cold");
    c.dropped = cells.u64(i, "dropped");
    c.evictions = cells.u64(i, "evictions");
    c.expirations = cells.u64(i, "expirations");
    c.prewarms = cells.u64(i, "prewarms");
    c.prewarm_hits = cells.u64(i, "prewarm_hits");
    c.peak_memory_mb = cells.u64(i, "peak_memory_mb");
    c.cold_pct = cells.num(i, "cold_pct");
    c.dropped_pct = cells.num(i, "dropped_pct");
    c.added_latency_ms = cells.num(i, "added_latency_ms");
    c.idle_mb_s = cells.num(i, "idle_mb_s");
    data.cells.push_back(std::move(c));
  }

  if (fs::exists(dir / "functions.csv")) {
    const CsvReader fns(dir / "functions.csv",
                        {"trace", "policy", "memory_mb", "seed", "function", "invocations", "warm",
                         "cold", "dropped", "evictions", "expirations"});
    data.functions.reserve(fns.size());
    for (size_t i = 0; i < fns.size(); ++i) {
      ReportFunction f;
      f.trace = fns.text(i, "trace");
      f.policy = fns.text(i, "policy");
      f.memory_mb = fns.u64(i, "memory_mb");
      f.seed = fns.u64(i, "seed");
      f.function = fns.text(i, "function");
      f.metrics.invocations = fns.u64(i, "invocations");
      f.metrics.warm = fns.u64(i, "warm");
      f.metrics.cold = fns.u64(i, "cold");
      f.metrics.dropped = fns.u64(i, "dropped");
      f.metrics.evictions = fns.u64(i, "evictions");
      f.metrics.expirations = fns.u64(i, "expirations");
      data.functions.push_back(std::move(f));
    }
  }
  return data;
}

// ---- event log ---------------------------------------------------------------------------

EventLog::EventLog(const Trace& trace, std::ostream& out) : trace_(trace), out_(out) {}

const char* EventLog::header() noexcept {
  return "time_ms,event,function,container,memory_mb,detail\n";
}

uint64_t EventLog::number(kw_container_id c) {
  if (c == KW_NO_CONTAINER) return 0;
  const auto [it, fresh] = numbers_.try_emplace(c, next_number_);
  if (fresh) ++next_number_;
  return it->second;
}

void EventLog::line(double t, const char* event, uint32_t fn, uint64_t number, uint32_t memory_mb,
                    const char* detail) {
  out_ << format_number(t) << ',' << event << ',' << trace_.functions[fn].id << ',';
  if (number != 0) out_ << number;
  out_ << ',' << memory_mb << ',' << detail << '\n';
}

void EventLog::arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) {
  static const char* const names[] = {"warm", "cold", "dropped"};
  line(t, "arrival", fn, number(c), trace_.functions[fn].memory_mb,
       names[static_cast<unsigned>(outcome)]);
}

void EventLog::removal(double t, kw_container_id c, uint32_t fn, uint32_t memory_mb,
                       kw_removal_reason reason) {
  const uint64_t n = number(c);
  numbers_.erase(c);
  line(t, reason == KW_REMOVED_EVICTED ? "evict" : "expire", fn, n, memory_mb, "");
}

void EventLog::prewarm(double t, kw_container_id c, uint32_t fn, bool created) {
  line(t, "prewarm", fn, number(c), trace_.functions[fn].memory_mb,
       created ? "created" : "no-memory");
}

}  // namespace keepwarm
