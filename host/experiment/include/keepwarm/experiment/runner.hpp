// keepwarm/experiment/runner.hpp: running an experiment's grid of cells on a thread pool
// (results.hpp writes what came out).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/experiment/worker_pool.hpp"
#include "keepwarm/loader/crash_report.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

// One policy of the grid: a plugin under one setting of its parameters. An experiment entry
// with swept parameters gives several (PolicyEntry in experiment.hpp).
struct PolicyVariant {
  PolicyVariant() = default;
  // A plugin under its default parameters.
  PolicyVariant(PluginPtr p) : plugin(std::move(p)), name(plugin->name()) {}  // NOLINT: implicit
  PluginPtr plugin;
  std::string name;  // unique in the run: "ttl", "ttl[keepalive_min=5]", a label
  std::map<std::string, std::string> params;  // the values given (not the defaults)
  std::string origin;                         // origin key of its entry (experiment.hpp), or ""
};

struct Cell {
  size_t trace = 0;   // index into RunResults::traces
  size_t policy = 0;  // index into RunResults::variants (and ::plugins)
  uint64_t memory_mb = 0;
  uint64_t seed = 0;
  double memory_pct = 0;  // > 0: memory_mb is this percentage of the trace's peak (memory_pct)
};

struct CellOutcome {
  Cell cell;
  bool ok = false;
  // When !ok: why the cell failed, naming the policy (its plugin file) and the cell; for a worker
  // process that died, how (signal, exit status, timeout) and its last lines of output.
  std::string error;
  CellResult result;
  std::string host;      // the host name of the process that ran it
  int rank = 0;          // its MPI rank (0 in a single-process run)
  bool resumed = false;  // taken from a checkpoint rather than computed by this run
};

// How the run was carried out (results.json "run"; left out of --reproducible files but for
// resumed_cells).
struct RunInfo {
  int ranks = 1;                   // processes that took part (MPI ranks; 1 without MPI)
  std::vector<std::string> hosts;  // their distinct host names, in rank order
  size_t resumed_cells = 0;        // cells taken from a checkpoint (--resume)
  // Where this process ran its cells ("process": worker processes, "none": in itself) and how
  // many worker processes it started (more than --jobs when workers failed).
  std::string isolation = "none";
  size_t worker_processes = 0;
};

struct RunResults {
  Experiment experiment;
  std::vector<std::shared_ptr<const Trace>> traces;
  std::vector<PolicyVariant> variants;  // the grid's policies, in experiment order
  std::vector<PluginPtr> plugins;       // variants[i].plugin, for convenience
  const std::string& policy_name(size_t i) const { return variants[i].name; }
  std::vector<CellOutcome> cells;  // grid order: trace, policy, memory, seed
  // Per trace, its unlimited-memory peak (MB) when the experiment has relative sizes, else 0.
  std::vector<uint64_t> trace_peak_mb;
  RunInfo run;
  size_t failed() const;
};

// Resolves the experiment's policies against the registry and expands parameter sweeps into
// variants: an entry whose parameters (its own, or its plugin's [policy.<name>] table) have
// several values gives one variant per combination, named "<label>[name=value,...]" after the
// swept parameters, in parameter-name order. Every value is checked against the plugin's
// declared parameters. Throws PluginError / ConfigError pointing at the experiment file's line
// where it can; two variants with one name are an error ("give one a label").
std::vector<PolicyVariant> resolve_policies(const Experiment& ex, PluginRegistry& registry);

// The grid in canonical order. Deterministic policies run once, with the first seed. Memory
// sizes per trace: the absolute ones, then the relative ones resolved against peak_mb[trace]
// (a size already in the list is not repeated); without peak_mb, relative sizes resolve to 0
// (enough to count cells).
std::vector<Cell> make_grid(const Experiment& ex, const std::vector<PolicyVariant>& variants,
                            size_t trace_count, const std::vector<uint64_t>& peak_mb = {});

