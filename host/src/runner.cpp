// runner.cpp: the experiment grid on a thread pool, results files and the ranking text.
#include "keepwarm/runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "crash_report.hpp"
#include "io_util.hpp"
#include "keepwarm/report.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

size_t RunResults::failed() const {
  return static_cast<size_t>(
      std::count_if(cells.begin(), cells.end(), [](const CellOutcome& c) { return !c.ok; }));
}

static std::string with_origin(const Experiment& ex, const std::string& key,
                               const std::string& msg) {
  const auto it = ex.origin.find(key);
  return it == ex.origin.end() ? msg : it->second + ": " + msg;
}

std::vector<PluginPtr> resolve_policies(const Experiment& ex, PluginRegistry& registry) {
  if (ex.policies.empty())
    throw ConfigError("no policies given (use --policy NAME or policies = [...] in the file)");
  std::vector<PluginPtr> out;
  std::set<std::string> names;
  for (const std::string& p : ex.policies) {
    PluginPtr plugin;
    try {
      plugin = registry.find(p);
    } catch (const PluginError& e) {
      throw PluginError(with_origin(ex, "policy:" + p, e.what()));
    }
    if (!names.insert(plugin->name()).second)
      throw ConfigError(
          with_origin(ex, "policy:" + p, "policy '" + plugin->name() + "' is listed twice"));
    out.push_back(plugin);
  }
  // Every parameter table must name a known policy, and every parameter must be declared.
  for (const auto& [policy, params] : ex.params) {
    const auto it = std::find_if(out.begin(), out.end(),
                                 [&](const PluginPtr& p) { return p->name() == policy; });
    PluginPtr plugin;
    if (it != out.end()) {
      plugin = *it;
    } else {
      try {
        plugin = registry.find(policy);
      } catch (const PluginError& e) {
        throw PluginError(with_origin(ex, "params:" + policy, e.what()));
      }
    }
    for (const auto& [name, value] : params) {
      try {
        plugin->resolve_params({{name, value}});
      } catch (const PluginError& e) {
        throw PluginError(with_origin(ex, "param:" + policy + "." + name, e.what()));
      }
    }
  }
  return out;
}

std::vector<Cell> make_grid(const Experiment& ex, const std::vector<PluginPtr>& plugins,
                            size_t trace_count) {
  std::vector<Cell> grid;
  for (size_t t = 0; t < trace_count; ++t)
    for (size_t p = 0; p < plugins.size(); ++p)
      for (uint64_t mem : ex.memory_mb) {
        if (plugins[p]->randomised()) {
          for (uint64_t seed : ex.seeds) grid.push_back(Cell{t, p, mem, seed});
        } else {
          grid.push_back(Cell{t, p, mem, ex.seeds.front()});
        }
      }
  return grid;
}

