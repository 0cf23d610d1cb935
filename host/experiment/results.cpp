// results.cpp: what a run writes about its cells: results.csv, results.json, functions.csv,
// the in-memory run as ReportData, and the ranking text shown on the terminal.
#include "keepwarm/experiment/results.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

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
  out << csv_field(r.traces[c.cell.trace]->name) << ',' << csv_field(r.policy_name(c.cell.policy))
      << ',' << c.cell.memory_mb << ',' << c.cell.seed << ',' << m.invocations << ',' << m.warm
      << ',' << m.cold << ',' << m.dropped << ',' << m.evictions << ',' << m.expirations << ','
      << m.prewarms << ',' << m.prewarm_hits << ',' << format_fixed(m.cold_pct(), 6) << ','
      << format_fixed(m.dropped_pct(), 6) << ',' << format_fixed(m.added_latency_ms, 3) << ','
      << format_fixed(m.idle_mb_s, 3) << ',' << m.peak_memory_mb << ','
      << format_fixed(options.reproducible ? 0.0 : m.wall_s, 6) << '\n';
  return out.str();
}

std::string results_csv(const RunResults& r, const WriteOptions& options) {
  std::string out = results_csv_header();
  for (const CellOutcome& c : r.cells)
    if (c.ok) out += results_csv_row(r, c, options);
  return out;
}

static std::string json_string(const std::string& s) { return json_quote(s); }

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
        << ", \"invocations\": " << r.traces[i]->invocation_count()
        << (i < r.trace_peak_mb.size() && r.trace_peak_mb[i] != 0
                ? ", \"peak_memory_mb\": " + std::to_string(r.trace_peak_mb[i])
                : std::string())
        << "}";
  out << "],\n    \"memory_mb\": [";
  for (size_t i = 0; i < ex.memory_mb.size(); ++i) out << (i ? ", " : "") << ex.memory_mb[i];
  if (!ex.memory_pct.empty()) {
    out << "],\n    \"memory_pct\": [";
    for (size_t i = 0; i < ex.memory_pct.size(); ++i)
      out << (i ? ", " : "") << json_number(ex.memory_pct[i]);
  }
  out << "],\n    \"policies\": [";
  for (size_t i = 0; i < r.variants.size(); ++i)
    out << (i ? ", " : "") << json_string(r.policy_name(i));
  out << "],\n    \"seeds\": [";
  for (size_t i = 0; i < ex.seeds.size(); ++i) out << (i ? ", " : "") << ex.seeds[i];
  out << "],\n    \"compat\": " << json_string(compat_name(ex.compat)) << ",\n";
  {
    std::vector<std::string> names;
    for (const PolicyVariant& v : r.variants) names.push_back(v.name);
    out << "    \"baseline\": " << json_string(resolve_baseline(ex.baseline, names)) << ",\n";
  }
  out << "    \"cold_start\": {\"overhead_ms\": " << json_number(ex.overhead_ms)
      << ", \"overhead_pct\": " << json_number(ex.overhead_frac) << "},\n";
  // The parameter values each policy (variant) was given; defaults are not listed.
  out << "    \"params\": {";
  bool first_policy = true;
  for (const PolicyVariant& v : r.variants) {
    if (v.params.empty()) continue;
    out << (first_policy ? "" : ", ") << json_string(v.name) << ": {";
    first_policy = false;
    bool first = true;
    for (const auto& [k, value] : v.params) {
      out << (first ? "" : ", ") << json_string(k) << ": " << json_string(value);
      first = false;
    }
    out << "}";
  }
  out << "}\n  },\n  \"plugins\": [\n";
  for (size_t i = 0; i < r.variants.size(); ++i) {
    const Plugin& p = *r.variants[i].plugin;
    const kw_policy_descriptor& d = p.descriptor();
    out << "    {\"name\": " << json_string(r.policy_name(i))
        << ", \"version\": " << json_string(p.version()) << ", \"abi\": \"" << d.abi.major << '.'
        << d.abi.minor << "\", \"file\": " << json_string(p.file().string())
        << ", \"sha256\": " << json_string(p.sha256())
        << ", \"randomised\": " << (p.randomised() ? "true" : "false")
        << ", \"plugin\": " << json_string(p.name()) << "}"
        << (i + 1 < r.variants.size() ? "," : "") << "\n";
  }
  out << "  ],\n  \"run\": {";
  if (!options.reproducible) {
    out << "\"ranks\": " << r.run.ranks << ", \"hosts\": [";
    for (size_t i = 0; i < r.run.hosts.size(); ++i)
      out << (i ? ", " : "") << json_string(r.run.hosts[i]);
    out << "], \"isolation\": " << json_string(r.run.isolation)
        << ", \"worker_processes\": " << r.run.worker_processes << ", ";
  }
  out << "\"resumed_cells\": " << r.run.resumed_cells << "},\n  \"cells\": [\n";
  bool first = true;
  for (const CellOutcome& c : r.cells) {
    if (!c.ok) continue;
    const CellMetrics& m = c.result.metrics;
    out << (first ? "" : ",\n") << "    {\"trace\": " << json_string(r.traces[c.cell.trace]->name)
        << ", \"policy\": " << json_string(r.policy_name(c.cell.policy))
        << ", \"memory_mb\": " << c.cell.memory_mb
        << (c.cell.memory_pct > 0 ? ", \"memory_pct\": " + json_number(c.cell.memory_pct)
                                  : std::string())
        << ", \"seed\": " << c.cell.seed << ", \"invocations\": " << m.invocations
        << ", \"warm\": " << m.warm << ", \"cold\": " << m.cold << ", \"dropped\": " << m.dropped
        << ", \"evictions\": " << m.evictions << ", \"expirations\": " << m.expirations
        << ", \"prewarms\": " << m.prewarms << ", \"prewarm_hits\": " << m.prewarm_hits
        << ", \"cold_pct\": " << json_number(m.cold_pct())
        << ", \"dropped_pct\": " << json_number(m.dropped_pct())
        << ", \"added_latency_ms\": " << json_number(m.added_latency_ms)
        << ", \"idle_mb_s\": " << json_number(m.idle_mb_s)
        << ", \"peak_memory_mb\": " << m.peak_memory_mb
        << ", \"wall_s\": " << json_number(options.reproducible ? 0.0 : m.wall_s);
    if (!options.reproducible)
      out << ", \"host\": " << json_string(c.host) << ", \"rank\": " << c.rank;
    out << "}";
    first = false;
  }
  out << "\n  ],\n  \"failed_cells\": [";
  first = true;
  for (const CellOutcome& c : r.cells) {
    if (c.ok) continue;
    out << (first ? "\n" : ",\n") << "    {\"trace\": " << json_string(r.traces[c.cell.trace]->name)
        << ", \"policy\": " << json_string(r.policy_name(c.cell.policy))
        << ", \"memory_mb\": " << c.cell.memory_mb << ", \"seed\": " << c.cell.seed
        << ", \"error\": " << json_string(c.error) << "}";
    first = false;
  }
  out << (first ? "]" : "\n  ]");
  // Statistics over seeds and the rankings, from the same code as the terminal and the report.
  const ReportData data = to_report_data(r);
  out << ",\n  \"summary\": " << summary_json(data, 2);
  out << ",\n  \"ranking\": " << overall_ranking_json(data, 2) << "\n}\n";
  return out.str();
}

