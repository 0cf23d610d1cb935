// html.cpp: the plots and report.html, rendered from ReportData only (never from the
// in-memory run), so that `keepwarm run` and `keepwarm report` write the same bytes.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

#include "keepwarm/report/plot_svg.hpp"
#include "keepwarm/report/report.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

const char* const kBaseline = kBaselinePolicy;

// A file-name-safe version of a trace name.
std::string slug(const std::string& s) {
  std::string out;
  for (const char c : s)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

std::string series_name(const TraceView& v, const std::string& policy) {
  const size_t n = v.seeds.at(policy);
  std::vector<std::string> notes;
  if (policy == kBaseline) notes.push_back("baseline");
  if (n > 1) notes.push_back(std::to_string(n) + "-seed mean");
  std::string name = policy;
  for (size_t i = 0; i < notes.size(); ++i) name += (i ? ", " : " (") + notes[i];
  return notes.empty() ? name : name + ")";
}

// One series per policy; RAND black and dashed. value picks the plotted numbers.
template <class XY>
std::vector<plot::Series> make_series(const TraceView& v, XY xy) {
  std::vector<plot::Series> out;
  size_t colour = 0;
  for (const std::string& p : v.policies) {
    plot::Series s;
    s.name = series_name(v, p);
    if (p == kBaseline) {
      s.color = "#000000";
      s.dashed = true;
    } else {
      s.color = plot::palette(colour++);
    }
    for (uint64_t mem : v.memory) {
      const auto it = v.mean.find({p, mem});
      if (it == v.mean.end()) continue;
      const auto [x, y] = xy(mem, it->second);
      s.points.push_back({x, y, std::to_string(mem) + " MB"});
    }
    out.push_back(std::move(s));
  }
  return out;
}

plot::Plot memory_plot(const TraceView& v, const std::string& what, const std::string& y_label) {
  plot::Plot p;
  p.x_label = "server memory (MB)";
  p.y_label = y_label;
  const double lo = v.memory.empty() ? 1 : static_cast<double>(v.memory.front());
  const double hi = v.memory.empty() ? 1 : static_cast<double>(v.memory.back());
  p.x_scale = plot::choose_scale(lo, hi, 8, plot::Scale::log2);
  if (v.memory.size() <= 10)
    for (uint64_t m : v.memory) p.x_ticks.push_back(static_cast<double>(m));
  p.title = v.name + ": " + what;
  return p;
}

std::vector<RenderedFile> plots_for(const TraceView& v) {
  std::vector<RenderedFile> out;
  const std::string base = "plots/" + slug(v.name);

  plot::Plot cold = memory_plot(v, "cold starts vs memory", "cold starts (% of started)");
  cold.series = make_series(v, [](uint64_t mem, const PolicyMean& m) {
    return std::pair<double, double>(static_cast<double>(mem), m.cold_pct);
  });
  out.push_back({base + "-cold.svg", plot::render_svg(cold)});

  plot::Plot dropped =
      memory_plot(v, "dropped invocations vs memory", "dropped (% of invocations)");
  dropped.series = make_series(v, [](uint64_t mem, const PolicyMean& m) {
    return std::pair<double, double>(static_cast<double>(mem), m.dropped_pct);
  });
  out.push_back({base + "-dropped.svg", plot::render_svg(dropped)});

  plot::Plot trade;
  trade.title = v.name + ": keep-alive cost vs cold starts";
  trade.x_label = "idle memory-time (MB\u00b7s)";
  trade.y_label = "cold starts (% of started)";
  trade.series = make_series(v, [](uint64_t, const PolicyMean& m) {
    return std::pair<double, double>(m.idle_mb_s, m.cold_pct);
  });
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : trade.series)
    for (const auto& pt : s.points) {
      lo = std::min(lo, pt.x);
      hi = std::max(hi, pt.x);
    }
  trade.x_scale = plot::choose_scale(lo, hi, 100, plot::Scale::log10);
  // The memory size of each point, written along the first line, shows which way it runs.
  if (!trade.series.empty()) trade.series.front().annotate = true;
  out.push_back({base + "-tradeoff.svg", plot::render_svg(trade)});
  return out;
}