RunResults run_grid(const Experiment& ex, std::vector<std::shared_ptr<const Trace>> traces,
                    std::vector<PluginPtr> plugins, const ProgressFn& progress,
                    EventObserver* observer, const CellDoneFn& cell_done) {
  RunResults results;
  results.experiment = ex;
  results.traces = std::move(traces);
  results.plugins = std::move(plugins);
  if (ex.memory_mb.empty()) throw ConfigError("no memory sizes given");
  if (ex.seeds.empty()) throw ConfigError("no seeds given");

  // Resolved parameters per policy (validated once, before any cell runs).
  std::vector<std::map<std::string, std::string>> params;
  for (const PluginPtr& p : results.plugins) {
    const auto it = ex.params.find(p->name());
    params.push_back(p->resolve_params(it == ex.params.end() ? std::map<std::string, std::string>{}
                                                             : it->second));
  }
  // Lookahead data, built once per trace, only if a policy needs it.
  const bool any_lookahead = std::any_of(results.plugins.begin(), results.plugins.end(),
                                         [](const PluginPtr& p) { return p->needs_lookahead(); });
  std::vector<Lookahead> lookahead(results.traces.size());
  if (any_lookahead)
    for (size_t t = 0; t < results.traces.size(); ++t)
      lookahead[t].arrivals = results.traces[t]->arrivals_by_function();

  const std::vector<Cell> grid = make_grid(ex, results.plugins, results.traces.size());
  if (observer != nullptr && grid.size() != 1)
    throw ConfigError("an event log needs a grid of exactly one cell; this one has " +
                      std::to_string(grid.size()));
  results.cells.resize(grid.size());
  unsigned jobs = ex.jobs != 0 ? ex.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<size_t>(jobs, std::max<size_t>(grid.size(), 1)));

  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mutex;
  CrashReporter crash_reporter;
  auto worker = [&](unsigned worker_id) {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= grid.size()) return;
      const Cell& cell = grid[i];
      crash_reporter.running(worker_id, "policy " + results.plugins[cell.policy]->label() +
                                            " on trace " + results.traces[cell.trace]->name +
                                            " at " + std::to_string(cell.memory_mb) + " MB, seed " +
                                            std::to_string(cell.seed));
      CellOutcome& out = results.cells[i];
      out.cell = cell;
      SimConfig config;
      config.memory_mb = cell.memory_mb;
      config.compat = ex.compat;
      config.overhead_ms = ex.overhead_ms;
      config.overhead_frac = ex.overhead_frac;
      config.seed = cell.seed;
      config.params = params[cell.policy];
      try {
        out.result = simulate(*results.traces[cell.trace], results.plugins[cell.policy], config,
                              any_lookahead ? &lookahead[cell.trace] : nullptr, observer);
        out.ok = true;
      } catch (const std::exception& e) {
        out.ok = false;
        out.error = e.what();
      }
      crash_reporter.idle(worker_id);
      const size_t d = done.fetch_add(1) + 1;
      if (progress || cell_done) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        if (cell_done) cell_done(results, i);
        if (progress) progress(d, grid.size());
      }
    }
  };
  if (jobs <= 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned j = 0; j < jobs; ++j) pool.emplace_back(worker, j);
    for (std::thread& t : pool) t.join();
  }
  return results;
}

// ---- results files -----------------------------------------------------------------------

std::string results_csv_header() {
  return "trace,policy,memory_mb,seed,invocations,warm,cold,dropped,evictions,expirations,"
         "prewarms,prewarm_hits,cold_pct,dropped_pct,added_latency_ms,idle_mb_s,peak_memory_mb,"
         "wall_s\n";
}

std::string results_csv_row(const RunResults& r, const CellOutcome& c,
                            const WriteOptions& options) {
  const CellMetrics& m = c.result.metrics;
  std::ostringstream out;
  out << csv_field(r.traces[c.cell.trace]->name) << ','
      << csv_field(r.plugins[c.cell.policy]->name()) << ',' << c.cell.memory_mb << ','
      << c.cell.seed << ',' << m.invocations << ',' << m.warm << ',' << m.cold << ',' << m.dropped
      << ',' << m.evictions << ',' << m.expirations << ',' << m.prewarms << ',' << m.prewarm_hits
      << ',' << format_fixed(m.cold_pct(), 6) << ',' << format_fixed(m.dropped_pct(), 6) << ','
      << format_fixed(m.added_latency_ms, 3) << ',' << format_fixed(m.idle_mb_s, 3) << ','
      << m.peak_memory_mb << ',' << format_fixed(options.reproducible ? 0.0 : m.wall_s, 6) << '\n';
  return out.str();
}

std::string results_csv(const RunResults& r, const WriteOptions& options) {
  std::string out = results_csv_header();
  for (const CellOutcome& c : r.cells)
    if (c.ok) out += results_csv_row(r, c, options);
  return out;
}

static std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

static std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return format_number(v);
}

