// keepwarm/report/report.hpp: what a run leaves beside results.csv/json for people to look at:
// functions.csv (per-function counts), SVG plots per trace and a self-contained report.html.
//
// Both `keepwarm run` and `keepwarm report` render from the same ReportData, read back from the
// files in the output directory, so the two produce byte-identical plots and reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "keepwarm/engine/engine.hpp"  // FunctionMetrics

namespace keepwarm {

// An output directory's files are missing or malformed; what() names the file and line.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One row of results.csv, with the numbers as the file has them.
struct ReportCell {
  std::string trace, policy;
  uint64_t memory_mb = 0, seed = 0;
  uint64_t invocations = 0, warm = 0, cold = 0, dropped = 0, evictions = 0, expirations = 0;
  uint64_t prewarms = 0, prewarm_hits = 0, peak_memory_mb = 0;
  double cold_pct = 0, dropped_pct = 0, added_latency_ms = 0, idle_mb_s = 0;
};

// One row of functions.csv.
struct ReportFunction {
  std::string trace, policy;
  uint64_t memory_mb = 0, seed = 0;
  std::string function;
  FunctionMetrics metrics;
};

// The settings of the experiment, from results.json.
struct ReportSettings {
  std::string keepwarm_version, sdk_abi, name, source, compat;
  struct TraceInfo {
    std::string name, path;
    uint64_t functions = 0, invocations = 0;
  };
  std::vector<TraceInfo> traces;
  std::vector<uint64_t> memory_mb;
  std::vector<std::string> policies;  // plugin names, experiment order
  std::vector<uint64_t> seeds;
  std::string baseline;  // results.json experiment.baseline ("" = the default, rand)
  double overhead_ms = 0, overhead_pct = 0;
  std::map<std::string, std::map<std::string, std::string>> params;
  std::map<std::string, std::string> plugin_versions;  // name -> version
  size_t failed_cells = 0;
  // results.json failed_cells: the cells that did not run to the end and why.
  struct FailedCell {
    std::string trace, policy;
    uint64_t memory_mb = 0, seed = 0;
    std::string error;
  };
  std::vector<FailedCell> failed;
};

// One row of bound.csv (written by `keepwarm run --bound`, docs/bounds.md): misses no policy can
// beat at a trace and memory size. A reference line in the ranking, never a policy.
struct ReportBound {
  std::string trace;
  uint64_t memory_mb = 0, lower_bound = 0, compulsory = 0;
  // The exact optimum over victim choices, where the search proved it (docs/bounds.md).
  bool has_optimum = false;
  uint64_t optimum = 0;
};

struct ReportData {
  ReportSettings settings;
  std::vector<ReportBound> bounds;  // bound.csv, empty without it
  std::vector<ReportCell> cells;    // results.csv order
  // functions.csv rows at each trace's smallest memory size (what the report shows), file
  // order; empty without functions.csv.
  std::vector<ReportFunction> functions;
};

// Reads results.json, results.csv and (if present) functions.csv from dir. Throws ReportError.
ReportData read_report_data(const std::filesystem::path& dir);

// ---- statistics over seeds ---------------------------------------------------------------

// The two-sided critical value of Student's t distribution with df degrees of freedom: the t
// with P(|T| <= t) = confidence (0 < confidence < 1, df >= 1). Exact to about 1e-12 (the CDF of
// t for integer df is a finite sum; the quantile is found by bisection).
double student_t_critical(double confidence, uint64_t df);

// A sample (one value per seed) summarised: mean, sample standard deviation (n - 1 in the
// denominator) and the half-width of the 95% confidence interval of the mean,
// t(0.95, n - 1) * sd / sqrt(n). sd and ci95 are 0 for fewer than two values.
struct Stat {
  size_t n = 0;
  double mean = 0, sd = 0, ci95 = 0;
  double lo() const { return mean - ci95; }
  double hi() const { return mean + ci95; }
};
Stat summarize(const std::vector<double>& values);

// ---- the ranking: one implementation for the terminal and report.html ------------------

// The default baseline the rankings compare with ("vs rand"), when the run has it.
inline constexpr const char* kBaselinePolicy = "rand";

// The baseline of a run: `wanted` (ReportSettings::baseline) when it is one of policies,
// otherwise rand when present, otherwise the first policy ("" when there are none).
std::string resolve_baseline(const std::string& wanted, const std::vector<std::string>& policies);

// One policy at one (trace, memory size): means over its seeds, and each metric's statistics.
struct PolicyMean {
  size_t runs = 0;
  double cold = 0, dropped = 0, evictions = 0, cold_pct = 0, dropped_pct = 0, idle_mb_s = 0;
  double added_latency_ms = 0, invocations = 0;
  double misses() const { return cold + dropped; }
  // Over the seeds: cold + dropped, cold %, dropped %, idle MB*s, added latency per invocation
  // (ms; added_latency_ms / invocations of each cell).
  Stat misses_stat, cold_pct_stat, dropped_pct_stat, idle_stat, latency_per_inv_stat;
};

// One trace's cells, grouped by policy and memory size.
struct TraceView {
  std::string name;
  std::vector<std::string> policies;  // those with results: settings order, then by name
  std::vector<uint64_t> memory;       // those with results, ascending
  std::map<std::pair<std::string, uint64_t>, PolicyMean> mean;  // (policy, memory)
  std::map<std::string, size_t> seeds;   // per policy: the most runs in one of its cells
  std::string baseline;                  // resolve_baseline(settings.baseline, policies)
  std::map<uint64_t, uint64_t> bound;    // memory -> lower bound on misses (bound.csv), if any
  std::map<uint64_t, uint64_t> optimum;  // memory -> proven optimum (bound.csv), where known
};

// "closes X% of the gap between rand and the bound": 100 x (baseline - misses) / (baseline -
// bound), as "62.5%", or "-" when the baseline is not above the bound.
std::string gap_closed(double baseline, double misses, double bound);

// One view per trace: the settings' traces in order, then any others the cells name.
std::vector<TraceView> build_views(const ReportData& data);

// A trace's ranking (docs/results.md#ranking).
//
// Per memory size: policies sorted by cold+dropped, then evictions (means over seeds); policies
// equal in both share a rank (competition ranking: 1, 2, 2, 4), listed in view.policies order.
// change is cold+dropped relative to the baseline's (-0.25 = 25% fewer; NaN when the baseline has
// no result there or has 0 while the policy has some); vs_baseline is it as text ("-25.0%", "=",
// "n/a", or "-").
//
// Overall: the score is the geometric mean, over the memory sizes where both the policy and
// the baseline have results, of (misses + 1) / (baseline misses + 1), misses = cold+dropped
// (the +1 keeps sizes where either has none defined; it is negligible for large counts). A
// score of 0.8 means 20% fewer misses than the baseline at a typical size, whatever the scale
// of each size's counts. Policies are sorted by score, then summed cold+dropped, then summed
// evictions; equal in all three share a rank. vs_baseline is score - 1 as a percentage.
struct MemoryRanking {
  uint64_t memory_mb = 0;
  struct Row {
    std::string policy, vs_baseline;
    size_t rank = 0;
    double change = 0;
    // The 95% CI of change when exactly one of the policy and the baseline is randomised
    // (several seeds): the other's value is fixed, so the interval of the randomised one's
    // mean maps onto the ratio (policy / [baseline lo, hi], or [policy lo, hi] / baseline).
    // NaN otherwise (both fixed: no spread; both randomised: not computed), and for the
    // baseline itself.
    double change_lo = 0, change_hi = 0;
  };
  std::vector<Row> rows;  // best first; the means are view.mean.at({policy, memory_mb})
};
struct OverallRanking {
  std::string policy, vs_baseline;
  size_t rank = 0;
  double score = 0;                  // NaN when no size has both the policy and the baseline
  size_t scored_sizes = 0;           // the memory sizes in the score
  double misses = 0, evictions = 0;  // summed over the memory sizes
  double mean_rank = 0;              // mean of its ranks at those sizes
};
struct Ranking {
  std::string baseline;                   // view.baseline
  std::vector<MemoryRanking> per_memory;  // view.memory order
  std::vector<OverallRanking> overall;    // best first
};
Ranking rank_policies(const TraceView& view);

// A change interval as text: "[-12.3%, +1.9%]", or "" when either end is NaN.
std::string format_change_ci(double lo, double hi);

// What "vs <baseline>" means, in one sentence, for the terminal and report.html.
std::string sign_convention(const std::string& baseline);

// summary.csv: one row per (trace, policy, memory size) with the mean, standard deviation and
// 95% confidence interval over seeds of cold+dropped and the other metrics, the rank and the
// change vs the baseline (columns in docs/results.md).
std::string summary_csv(const ReportData& data);
// The same rows as a JSON array (results.json's "summary"), indented by indent spaces.
std::string summary_json(const ReportData& data, int indent);
// The overall rankings of every trace as a JSON array (results.json's "ranking").
std::string overall_ranking_json(const ReportData& data, int indent);

// A rendered file: path relative to the output directory and its content.
struct RenderedFile {
  std::string path;
  std::string content;
};

// How the report is drawn.
struct ReportOptions {
  bool log_y = false;  // cold, dropped and latency plots on a log10 y axis
  bool raster = true;  // also write plots/*.png and *.pdf when rsvg-convert is found
  // (set by write_report) whether the PNG/PDF copies were written, or why they failed, for
  // the report's note
  bool raster_written = false;
  std::string raster_error;
};

// The plots (plots/<trace>-cold.svg, -dropped.svg, -latency.svg, -vs-baseline.svg,
// -tradeoff.svg) and report.html.
std::vector<RenderedFile> render_report(const ReportData& data, const ReportOptions& options = {});

// Renders and writes every file atomically into dir: summary.csv, the plots and report.html;
// returns the paths of the SVG plots and report.html (last), relative to dir. With options.raster
// and rsvg-convert on PATH, each plot is also converted to PNG (2x, 1440 px wide) and PDF beside it
// (not in the returned list); notes, when given, receives a line saying which were written or why
// not. A failing rsvg-convert costs the copies (the note and report.html say why), not the run.
std::vector<std::string> write_report(const ReportData& data, const std::filesystem::path& dir,
                                      const ReportOptions& options = {},
                                      std::vector<std::string>* notes = nullptr);

// rsvg-convert (Debian package librsvg2-bin) on PATH, or empty.
std::filesystem::path find_rsvg_convert();
// Converts SVG files to PNG (scale 2) or PDF (format "png" or "pdf") with rsvg-convert, a few
// processes at a time, each output written atomically (a temporary file renamed into place).
// PDFs are reproducible: SOURCE_DATE_EPOCH is set to 0 unless the environment has it. Throws
// ReportError naming the file on failure.
struct Conversion {
  std::filesystem::path svg, out;
  std::string format;
};
void convert_svgs(const std::filesystem::path& tool, const std::vector<Conversion>& conversions);

}  // namespace keepwarm
