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
  double overhead_ms = 0, overhead_pct = 0;
  std::map<std::string, std::map<std::string, std::string>> params;
  std::map<std::string, std::string> plugin_versions;  // name -> version
  size_t failed_cells = 0;
};

// One row of bound.csv (written by `keepwarm run --bound`, docs/bounds.md): misses no policy can
// beat at a trace and memory size. A reference line in the ranking, never a policy.
struct ReportBound {
  std::string trace;
  uint64_t memory_mb = 0, lower_bound = 0, compulsory = 0;
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

// ---- the ranking: one implementation for the terminal and report.html ------------------

// The policy the rankings compare with ("vs rand").
inline constexpr const char* kBaselinePolicy = "rand";

// One policy at one (trace, memory size): means over its seeds.
struct PolicyMean {
  size_t runs = 0;
  double cold = 0, dropped = 0, evictions = 0, cold_pct = 0, dropped_pct = 0, idle_mb_s = 0;
  double misses() const { return cold + dropped; }
};

// One trace's cells, grouped by policy and memory size.
struct TraceView {
  std::string name;
  std::vector<std::string> policies;  // those with results: settings order, then by name
  std::vector<uint64_t> memory;       // those with results, ascending
  std::map<std::pair<std::string, uint64_t>, PolicyMean> mean;  // (policy, memory)
  std::map<std::string, size_t> seeds;  // per policy: the most runs in one of its cells
  std::map<uint64_t, uint64_t> bound;   // memory -> lower bound on misses (bound.csv), if any
};

// "closes X% of the gap between rand and the bound": 100 x (baseline - misses) / (baseline -
// bound), as "62.5%", or "-" when the baseline is not above the bound.
std::string gap_closed(double baseline, double misses, double bound);

// One view per trace: the settings' traces in order, then any others the cells name.
std::vector<TraceView> build_views(const ReportData& data);

// A trace's ranking. At each memory size with results, policies are sorted by cold+dropped,
// then evictions, then name; overall, by those summed over the memory sizes with results (the
// same way). vs_baseline is the change of cold+dropped relative to kBaselinePolicy
// (format_relative), or "-" when the baseline has no result there.
struct MemoryRanking {
  uint64_t memory_mb = 0;
  struct Row {
    std::string policy, vs_baseline;
  };
  std::vector<Row> rows;  // best first; the means are view.mean.at({policy, memory_mb})
};
struct OverallRanking {
  std::string policy, vs_baseline;
  double misses = 0, evictions = 0;  // summed over the memory sizes
  double mean_rank = 0;              // mean of its ranks at those sizes
};
struct Ranking {
  std::vector<MemoryRanking> per_memory;  // view.memory order
  std::vector<OverallRanking> overall;    // best first
};
Ranking rank_policies(const TraceView& view);

// A rendered file: path relative to the output directory and its content.
struct RenderedFile {
  std::string path;
  std::string content;
};

// The plots (plots/<trace>-cold.svg, -dropped.svg, -tradeoff.svg) and report.html.
std::vector<RenderedFile> render_report(const ReportData& data);

// Renders and writes every file atomically into dir; returns the paths written (relative).
std::vector<std::string> write_report(const ReportData& data, const std::filesystem::path& dir);

}  // namespace keepwarm