std::string results_json(const RunResults& r, const WriteOptions& options) {
  const Experiment& ex = r.experiment;
  std::ostringstream out;
  out << "{\n  \"keepwarm_version\": " << json_string(KEEPWARM_VERSION) << ",\n";
  out << "  \"sdk_abi\": \"" << KW_ABI_VERSION_MAJOR << '.' << KW_ABI_VERSION_MINOR << "\",\n";
  out << "  \"experiment\": {\n    \"name\": " << json_string(ex.name) << ",\n";
  out << "    \"source\": " << json_string(ex.source.string()) << ",\n";
  out << "    \"traces\": [";
  for (size_t i = 0; i < r.traces.size(); ++i)
    out << (i ? ", " : "") << "{\"name\": " << json_string(r.traces[i]->name)
        << ", \"path\": " << json_string(i < ex.traces.size() ? ex.traces[i].string() : "")
        << ", \"functions\": " << r.traces[i]->functions.size()
        << ", \"invocations\": " << r.traces[i]->invocation_count() << "}";
  out << "],\n    \"memory_mb\": [";
  for (size_t i = 0; i < ex.memory_mb.size(); ++i) out << (i ? ", " : "") << ex.memory_mb[i];
  out << "],\n    \"policies\": [";
  for (size_t i = 0; i < r.plugins.size(); ++i)
    out << (i ? ", " : "") << json_string(r.plugins[i]->name());
  out << "],\n    \"seeds\": [";
  for (size_t i = 0; i < ex.seeds.size(); ++i) out << (i ? ", " : "") << ex.seeds[i];
  out << "],\n    \"compat\": " << json_string(compat_name(ex.compat)) << ",\n";
  out << "    \"cold_start\": {\"overhead_ms\": " << json_number(ex.overhead_ms)
      << ", \"overhead_pct\": " << json_number(ex.overhead_frac) << "},\n";
  out << "    \"params\": {";
  bool first_policy = true;
  for (const auto& [policy, params] : ex.params) {
    out << (first_policy ? "" : ", ") << json_string(policy) << ": {";
    first_policy = false;
    bool first = true;
    for (const auto& [k, v] : params) {
      out << (first ? "" : ", ") << json_string(k) << ": " << json_string(v);
      first = false;
    }
    out << "}";
  }
  out << "}\n  },\n  \"plugins\": [\n";
  for (size_t i = 0; i < r.plugins.size(); ++i) {
    const Plugin& p = *r.plugins[i];
    const kw_policy_descriptor& d = p.descriptor();
    out << "    {\"name\": " << json_string(p.name())
        << ", \"version\": " << json_string(p.version()) << ", \"abi\": \"" << d.abi.major << '.'
        << d.abi.minor << "\", \"file\": " << json_string(p.file().string())
        << ", \"sha256\": " << json_string(p.sha256())
        << ", \"randomised\": " << (p.randomised() ? "true" : "false") << "}"
        << (i + 1 < r.plugins.size() ? "," : "") << "\n";
  }
  out << "  ],\n  \"cells\": [\n";
  bool first = true;
  for (const CellOutcome& c : r.cells) {
    if (!c.ok) continue;
    const CellMetrics& m = c.result.metrics;
    out << (first ? "" : ",\n") << "    {\"trace\": " << json_string(r.traces[c.cell.trace]->name)
        << ", \"policy\": " << json_string(r.plugins[c.cell.policy]->name())
        << ", \"memory_mb\": " << c.cell.memory_mb << ", \"seed\": " << c.cell.seed
        << ", \"invocations\": " << m.invocations << ", \"warm\": " << m.warm
        << ", \"cold\": " << m.cold << ", \"dropped\": " << m.dropped
        << ", \"evictions\": " << m.evictions << ", \"expirations\": " << m.expirations
        << ", \"prewarms\": " << m.prewarms << ", \"prewarm_hits\": " << m.prewarm_hits
        << ", \"cold_pct\": " << json_number(m.cold_pct())
        << ", \"dropped_pct\": " << json_number(m.dropped_pct())
        << ", \"added_latency_ms\": " << json_number(m.added_latency_ms)
        << ", \"idle_mb_s\": " << json_number(m.idle_mb_s)
        << ", \"peak_memory_mb\": " << m.peak_memory_mb
        << ", \"wall_s\": " << json_number(options.reproducible ? 0.0 : m.wall_s) << "}";
    first = false;
  }
  out << "\n  ],\n  \"failed_cells\": [";
  first = true;
  for (const CellOutcome& c : r.cells) {
    if (c.ok) continue;
    out << (first ? "\n" : ",\n") << "    {\"trace\": " << json_string(r.traces[c.cell.trace]->name)
        << ", \"policy\": " << json_string(r.plugins[c.cell.policy]->name())
        << ", \"memory_mb\": " << c.cell.memory_mb << ", \"seed\": " << c.cell.seed
        << ", \"error\": " << json_string(c.error) << "}";
    first = false;
  }
  out << (first ? "]\n}\n" : "\n  ]\n}\n");
  return out.str();
}