void write_results(const RunResults& results, const fs::path& dir, const WriteOptions& options) {
  fs::create_directories(dir);
  write_file_atomic(dir / "results.csv", results_csv(results, options));
  write_file_atomic(dir / "results.json", results_json(results, options));
}

// ---- ranking -----------------------------------------------------------------------------

namespace {

// Text in lines of at most width columns (words are not split), each ending in a newline.
std::string wrap_words(const std::string& text, size_t width) {
  std::istringstream in(text);
  std::string word, line, out;
  while (in >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return line.empty() ? out : out + line + "\n";
}

std::string pad(const std::string& s, size_t width, bool left = true) {
  if (s.size() >= width) return s;
  return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string format_ranking(const RunResults& r, const std::vector<ReportBound>& bounds) {
  // The ranking itself is report.html's (rank_policies), on the exact in-memory numbers.
  ReportData data = to_report_data(r);
  data.bounds = bounds;
  const std::vector<TraceView> views = build_views(data);
  std::ostringstream out;
  bool any_seeds = false;
  std::string baseline;
  for (size_t t = 0; t < r.traces.size(); ++t) {
    const Trace& trace = *r.traces[t];
    out << "\n== trace " << trace.name << ": " << trace.functions.size() << " functions, "
        << trace.invocation_count() << " invocations"
        << (t < r.trace_peak_mb.size() && r.trace_peak_mb[t] != 0
                ? ", unlimited-memory peak " + std::to_string(r.trace_peak_mb[t]) + " MB"
                : std::string())
        << (r.experiment.compat != Compat::none
                ? std::string(", compat ") + compat_name(r.experiment.compat)
                : std::string())
        << "\n";
    const auto v = std::find_if(views.begin(), views.end(),
                                [&](const TraceView& view) { return view.name == trace.name; });
    if (v == views.end()) continue;  // not reached: every trace has a view
    const Ranking ranking = rank_policies(*v);
    baseline = ranking.baseline;
    // The policy column fits the longest name (variants such as ttl[keepalive_min=20]).
    size_t name_w = 20;
    for (const std::string& p : v->policies)
      name_w = std::max(name_w, p.size() + (v->seeds.at(p) > 1 ? 12 : 0) + 2);
    const std::string vs = "vs " + ranking.baseline;
    const auto base = [&](uint64_t m) {
      const auto it = v->mean.find({ranking.baseline, m});
      return it == v->mean.end() ? -1.0 : it->second.misses();
    };
    for (const MemoryRanking& level : ranking.per_memory) {
      const auto b = v->bound.find(level.memory_mb);
      const bool with_bound = b != v->bound.end() && base(level.memory_mb) >= 0;
      out << "\n  memory " << level.memory_mb << " MB\n";
      bool seeds = false;
      for (const MemoryRanking::Row& row : level.rows)
        seeds = seeds || v->mean.at({row.policy, level.memory_mb}).runs > 1;
      out << "    " << pad("rank", 6) << pad("policy", name_w) << pad("cold+dropped", 14, false);
      if (seeds) out << pad("sd", 8, false) << pad("\u00b195% CI", 11, false);
      out << pad("cold", 10, false) << pad("dropped", 10, false) << pad("evictions", 11, false)
          << pad("cold %", 9, false) << pad(vs, 11, false);
      if (with_bound) out << pad("gap closed", 12, false);
      if (seeds) out << "  " << vs << " 95% CI";
      out << "\n";
      for (const MemoryRanking::Row& row : level.rows) {
        const std::string& p = row.policy;
        const PolicyMean& m = v->mean.at({p, level.memory_mb});
        const std::string name = p + (m.runs > 1 ? " (" + std::to_string(m.runs) + " seeds)" : "");
        any_seeds = any_seeds || m.runs > 1;
        out << "    " << pad(std::to_string(row.rank), 6) << pad(name, name_w)
            << pad(format_count(m.misses()), 14, false);
        if (seeds) {
          // "\u00b1" is two bytes, one column: pad the CI one wider.
          const std::string ci = m.runs > 1 ? "\u00b1" + format_fixed(m.misses_stat.ci95, 1) : "";
          out << pad(m.runs > 1 ? format_fixed(m.misses_stat.sd, 1) : "", 8, false)
              << pad(ci, ci.empty() ? 11 : 12, false);
        }
        out << pad(format_count(m.cold), 10, false) << pad(format_count(m.dropped), 10, false)
            << pad(format_count(m.evictions), 11, false)
            << pad(format_fixed(m.cold_pct, 2), 9, false) << pad(row.vs_baseline, 11, false);
        if (with_bound)
          out << pad(gap_closed(base(level.memory_mb), m.misses(), static_cast<double>(b->second)),
                     12, false);
        const std::string change_ci = format_change_ci(row.change_lo, row.change_hi);
        if (seeds && !change_ci.empty()) out << "  " << change_ci;
        out << "\n";
      }
      if (b != v->bound.end())
        out << "    " << pad("", 6) << pad("lower bound", name_w)
            << pad(format_count(static_cast<double>(b->second)), 14, false)
            << "   (no policy can miss less; a reference, not a policy)\n";
      if (const auto o = v->optimum.find(level.memory_mb); o != v->optimum.end())
        out << "    " << pad("", 6) << pad("optimum", name_w)
            << pad(format_count(static_cast<double>(o->second)), 14, false)
            << "   (proven: no choice of victims misses less; docs/bounds.md)\n";
    }
    const bool all_bounds = !v->bound.empty() && v->bound.size() == v->memory.size();
    double bound_sum = 0, base_sum = -1;
    for (const auto& [m, lb] : v->bound) bound_sum += static_cast<double>(lb);
    for (const OverallRanking& row : ranking.overall)
      if (row.policy == ranking.baseline) base_sum = row.misses;
    const bool overall_bound = all_bounds && base_sum >= 0;
    out << "\n  overall over " << v->memory.size()
        << " memory sizes: by score = geometric mean of (cold+dropped + 1) / (" << ranking.baseline
        << "'s + 1)\n";
    out << "    " << pad("rank", 6) << pad("policy", name_w) << pad("score", 8, false)
        << pad(vs, 11, false) << pad("cold+dropped", 14, false) << pad("evictions", 11, false)
        << pad("mean rank", 11, false) << (overall_bound ? pad("gap closed", 12, false) : "")
        << "\n";
    for (const OverallRanking& row : ranking.overall) {
      out << "    " << pad(std::to_string(row.rank), 6) << pad(row.policy, name_w)
          << pad(std::isnan(row.score) ? "-" : format_fixed(row.score, 3), 8, false)
          << pad(row.vs_baseline, 11, false) << pad(format_count(row.misses), 14, false)
          << pad(format_count(row.evictions), 11, false)
          << pad(format_fixed(row.mean_rank, 2), 11, false)
          << (overall_bound ? pad(gap_closed(base_sum, row.misses, bound_sum), 12, false) : "")
          << "\n";
    }
    if (all_bounds)
      out << "    " << pad("", 6) << pad("lower bound", name_w) << pad("", 8) << pad("", 11)
          << pad(format_count(bound_sum), 14, false)
          << "   (no policy can miss less; a reference, not a policy)\n";
    out << "    (cold+dropped and evictions summed over the memory sizes)\n";
  }
  if (!baseline.empty()) {
    std::string notes =
        sign_convention(baseline) + ". Equal cold+dropped and evictions share a rank.";
    if (any_seeds)
      notes +=
          " Randomised policies: means over seeds with their standard deviation (sd) and "
          "the half-width of the 95% confidence interval of the mean (Student t); the CI "
          "of vs " +
          baseline +
          " maps that interval onto the change (summary.csv has sd and CIs of every "
          "metric).";
    out << "\n" << wrap_words(notes, 100);
  }
  return out.str();
}

// ---- functions.csv -----------------------------------------------------------------------

namespace {

void functions_csv_to(const RunResults& r, std::ostream& out) {
  out << "trace,policy,memory_mb,seed,function,invocations,warm,cold,dropped,evictions,"
         "expirations\n";
  for (const CellOutcome& c : r.cells) {
    if (!c.ok) continue;
    const Trace& trace = *r.traces[c.cell.trace];
    const std::string prefix =
        csv_field(trace.name) + ',' + csv_field(r.policy_name(c.cell.policy)) + ',' +
        std::to_string(c.cell.memory_mb) + ',' + std::to_string(c.cell.seed) + ',';
    for (size_t f = 0; f < c.result.per_function.size() && f < trace.functions.size(); ++f) {
      const FunctionMetrics& m = c.result.per_function[f];
      out << prefix << csv_field(trace.functions[f].id) << ',' << m.invocations << ',' << m.warm
          << ',' << m.cold << ',' << m.dropped << ',' << m.evictions << ',' << m.expirations
          << '\n';
    }
  }
}

}  // namespace

void write_functions_csv(const RunResults& results, const fs::path& dir) {
  // Streamed: the file has functions x cells rows.
  fs::create_directories(dir);
  AtomicFile file(dir / "functions.csv");
  functions_csv_to(results, file.stream());
  file.commit();
}

// ---- the run as ReportData -----------------------------------------------------------

ReportData to_report_data(const RunResults& r) {
  ReportData data;
  ReportSettings& s = data.settings;
  s.name = r.experiment.name;
  for (const auto& t : r.traces)
    s.traces.push_back({t->name, "", t->functions.size(), t->invocation_count()});
  s.memory_mb = r.experiment.memory_mb;
  for (const PolicyVariant& v : r.variants) s.policies.push_back(v.name);
  s.seeds = r.experiment.seeds;
  s.baseline = r.experiment.baseline;
  for (const CellOutcome& c : r.cells) {
    if (!c.ok) {
      ++s.failed_cells;
      continue;
    }
    const CellMetrics& m = c.result.metrics;
    ReportCell rc;
    rc.trace = r.traces[c.cell.trace]->name;
    rc.policy = r.policy_name(c.cell.policy);
    rc.memory_mb = c.cell.memory_mb;
    rc.seed = c.cell.seed;
    rc.invocations = m.invocations;
    rc.warm = m.warm;
    rc.cold = m.cold;
    rc.dropped = m.dropped;
    rc.evictions = m.evictions;
    rc.expirations = m.expirations;
    rc.prewarms = m.prewarms;
    rc.prewarm_hits = m.prewarm_hits;
    rc.peak_memory_mb = m.peak_memory_mb;
    rc.cold_pct = m.cold_pct();
    rc.dropped_pct = m.dropped_pct();
    rc.added_latency_ms = m.added_latency_ms;
    rc.idle_mb_s = m.idle_mb_s;
    data.cells.push_back(std::move(rc));
  }
  return data;
}

}  // namespace keepwarm