// Called after each finished cell with (done, total); from worker threads, serialised.
using ProgressFn = std::function<void(size_t done, size_t total)>;
// Called after each finished cell with the results so far and the cell's index in
// results.cells (whose entry is complete); from worker threads, serialised with ProgressFn.
using CellDoneFn = std::function<void(const RunResults& results, size_t index)>;

// The cores this process may use: its CPU affinity (taskset, cgroups, an MPI launcher's
// binding), else every core of the machine. What --jobs 0 means.
unsigned usable_cores();

// The host name of this machine ("" if unknown).
std::string host_name();

// The cells of one experiment, run one at a time from any number of threads: the resolved
// parameters and lookahead data are prepared once. results() holds the grid (cells sized to
// it, each entry's cell filled in); run() computes one entry into a CellOutcome without touching
// results().cells, so that a caller decides where outcomes go (the local thread pool, or rank 0
// of an MPI run). While a GridRunner lives, a crash in a policy is reported naming the cells that
// were running (keepwarm/loader/crash_report.hpp).
// With process isolation (the default; Experiment::isolation) each worker slot runs its cells in
// a worker process (worker_pool.hpp): a policy that crashes, aborts, exits or runs past the cell
// timeout fails only its cell, and a plugin whose cells failed that way kStopAfterFailures times
// has its remaining cells marked failed without running them. A run with an event observer runs
// its single cell in this process.
class GridRunner {
 public:
  GridRunner(const Experiment& ex, std::vector<std::shared_ptr<const Trace>> traces,
             std::vector<PolicyVariant> variants, EventObserver* observer = nullptr);
  GridRunner(const GridRunner&) = delete;
  GridRunner& operator=(const GridRunner&) = delete;

  const RunResults& results() const { return results_; }
  RunResults& results() { return results_; }
  size_t size() const { return results_.cells.size(); }
  // Threads to use for the cells: --jobs, or usable_cores(), at most the number of cells.
  unsigned jobs() const;
  // The resolved parameters of variant p (what its cells ran with, defaults included).
  const std::map<std::string, std::string>& params(size_t policy) const { return params_[policy]; }
  // Computes grid entry i on worker slot `worker` (< jobs(); one thread per slot at a time).
  CellOutcome run(size_t i, unsigned worker);
  // Whether cells run in worker processes.
  bool isolated() const { return pool_ != nullptr; }
  // Worker processes started so far (0 without isolation).
  size_t workers_started() const { return pool_ ? pool_->started() : 0; }

  static constexpr int kStopAfterFailures = 3;

 private:
  CellOutcome run_here(size_t i, unsigned worker);
  std::string describe(const Cell& cell) const;
  RunResults results_;
  std::vector<std::map<std::string, std::string>> params_;
  bool any_lookahead_ = false;
  std::vector<Lookahead> lookahead_;
  EventObserver* observer_ = nullptr;
  std::string host_;
  CrashReporter crash_reporter_;
  std::unique_ptr<WorkerPool> pool_;
  std::mutex failures_mutex_;
  // Per plugin (results_.plugins' objects): cells whose worker died, and the last cause.
  std::map<const Plugin*, std::pair<int, std::string>> failures_;
};

// Runs the entries `todo` of runner's grid (in that order) on runner.jobs() threads, storing
// each outcome in runner.results().cells. progress counts from `done_before` to
// done_before + todo.size() over `total` cells.
void run_cells(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress = {},
               const CellDoneFn& cell_done = {}, size_t done_before = 0);

// Runs every cell; a failing cell (policy error) is recorded and the others go on. Results are
// identical for any number of jobs. An observer (the event log) is only accepted for a grid of
// exactly one cell (ConfigError otherwise).
// While it runs, a fatal signal in a policy (a crash) is reported on stderr with the cells that
// were running, naming their plugins, before the process dies (see
// keepwarm/loader/crash_report.hpp).
RunResults run_grid(const Experiment& ex, std::vector<std::shared_ptr<const Trace>> traces,
                    std::vector<PolicyVariant> variants, const ProgressFn& progress = {},
                    EventObserver* observer = nullptr, const CellDoneFn& cell_done = {});

}  // namespace keepwarm
