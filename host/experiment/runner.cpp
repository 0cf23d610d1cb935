// runner.cpp: the experiment grid on a thread pool.
#include "keepwarm/experiment/runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <sched.h>
#include <unistd.h>

#include "keepwarm/util/io.hpp"

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

unsigned usable_cores() {
  // The CPUs this process may run on (taskset, cgroups, an MPI launcher's binding), which can
  // be fewer than the machine's.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

GridRunner::GridRunner(const Experiment& ex, std::vector<std::shared_ptr<const Trace>> traces,
                       std::vector<PluginPtr> plugins, EventObserver* observer)
    : observer_(observer), host_(host_name()) {
  results_.experiment = ex;
  results_.traces = std::move(traces);
  results_.plugins = std::move(plugins);
  if (ex.memory_mb.empty()) throw ConfigError("no memory sizes given");
  if (ex.seeds.empty()) throw ConfigError("no seeds given");

  // Resolved parameters per policy (validated once, before any cell runs).
  for (const PluginPtr& p : results_.plugins) {
    const auto it = ex.params.find(p->name());
    params_.push_back(p->resolve_params(it == ex.params.end() ? std::map<std::string, std::string>{}
                                                              : it->second));
  }
  // Lookahead data, built once per trace, only if a policy needs it.
  any_lookahead_ = std::any_of(results_.plugins.begin(), results_.plugins.end(),
                               [](const PluginPtr& p) { return p->needs_lookahead(); });
  lookahead_.resize(results_.traces.size());
  if (any_lookahead_)
    for (size_t t = 0; t < results_.traces.size(); ++t)
      lookahead_[t].arrivals = results_.traces[t]->arrivals_by_function();

  const std::vector<Cell> grid = make_grid(ex, results_.plugins, results_.traces.size());
  if (observer != nullptr && grid.size() != 1)
    throw ConfigError("an event log needs a grid of exactly one cell; this one has " +
                      std::to_string(grid.size()));
  results_.cells.resize(grid.size());
  for (size_t i = 0; i < grid.size(); ++i) results_.cells[i].cell = grid[i];
  results_.run.hosts = {host_};
}

unsigned GridRunner::jobs() const {
  const Experiment& ex = results_.experiment;
  const unsigned jobs = ex.jobs != 0 ? ex.jobs : usable_cores();
  return static_cast<unsigned>(std::min<size_t>(jobs, std::max<size_t>(size(), 1)));
}

CellOutcome GridRunner::run(size_t i, unsigned worker) {
  const Experiment& ex = results_.experiment;
  const Cell& cell = results_.cells[i].cell;
  crash_reporter_.running(worker, "policy " + results_.plugins[cell.policy]->label() +
                                      " on trace " + results_.traces[cell.trace]->name + " at " +
                                      std::to_string(cell.memory_mb) + " MB, seed " +
                                      std::to_string(cell.seed));
  CellOutcome out;
  out.cell = cell;
  out.host = host_;
  SimConfig config;
  config.memory_mb = cell.memory_mb;
  config.compat = ex.compat;
  config.overhead_ms = ex.overhead_ms;
  config.overhead_frac = ex.overhead_frac;
  config.seed = cell.seed;
  config.params = params_[cell.policy];
  try {
    out.result = simulate(*results_.traces[cell.trace], results_.plugins[cell.policy], config,
                          any_lookahead_ ? &lookahead_[cell.trace] : nullptr, observer_);
    out.ok = true;
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = e.what();
  }
  crash_reporter_.idle(worker);
  return out;
}

void run_cells(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress,
               const CellDoneFn& cell_done, size_t done_before) {
  RunResults& results = runner.results();
  const size_t total = results.cells.size();
  const unsigned jobs =
      static_cast<unsigned>(std::min<size_t>(runner.jobs(), std::max<size_t>(todo.size(), 1)));
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{done_before};
  std::mutex progress_mutex;
  auto worker = [&](unsigned worker_id) {
    for (;;) {
      const size_t k = next.fetch_add(1);
      if (k >= todo.size()) return;
      const size_t i = todo[k];
      CellOutcome out = runner.run(i, worker_id);
      results.cells[i] = std::move(out);
      const size_t d = done.fetch_add(1) + 1;
      if (progress || cell_done) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        if (cell_done) cell_done(results, i);
        if (progress) progress(d, total);
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
}

RunResults run_grid(const Experiment& ex, std::vector<std::shared_ptr<const Trace>> traces,
                    std::vector<PluginPtr> plugins, const ProgressFn& progress,
                    EventObserver* observer, const CellDoneFn& cell_done) {
  GridRunner runner(ex, std::move(traces), std::move(plugins), observer);
  std::vector<size_t> todo(runner.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  run_cells(runner, todo, progress, cell_done);
  return std::move(runner.results());
}

}  // namespace keepwarm
