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

#include "keepwarm/loader/crash_report.hpp"
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

}  // namespace keepwarm