const char* const kStyle =
    R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}tr.base td{font-style:italic}tr.bound td{color:#555;border-top:2px solid #999}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots svg{max-width:100%;height:auto;border:1px solid #eee}
.note{color:#555;font-size:.9em}details{margin:.5em 0}summary{cursor:pointer;font-weight:bold}
)";

class Html {
 public:
  void raw(const std::string& s) { o_ << s; }
  void tag(const char* name, const std::string& content, const char* attrs = "") {
    o_ << '<' << name << attrs << '>' << plot::escape(content) << "</" << name << ">\n";
  }
  void row(const std::vector<std::string>& cells, size_t left_cols, bool header = false,
           const char* cls = "") {
    o_ << "<tr" << cls << ">";
    for (size_t i = 0; i < cells.size(); ++i) {
      const char* t = header ? "th" : "td";
      o_ << '<' << t << (i < left_cols ? " class=\"l\"" : "") << '>' << plot::escape(cells[i])
         << "</" << t << '>';
    }
    o_ << "</tr>\n";
  }
  std::string str() const { return o_.str(); }

 private:
  std::ostringstream o_;
};

std::string join(const std::vector<uint64_t>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + std::to_string(v[i]);
  return out;
}

void settings_section(Html& h, const ReportData& d) {
  const ReportSettings& s = d.settings;
  h.raw("<h2>Settings</h2>\n<table>\n");
  auto kv = [&](const std::string& k, const std::string& v) { h.row({k, v}, 2); };
  kv("experiment", s.name);
  if (!s.source.empty()) kv("experiment file", s.source);
  kv("keepwarm version", s.keepwarm_version + (s.sdk_abi.empty() ? "" : ", SDK ABI " + s.sdk_abi));
  kv("simulation mode (compat)", s.compat.empty() ? "none" : s.compat);
  kv("cold start overhead", format_number(s.overhead_ms) + " ms + " +
                                format_number(100 * s.overhead_pct) + "% of cold time");
  kv("memory sizes (MB)", join(s.memory_mb, ", "));
  kv("seeds (randomised policies)", join(s.seeds, ", "));
  std::string policies;
  for (size_t i = 0; i < s.policies.size(); ++i) {
    const auto it = s.plugin_versions.find(s.policies[i]);
    policies +=
        (i ? ", " : "") + s.policies[i] + (it == s.plugin_versions.end() ? "" : " " + it->second);
  }
  kv("policies", policies);
  for (const auto& [policy, params] : s.params)
    for (const auto& [k, v] : params) kv("parameter " + policy + "." + k, v);
  kv("cells", std::to_string(d.cells.size()) + " ok, " + std::to_string(s.failed_cells) +
                  " failed" + (s.failed_cells ? " (failed_cells in results.json)" : ""));
  h.raw("</table>\n<table>\n");
  h.row({"trace", "path", "functions", "invocations"}, 2, true);
  for (const auto& t : s.traces)
    h.row({t.name, t.path, std::to_string(t.functions), std::to_string(t.invocations)}, 2);
  h.raw("</table>\n");
}

void ranking_section(Html& h, const TraceView& v) {
  const Ranking ranking = rank_policies(v);
  const bool bound = !v.bound.empty();
  h.tag("h3", "Ranking per memory size");
  h.raw(
      "<p class=\"note\">Sorted by cold starts + dropped invocations, then evictions; means "
      "over seeds for randomised policies; \u201cvs rand\u201d compares cold+dropped with the "
      "RAND baseline.");
  if (bound)
    h.raw(
        " \u201cLower bound\u201d is the number of misses no policy can beat (docs/bounds.md; a "
        "reference, not a policy); \u201cgap closed\u201d is how much of the distance from rand "
        "to it a policy covers.");
  h.raw("</p>\n");
  const auto base_mean = [&](uint64_t m) {
    const auto it = v.mean.find({kBaseline, m});
    return it == v.mean.end() ? -1.0 : it->second.misses();
  };
  for (const MemoryRanking& level : ranking.per_memory) {
    h.raw("<table>\n<caption>" + plot::escape(std::to_string(level.memory_mb) + " MB") +
          "</caption>\n");
    const auto b = v.bound.find(level.memory_mb);
    std::vector<std::string> head = {"rank",           "policy",    "cold+dropped", "cold",
                                     "dropped",        "evictions", "cold %",       "dropped %",
                                     "idle MB\u00b7s", "vs rand"};
    if (bound) head.push_back("gap closed");
    h.row(head, 2, true);
    for (size_t i = 0; i < level.rows.size(); ++i) {
      const std::string& p = level.rows[i].policy;
      const PolicyMean& m = v.mean.at({p, level.memory_mb});
      std::vector<std::string> cells = {
          std::to_string(i + 1),        series_name(v, p),
          format_count(m.misses()),     format_count(m.cold),
          format_count(m.dropped),      format_count(m.evictions),
          format_fixed(m.cold_pct, 2),  format_fixed(m.dropped_pct, 2),
          format_fixed(m.idle_mb_s, 0), level.rows[i].vs_baseline};
      if (bound)
        cells.push_back(b == v.bound.end() || base_mean(level.memory_mb) < 0
                            ? "-"
                            : gap_closed(base_mean(level.memory_mb), m.misses(),
                                         static_cast<double>(b->second)));
      h.row(cells, 2, false, p == kBaseline ? " class=\"base\"" : "");
    }
    if (b != v.bound.end())
      h.row({"", "lower bound", format_count(static_cast<double>(b->second)), "", "", "", "", "",
             "", "", "100%"},
            2, false, " class=\"bound\"");
    h.raw("</table>\n");
  }
  h.tag("h3", "Overall ranking (summed over " + std::to_string(v.memory.size()) + " memory sizes)");
  h.raw("<table>\n");
  double bound_sum = 0, base_sum = 0;
  const bool all_bounds = bound && v.bound.size() == v.memory.size();
  for (const auto& [m, lb] : v.bound) bound_sum += static_cast<double>(lb);
  for (const OverallRanking& r : ranking.overall)
    if (r.policy == kBaseline) base_sum = r.misses;
  std::vector<std::string> head = {"rank",      "policy",    "cold+dropped",
                                   "evictions", "mean rank", "vs rand"};
  if (all_bounds) head.push_back("gap closed");
  h.row(head, 2, true);
  for (size_t i = 0; i < ranking.overall.size(); ++i) {
    const OverallRanking& r = ranking.overall[i];
    std::vector<std::string> cells = {std::to_string(i + 1),        series_name(v, r.policy),
                                      format_count(r.misses),       format_count(r.evictions),
                                      format_fixed(r.mean_rank, 2), r.vs_baseline};
    if (all_bounds) cells.push_back(gap_closed(base_sum, r.misses, bound_sum));
    h.row(cells, 2, false, r.policy == kBaseline ? " class=\"base\"" : "");
  }
  if (all_bounds)
    h.row({"", "lower bound", format_count(bound_sum), "", "", "", "100%"}, 2, false,
          " class=\"bound\"");
  h.raw("</table>\n");
}

void worst_functions_section(Html& h, const ReportData& d, const TraceView& v) {
  if (d.functions.empty() || v.memory.empty()) return;
  const uint64_t mem = v.memory.front();
  h.tag("h3", "Worst-served functions at " + std::to_string(mem) + " MB");
  h.raw(
      "<p class=\"note\">The 10 functions with the most cold starts + dropped invocations per "
      "policy at the smallest memory size (means over seeds for randomised policies).</p>\n");
  for (const std::string& p : v.policies) {
    struct Row {
      std::string function;
      size_t runs = 0;
      double inv = 0, warm = 0, cold = 0, dropped = 0, evictions = 0, expirations = 0;
    };
    std::map<std::string, Row> by_fn;
    std::vector<std::string> order;  // first-seen order, for stable ties
    for (const ReportFunction& f : d.functions) {
      if (f.trace != v.name || f.policy != p || f.memory_mb != mem) continue;
      auto [it, fresh] = by_fn.try_emplace(f.function);
      if (fresh) order.push_back(f.function);
      Row& r = it->second;
      r.function = f.function;
      ++r.runs;
      r.inv += static_cast<double>(f.metrics.invocations);
      r.warm += static_cast<double>(f.metrics.warm);
      r.cold += static_cast<double>(f.metrics.cold);
      r.dropped += static_cast<double>(f.metrics.dropped);
      r.evictions += static_cast<double>(f.metrics.evictions);
      r.expirations += static_cast<double>(f.metrics.expirations);
    }
    if (order.empty()) continue;
    std::vector<Row> rows;
    for (const std::string& fn : order) {
      Row r = by_fn[fn];
      const double n = static_cast<double>(r.runs);
      r.inv /= n, r.warm /= n, r.cold /= n, r.dropped /= n, r.evictions /= n, r.expirations /= n;
      rows.push_back(r);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.cold + a.dropped > b.cold + b.dropped;
    });
    if (rows.size() > 10) rows.resize(10);
    h.raw("<details" + std::string(p == v.policies.front() ? " open=\"open\"" : "") + "><summary>" +
          plot::escape(series_name(v, p)) + "</summary>\n<table>\n");
    h.row({"function", "invocations", "warm", "cold", "dropped", "evictions", "expirations",
           "cold+dropped %"},
          1, true);
    for (const Row& r : rows)
      h.row({r.function, format_count(r.inv), format_count(r.warm), format_count(r.cold),
             format_count(r.dropped), format_count(r.evictions), format_count(r.expirations),
             r.inv == 0 ? "-" : format_fixed(100.0 * (r.cold + r.dropped) / r.inv, 2)},
            1);
    h.raw("</table>\n</details>\n");
  }
}

}  // namespace

