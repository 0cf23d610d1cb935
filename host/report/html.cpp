// html.cpp: the plots and report.html, rendered from ReportData only (never from the
// in-memory run), so that `keepwarm run` and `keepwarm report` write the same bytes.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "keepwarm/report/plot_svg.hpp"
#include "keepwarm/report/report.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

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
  if (policy == v.baseline) notes.push_back("baseline");
  if (n > 1) notes.push_back(std::to_string(n) + "-seed mean");
  std::string name = policy;
  for (size_t i = 0; i < notes.size(); ++i) name += (i ? ", " : " (") + notes[i];
  return notes.empty() ? name : name + ")";
}

// One series per policy: the baseline black, dashed and hollow, the others in distinct
// styles. xy gives a policy's point at one memory size (or nothing).
template <class XY>
std::vector<plot::Series> make_series(const TraceView& v, XY xy) {
  std::vector<plot::Series> out;
  size_t k = 0;
  for (const std::string& p : v.policies) {
    plot::Series s;
    s.name = series_name(v, p);
    if (p == v.baseline) {
      s.style = plot::baseline_style();
      s.hollow = true;
    } else {
      s.style = plot::style(k++);
    }
    for (uint64_t mem : v.memory) {
      const auto it = v.mean.find({p, mem});
      if (it == v.mean.end()) continue;
      if (std::optional<plot::Point> pt = xy(mem, it->second)) {
        pt->label = std::to_string(mem) + " MB";
        s.points.push_back(*pt);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// A point at (x, stat's mean) with the 95% CI as its error bar when the policy has seeds.
plot::Point with_ci(double x, const Stat& st, double scale = 1, double shift = 0) {
  plot::Point pt;
  pt.x = x;
  pt.y = st.mean * scale + shift;
  if (st.n > 1 && st.ci95 > 0) {
    pt.y_lo = st.lo() * scale + shift;
    pt.y_hi = st.hi() * scale + shift;
  }
  return pt;
}

plot::Plot memory_plot(const TraceView& v, const std::string& what, const std::string& y_label,
                       bool log_y) {
  plot::Plot p;
  p.x_label = "server memory (MB)";
  p.y_label = y_label;
  const double lo = v.memory.empty() ? 1 : static_cast<double>(v.memory.front());
  const double hi = v.memory.empty() ? 1 : static_cast<double>(v.memory.back());
  // Memory sizes are usually geometric: log2 from a 4x span.
  p.x_scale = plot::choose_scale(lo, hi, 3.99, plot::Scale::log2);
  if (v.memory.size() <= 12)
    for (uint64_t m : v.memory) p.x_ticks.push_back(static_cast<double>(m));
  p.y_scale = log_y ? plot::Scale::log10 : plot::Scale::linear;
  p.title = v.name + ": " + what;
  return p;
}

struct Figure {
  std::string path, svg, caption;
};

std::vector<Figure> plots_for(const TraceView& v, const ReportOptions& options) {
  std::vector<Figure> out;
  const std::string base = "plots/" + slug(v.name);
  bool seeds = false;
  for (const auto& [p, n] : v.seeds) seeds = seeds || n > 1;
  const std::string ci = seeds ? " Error bars: 95% confidence intervals over seeds." : "";
  using Opt = std::optional<plot::Point>;

  // A metric's mean (with its interval) per policy against server memory.
  const auto against_memory = [&](const std::string& suffix, const char* title, const char* y,
                                  Stat PolicyMean::*stat, const std::string& caption) {
    plot::Plot p = memory_plot(v, title, y, options.log_y);
    p.series = make_series(v, [stat](uint64_t mem, const PolicyMean& m) -> Opt {
      return with_ci(static_cast<double>(mem), m.*stat);
    });
    out.push_back({base + suffix, plot::render_svg(p), caption + ci});
  };
  against_memory("-cold.svg", "cold starts vs memory", "cold starts (% of started)",
                 &PolicyMean::cold_pct_stat,
                 "Cold starts (% of started invocations) against server memory.");
  against_memory("-dropped.svg", "dropped invocations vs memory", "dropped (% of invocations)",
                 &PolicyMean::dropped_pct_stat,
                 "Dropped invocations (% of all invocations) against server memory.");
  against_memory("-latency.svg", "added latency vs memory", "added latency per invocation (ms)",
                 &PolicyMean::latency_per_inv_stat,
                 "Latency added by cold starts (cold minus warm duration, summed), per "
                 "invocation, against server memory.");

  plot::Plot vs = memory_plot(v, "cold starts + dropped relative to " + v.baseline,
                              "cold + dropped \u00f7 " + v.baseline + "\u2019s", false);
  vs.y_scale = plot::Scale::log10;
  vs.y_reference = 1;
  vs.series = make_series(v, [&](uint64_t mem, const PolicyMean& m) -> Opt {
    const auto b = v.mean.find({v.baseline, mem});
    if (b == v.mean.end()) return std::nullopt;
    // (misses + 1) / (baseline's + 1), as in the overall score; a randomised policy's CI
    // relative to the baseline's mean.
    const double base = b->second.misses() + 1;
    plot::Point pt;
    pt.x = static_cast<double>(mem);
    pt.y = (m.misses_stat.mean + 1) / base;
    if (m.misses_stat.n > 1 && m.misses_stat.ci95 > 0) {
      pt.y_lo = (std::max(0.0, m.misses_stat.lo()) + 1) / base;
      pt.y_hi = (m.misses_stat.hi() + 1) / base;
    }
    return pt;
  });
  out.push_back({base + "-vs-baseline.svg", plot::render_svg(vs),
                 "Cold starts + dropped invocations relative to " + v.baseline +
                     " (the baseline) at each memory size, as the ratio (misses + 1) / (" +
                     v.baseline +
                     "\u2019s + 1) on a log scale: below 1 is better, 0.5 is half the misses of " +
                     v.baseline + ", 2 twice as many." +
                     (seeds ? " Error bars: the 95% confidence interval of each randomised "
                              "policy's mean, relative to the baseline's mean."
                            : "")});

  plot::Plot trade;
  trade.title = v.name + ": keep-alive cost vs cold starts";
  trade.y_label = "cold starts (% of started)";
  trade.series = make_series(v, [](uint64_t, const PolicyMean& m) -> Opt {
    plot::Point pt = with_ci(m.idle_stat.mean, m.cold_pct_stat);
    if (m.idle_stat.n > 1 && m.idle_stat.ci95 > 0) {
      pt.x_lo = m.idle_stat.lo();
      pt.x_hi = m.idle_stat.hi();
    }
    return pt;
  });
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : trade.series)
    for (const auto& pt : s.points) {
      lo = std::min(lo, pt.x);
      hi = std::max(hi, pt.x);
    }
  trade.x_unit = plot::memory_time_unit(hi);
  trade.x_label = "idle memory-time (" + trade.x_unit.name + ")";
  trade.x_scale = plot::choose_scale(lo, hi, 100, plot::Scale::log10);
  // The memory size of each point, written along the first line, shows which way it runs.
  if (!trade.series.empty()) trade.series.front().annotate = true;
  out.push_back({base + "-tradeoff.svg", plot::render_svg(trade),
                 "Keep-alive cost (memory held by idle containers \u00d7 time) against cold "
                 "starts; one point per memory size, labelled along the " +
                     (trade.series.empty() ? std::string() : v.policies.front()) + " line." + ci});
  return out;
}

const char* const kStyle =
    R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1320px;padding:0 1.2em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}tr.base td{font-style:italic;background:#fafafa}tr.bound td{color:#555;border-top:2px solid #999}
table.rank td,table.rank th{white-space:nowrap;font-variant-numeric:tabular-nums}table{font-size:.95em}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:1.5em 2em;margin:1em 0}\nfigure{margin:0}figure svg{display:block;width:100%;height:auto}\nfigcaption{font-size:.92em;color:#333;margin-top:.3em}figcaption .file{color:#888;font-family:monospace;font-size:.9em}
.note{color:#555;font-size:.9em}pre.error{margin:0;white-space:pre-wrap;font-size:.85em}details{margin:.5em 0}summary{cursor:pointer;font-weight:bold}
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

void settings_section(Html& h, const ReportData& d, const std::vector<TraceView>& views) {
  const ReportSettings& s = d.settings;
  h.raw("<h2>Settings</h2>\n<table>\n");
  auto kv = [&](const std::string& k, const std::string& v) { h.row({k, v}, 2); };
  kv("experiment", s.name);
  if (!s.source.empty()) kv("experiment file", s.source);
  kv("keepwarm version", s.keepwarm_version + (s.sdk_abi.empty() ? "" : ", SDK ABI " + s.sdk_abi));
  kv("simulation mode (compat)", s.compat.empty() ? "none" : s.compat);
  kv("cold start overhead", format_number(s.overhead_ms) + " ms + " +
                                format_number(100 * s.overhead_pct) + "% of cold time");
  if (!s.memory_mb.empty()) {
    kv("memory sizes (MB)", join(s.memory_mb, ", "));
  } else {  // sizes relative to each trace's peak: each trace's own, from its cells
    std::string sizes;
    for (const TraceView& v : views)
      sizes += (sizes.empty() ? "" : "; ") + v.name + ": " + join(v.memory, ", ");
    kv("memory sizes (MB)", sizes);
  }
  kv("seeds (randomised policies)", join(s.seeds, ", "));
  {
    std::vector<std::string> names = s.policies;
    for (const ReportCell& c : d.cells)
      if (std::find(names.begin(), names.end(), c.policy) == names.end()) names.push_back(c.policy);
    kv("baseline (the \u201cvs\u201d columns)", resolve_baseline(s.baseline, names));
  }
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
                  " failed" +
                  (s.failed_cells ? " (listed below, and in failed_cells of results.json)" : ""));
  h.raw("</table>\n<table>\n");
  h.row({"trace", "path", "functions", "invocations"}, 2, true);
  for (const auto& t : s.traces)
    h.row({t.name, t.path, std::to_string(t.functions), std::to_string(t.invocations)}, 2);
  h.raw("</table>\n");
}

// The cells that failed, each with its error (for a worker process that died: the cause and its
// last output), so that a report never hides what is missing from it.
void failed_section(Html& h, const ReportSettings& s) {
  if (s.failed.empty()) return;
  h.tag("h2", "Failed cells");
  h.raw(
      "<p class=\"note\">These cells have no results: the figures and rankings below leave "
      "them out. Also in <code>failed_cells</code> of results.json.</p>\n<table>\n");
  h.raw(
      "<tr><th class=\"l\">trace</th><th class=\"l\">policy</th><th>memory (MB)</th>"
      "<th>seed</th><th class=\"l\">error</th></tr>\n");
  for (const ReportSettings::FailedCell& c : s.failed) {
    h.raw("<tr><td class=\"l\">" + plot::escape(c.trace) + "</td><td class=\"l\">" +
          plot::escape(c.policy) + "</td><td>" + std::to_string(c.memory_mb) + "</td><td>" +
          std::to_string(c.seed) + "</td><td class=\"l\"><pre class=\"error\">" +
          plot::escape(c.error) + "</pre></td></tr>\n");
  }
  h.raw("</table>\n");
}

void ranking_section(Html& h, const TraceView& v) {
  const Ranking ranking = rank_policies(v);
  const std::string& base = ranking.baseline;
  const std::string vs = "vs " + base;
  bool seeds = false;
  for (const auto& [p, n] : v.seeds) seeds = seeds || n > 1;
  double idle_max = 0;
  for (const auto& [key, m] : v.mean) idle_max = std::max(idle_max, m.idle_mb_s);
  const plot::Unit idle_unit = plot::memory_time_unit(idle_max);
  // The lower bound (bound.csv), a reference line: never ranked.
  const bool bound = !v.bound.empty();
  const bool all_bounds = bound && v.bound.size() == v.memory.size();
  double bound_sum = 0, base_sum = -1;
  for (const auto& [m, lb] : v.bound) bound_sum += static_cast<double>(lb);
  for (const OverallRanking& r : ranking.overall)
    if (r.policy == base) base_sum = r.misses;
  const bool overall_gap = all_bounds && base_sum >= 0;
  const auto base_mean = [&](uint64_t m) {
    const auto it = v.mean.find({base, m});
    return it == v.mean.end() ? -1.0 : it->second.misses();
  };

  // 1. The overall ranking.
  h.tag("h3", "Overall ranking over " + std::to_string(v.memory.size()) + " memory sizes");
  h.raw(
      "<p class=\"note\">Ranked by the <b>score</b>: the geometric mean, over the memory "
      "sizes, of (cold+dropped + 1) / (" +
      plot::escape(base) +
      "\u2019s cold+dropped + 1), so that every memory size counts the same whatever its "
      "number of misses (the +1 keeps sizes with no misses defined). A score of 0.80 is 20% "
      "fewer misses than " +
      plot::escape(base) + " at a typical size; \u201c" + plot::escape(vs) +
      "\u201d is score \u2212 1, so negative is better. Cold+dropped and evictions summed "
      "over the sizes and the mean of the per-size ranks are shown beside it; equal scores "
      "and sums share a rank.</p>\n");
  h.raw("<table class=\"rank\">\n");
  std::vector<std::string> overall_head{
      "rank", "policy", "score", vs, "cold+dropped (sum)", "evictions (sum)", "mean rank"};
  if (overall_gap) overall_head.push_back("gap closed");
  h.row(overall_head, 2, true);
  for (const OverallRanking& r : ranking.overall) {
    std::vector<std::string> cells{std::to_string(r.rank),
                                   series_name(v, r.policy),
                                   std::isnan(r.score) ? "-" : format_fixed(r.score, 3),
                                   r.vs_baseline,
                                   format_count(r.misses),
                                   format_count(r.evictions),
                                   format_fixed(r.mean_rank, 2)};
    if (overall_gap) cells.push_back(gap_closed(base_sum, r.misses, bound_sum));
    h.row(cells, 2, false, r.policy == base ? " class=\"base\"" : "");
  }
  if (all_bounds) {
    std::vector<std::string> cells{"", "lower bound", "", "", format_count(bound_sum), "", ""};
    if (overall_gap) cells.push_back("100%");
    h.row(cells, 2, false, " class=\"bound\"");
  }
  h.raw("</table>\n");

  // 2. Cold+dropped at each size, with the per-size rank: the table a paper would print.
  h.tag("h3", "Cold starts + dropped invocations per memory size");
  h.raw("<p class=\"note\">Mean over seeds" +
        std::string(seeds ? " \u00b1 the half-width of its 95% confidence interval (Student t)"
                          : "") +
        "; the rank at that size in brackets (policies with equal cold+dropped and evictions "
        "share a rank: 1, 2, 2, 4). Policies in the order of the overall ranking.</p>\n");
  h.raw("<table class=\"rank\">\n");
  std::vector<std::string> head{"policy"};
  for (uint64_t mem : v.memory) head.push_back(std::to_string(mem) + " MB");
  h.row(head, 1, true);
  for (const OverallRanking& r : ranking.overall) {
    std::vector<std::string> cells{series_name(v, r.policy)};
    for (const MemoryRanking& level : ranking.per_memory) {
      std::string cell = "-";
      for (const MemoryRanking::Row& row : level.rows) {
        if (row.policy != r.policy) continue;
        const PolicyMean& m = v.mean.at({row.policy, level.memory_mb});
        cell = format_count(m.misses());
        if (m.runs > 1) cell += " \u00b1 " + format_fixed(m.misses_stat.ci95, 1);
        cell += " (" + std::to_string(row.rank) + ")";
      }
      cells.push_back(cell);
    }
    h.row(cells, 1, false, r.policy == base ? " class=\"base\"" : "");
  }
  if (bound) {
    std::vector<std::string> cells{"lower bound"};
    for (uint64_t mem : v.memory) {
      const auto b = v.bound.find(mem);
      cells.push_back(b == v.bound.end() ? "-" : format_count(static_cast<double>(b->second)));
    }
    h.row(cells, 1, false, " class=\"bound\"");
  }
  if (!v.optimum.empty()) {
    std::vector<std::string> cells{"optimum (exact search)"};
    for (uint64_t mem : v.memory) {
      const auto o = v.optimum.find(mem);
      cells.push_back(o == v.optimum.end() ? "-" : format_count(static_cast<double>(o->second)));
    }
    h.row(cells, 1, false, " class=\"bound\"");
  }
  h.raw("</table>\n");
  if (!v.optimum.empty())
    h.raw(
        "<p class=\"note\">Optimum: the fewest misses of any schedule that removes idle "
        "containers only as victims, proven by keepwarm\u2019s exact search where it finished "
        "(docs/bounds.md); \u201c-\u201d where it did not.</p>\n");

  // 2b. How much of the gap between the baseline and the lower bound each policy closes.
  if (bound) {
    h.tag("h3", "Gap closed between " + base + " and the lower bound");
    h.raw(
        "<p class=\"note\">The lower bound is the number of misses no policy can beat "
        "(docs/bounds.md; a reference, not a policy). A policy that closes X% of the gap misses "
        "100 \u2212 X% of the distance from " +
        plot::escape(base) + " to the bound: 100 \u00d7 (" + plot::escape(base) +
        " \u2212 policy) / (" + plot::escape(base) + " \u2212 bound).</p>\n");
    h.raw("<table class=\"rank\">\n");
    h.row(head, 1, true);
    for (const OverallRanking& r : ranking.overall) {
      std::vector<std::string> cells{series_name(v, r.policy)};
      for (uint64_t mem : v.memory) {
        const auto b = v.bound.find(mem);
        const auto m = v.mean.find({r.policy, mem});
        cells.push_back(
            b == v.bound.end() || m == v.mean.end() || base_mean(mem) < 0
                ? "-"
                : gap_closed(base_mean(mem), m->second.misses(), static_cast<double>(b->second)));
      }
      h.row(cells, 1, false, r.policy == base ? " class=\"base\"" : "");
    }
    h.raw("</table>\n");
  }

  // 3. Every metric, per memory size, folded.
  h.tag("h3", "Ranking per memory size, every metric");
  h.raw("<p class=\"note\">Sorted by cold starts + dropped invocations, then evictions. " +
        plot::escape(sign_convention(base)) + ".");
  if (seeds)
    h.raw(
        " Randomised policies: means over their seeds, with the standard deviation (sd) and "
        "the 95% confidence interval of the mean (Student t) of cold+dropped.");
  h.raw("</p>\n");
  for (const MemoryRanking& level : ranking.per_memory) {
    h.raw("<details><summary>" + plot::escape(std::to_string(level.memory_mb) + " MB") +
          "</summary>\n<table class=\"rank\">\n");
    std::vector<std::string> cols{"rank", "policy", "cold+dropped"};
    if (seeds) cols.insert(cols.end(), {"sd", "95% CI"});
    cols.insert(cols.end(), {"cold", "dropped", "evictions", "cold %", "dropped %",
                             "idle " + idle_unit.name, "added latency ms/inv.", vs});
    if (seeds) cols.push_back(vs + " 95% CI");
    h.row(cols, 2, true);
    for (const MemoryRanking::Row& row : level.rows) {
      const std::string& p = row.policy;
      const PolicyMean& m = v.mean.at({p, level.memory_mb});
      std::vector<std::string> cells{std::to_string(row.rank), series_name(v, p),
                                     format_count(m.misses())};
      if (seeds) {
        if (m.runs > 1)
          cells.insert(cells.end(), {format_fixed(m.misses_stat.sd, 1),
                                     format_fixed(m.misses_stat.lo(), 1) + " \u2013 " +
                                         format_fixed(m.misses_stat.hi(), 1)});
        else
          cells.insert(cells.end(), {"", ""});
      }
      cells.insert(cells.end(),
                   {format_count(m.cold), format_count(m.dropped), format_count(m.evictions),
                    format_fixed(m.cold_pct, 2), format_fixed(m.dropped_pct, 2),
                    plot::format_in(m.idle_mb_s, idle_unit),
                    format_fixed(m.latency_per_inv_stat.mean, 1), row.vs_baseline});
      if (seeds) cells.push_back(format_change_ci(row.change_lo, row.change_hi));
      h.row(cells, 2, false, p == base ? " class=\"base\"" : "");
    }
    h.raw("</table>\n</details>\n");
  }
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

std::vector<RenderedFile> render_report(const ReportData& d, const ReportOptions& options) {
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
      "regenerate with <code>keepwarm report DIR</code>. Every figure is also in "
      "<code>plots/</code> as SVG");
  if (options.raster_written)
    h.raw(", PNG and PDF.</p>\n");
  else if (!options.raster_error.empty())
    h.raw(" only: the PNG and PDF copies failed (" + plot::escape(options.raster_error) +
          ").</p>\n");
  else if (options.raster)
    h.raw(
        " (PNG and PDF need rsvg-convert, Debian package librsvg2-bin, which was not "
        "found).</p>\n");
  else
    h.raw(".</p>\n");
  settings_section(h, d, views);
  failed_section(h, d.settings);
  size_t figure = 0;
  for (const TraceView& v : views) {
    h.tag("h2", "Trace " + v.name);
    const std::vector<Figure> plots = plots_for(v, options);
    h.raw("<div class=\"plots\">\n");
    for (const Figure& f : plots) {
      h.raw("<figure>\n" + f.svg + "<figcaption><b>Figure " + std::to_string(++figure) + ".</b> " +
            plot::escape(v.name) + ": " + plot::escape(f.caption) + " <span class=\"file\">" +
            plot::escape(f.path) + "</span></figcaption>\n</figure>\n");
      files.push_back({f.path, f.svg});
    }
    h.raw("</div>\n");
    ranking_section(h, v);
    worst_functions_section(h, d, v);
  }
  h.raw("</body>\n</html>\n");
  files.push_back({"report.html", h.str()});
  return files;
}

std::vector<std::string> write_report(const ReportData& data, const fs::path& dir,
                                      const ReportOptions& options,
                                      std::vector<std::string>* notes) {
  ReportOptions o = options;
  const fs::path tool = o.raster ? find_rsvg_convert() : fs::path();
  o.raster_written = !tool.empty();
  o.raster_error.clear();
  std::vector<RenderedFile> files = render_report(data, o);
  auto write = [&](const RenderedFile& f) {
    const fs::path file = dir / f.path;
    fs::create_directories(file.parent_path());
    write_file_atomic(file, f.content);
  };
  // The plots first, then their PNG/PDF copies, then report.html, which says whether those
  // were made (a failing converter costs the copies, not the run).
  // summary.csv: the statistics over seeds, from the same data as the plots, so that
  // `keepwarm report` regenerates it too.
  fs::create_directories(dir);
  write_file_atomic(dir / "summary.csv", summary_csv(data));
  std::vector<std::string> written;
  std::vector<Conversion> jobs;
  for (const RenderedFile& f : files) {
    if (f.path == "report.html") continue;
    write(f);
    written.push_back(f.path);
    const fs::path svg = dir / f.path;
    if (o.raster_written)
      for (const char* format : {"png", "pdf"})
        jobs.push_back({svg, fs::path(svg).replace_extension(format), format});
  }
  if (o.raster_written) {
    try {
      convert_svgs(tool, jobs);
      if (notes)
        notes->push_back("plots also as PNG and PDF (" + std::to_string(jobs.size() / 2) +
                         " each, by " + tool.string() + ")");
    } catch (const ReportError& e) {
      o.raster_written = false;
      o.raster_error = e.what();
      files = render_report(data, o);
      if (notes) notes->push_back("plots as SVG only: " + o.raster_error);
    }
  } else if (o.raster && notes) {
    notes->push_back(
        "plots as SVG only: PNG and PDF need rsvg-convert (Debian package librsvg2-bin), not "
        "found on PATH");
  }
  for (const RenderedFile& f : files)
    if (f.path == "report.html") {
      write(f);
      written.push_back(f.path);
    }
  return written;
}

}  // namespace keepwarm
