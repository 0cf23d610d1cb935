// keepwarm/experiment/results.hpp: what a run writes about its cells: results.csv and
// results.json (docs/results.md), functions.csv, the run as ReportData for the report, and the
// ranking shown on the terminal.
#pragma once

#include <filesystem>
#include <string>

#include "keepwarm/experiment/runner.hpp"
#include "keepwarm/report/report.hpp"

namespace keepwarm {

struct WriteOptions {
  // Write wall_s as 0 and leave out the host and rank of each cell and the ranks and hosts of
  // the run, so that files compare byte for byte whatever ran them.
  bool reproducible = false;
};

// results.csv: one row per successful cell (columns in docs/results.md).
std::string results_csv(const RunResults& results, const WriteOptions& options = {});
// The header line and one cell's row of results.csv (each with its newline).
std::string results_csv_header();
std::string results_csv_row(const RunResults& results, const CellOutcome& cell,
                            const WriteOptions& options = {});
// results.json: settings, keepwarm version, plugins, cells and failed cells.
std::string results_json(const RunResults& results, const WriteOptions& options = {});
// Writes both files atomically into dir (created if missing).
void write_results(const RunResults& results, const std::filesystem::path& dir,
                   const WriteOptions& options = {});

// The terminal ranking: per trace and memory size, then overall; with bounds (bound.csv rows),
// each policy's share of the gap between rand and the bound, and the bound as a reference line.
std::string format_ranking(const RunResults& results, const std::vector<ReportBound>& bounds = {});

// Writes functions.csv atomically into dir (created if missing): one row per successful cell
// and function, in grid order then trace order:
// trace,policy,memory_mb,seed,function,invocations,warm,cold,dropped,evictions,expirations
void write_functions_csv(const RunResults& results, const std::filesystem::path& dir);

// An in-memory run as ReportData, with the exact numbers rather than the files' rounded ones
// (the terminal ranking uses it; report.html is always rendered from the files). functions
// is left empty.
ReportData to_report_data(const RunResults& results);

}  // namespace keepwarm