void write_results(const RunResults& results, const fs::path& dir, const WriteOptions& options) {
  fs::create_directories(dir);
  write_file_atomic(dir / "results.csv", results_csv(results, options));
  write_file_atomic(dir / "results.json", results_json(results, options));
}

// ---- ranking -----------------------------------------------------------------------------

namespace {

std::string pad(const std::string& s, size_t width, bool left = true) {
  if (s.size() >= width) return s;
  return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string format_ranking(const RunResults& r) {
  // The ranking itself is report.html's (rank_policies), on the exact in-memory numbers.
  const std::vector<TraceView> views = build_views(to_report_data(r));
  std::ostringstream out;
  for (size_t t = 0; t < r.traces.size(); ++t) {
    const Trace& trace = *r.traces[t];
    out << "\n== trace " << trace.name << ": " << trace.functions.size() << " functions, "
        << trace.invocation_count() << " invocations"
        << (r.experiment.compat == Compat::faascache ? ", compat faascache" : "") << "\n";
    const auto v = std::find_if(views.begin(), views.end(),
                                [&](const TraceView& view) { return view.name == trace.name; });
    if (v == views.end()) continue;  // not reached: every trace has a view
    const Ranking ranking = rank_policies(*v);
    for (const MemoryRanking& level : ranking.per_memory) {
      out << "\n  memory " << level.memory_mb << " MB\n";
      out << "    " << pad("rank", 6) << pad("policy", 20) << pad("cold+dropped", 14, false)
          << pad("cold", 10, false) << pad("dropped", 10, false) << pad("evictions", 11, false)
          << pad("cold %", 9, false) << pad("vs rand", 10, false) << "\n";
      for (size_t i = 0; i < level.rows.size(); ++i) {
        const std::string& p = level.rows[i].policy;
        const PolicyMean& m = v->mean.at({p, level.memory_mb});
        const std::string name = p + (m.runs > 1 ? " (" + std::to_string(m.runs) + " seeds)" : "");
        out << "    " << pad(std::to_string(i + 1), 6) << pad(name, 20)
            << pad(format_count(m.misses()), 14, false) << pad(format_count(m.cold), 10, false)
            << pad(format_count(m.dropped), 10, false) << pad(format_count(m.evictions), 11, false)
            << pad(format_fixed(m.cold_pct, 2), 9, false)
            << pad(level.rows[i].vs_baseline, 10, false) << "\n";
      }
    }
    out << "\n  overall (summed over " << v->memory.size() << " memory sizes)\n";
    out << "    " << pad("rank", 6) << pad("policy", 20) << pad("cold+dropped", 14, false)
        << pad("evictions", 11, false) << pad("mean rank", 11, false) << pad("vs rand", 10, false)
        << "\n";
    for (size_t i = 0; i < ranking.overall.size(); ++i) {
      const OverallRanking& row = ranking.overall[i];
      out << "    " << pad(std::to_string(i + 1), 6) << pad(row.policy, 20)
          << pad(format_count(row.misses), 14, false) << pad(format_count(row.evictions), 11, false)
          << pad(format_fixed(row.mean_rank, 2), 11, false) << pad(row.vs_baseline, 10, false)
          << "\n";
    }
  }
  return out.str();
}

}  // namespace keepwarm