std::vector<RenderedFile> render_report(const ReportData& d) {
  std::vector<RenderedFile> files;
  const std::vector<TraceView> views = build_views(d);
  Html h;
  h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
  h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  h.tag("title", "keepwarm report: " + d.settings.name);
  h.raw("<style>\n" + std::string(kStyle) + "</style>\n</head>\n<body>\n");
  h.tag("h1", "keepwarm report: " + d.settings.name);
  h.raw(
      "<p class=\"note\">Generated from results.csv, functions.csv and results.json; "
      "regenerate with <code>keepwarm report DIR</code>.</p>\n");
  settings_section(h, d);
  for (const TraceView& v : views) {
    h.tag("h2", "Trace " + v.name);
    const std::vector<RenderedFile> plots = plots_for(v);
    h.raw("<div class=\"plots\">\n");
    for (const RenderedFile& f : plots) h.raw(f.content);
    h.raw("</div>\n");
    ranking_section(h, v);
    worst_functions_section(h, d, v);
    files.insert(files.end(), plots.begin(), plots.end());
  }
  h.raw("</body>\n</html>\n");
  files.push_back({"report.html", h.str()});
  return files;
}

std::vector<std::string> write_report(const ReportData& data, const fs::path& dir) {
  std::vector<std::string> written;
  for (const RenderedFile& f : render_report(data)) {
    const fs::path file = dir / f.path;
    fs::create_directories(file.parent_path());
    write_file_atomic(file, f.content);
    written.push_back(f.path);
  }
  return written;
}

}  // namespace keepwarm
