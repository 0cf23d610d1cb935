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

#include "keepwarm/experiment/checkpoint.hpp"
#include "keepwarm/traces/formats.hpp"
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

// "name (file)", or "variant (plugin name, file)" for a variant, for messages.
static std::string variant_label(const PolicyVariant& v) {
  return v.name == v.plugin->name() ? v.plugin->label() : v.name + " (" + v.plugin->label() + ")";
}

std::vector<PolicyVariant> resolve_policies(const Experiment& ex, PluginRegistry& registry) {
  if (ex.policies.empty())
    throw ConfigError("no policies given (use --policy NAME or policies = [...] in the file)");
  std::vector<PolicyVariant> out;
  std::map<std::string, std::string> seen;  // variant name -> the entry's origin key
  for (size_t e = 0; e < ex.policies.size(); ++e) {
    const PolicyEntry& entry = ex.policies[e];
    const std::string key = "policy:" + std::to_string(e);
    PluginPtr plugin;
    try {
      plugin = registry.find(entry.policy);
    } catch (const PluginError& err) {
      throw PluginError(with_origin(ex, key, err.what()));
    }
    // The entry's parameters over its plugin's table; each value checked where it was given.
    std::map<std::string, std::vector<std::string>> values;
    std::map<std::string, std::string> value_origin;
    if (const auto t = ex.params.find(plugin->name()); t != ex.params.end())
      for (const auto& [name, v] : t->second) {
        values[name] = v;
        value_origin[name] = "param:" + plugin->name() + "." + name;
      }
    for (const auto& [name, v] : entry.params) {
      values[name] = v;
      value_origin[name] = key + "." + name;
    }
    for (const auto& [name, vs] : values)
      for (const std::string& v : vs) {
        try {
          plugin->resolve_params({{name, v}});
        } catch (const PluginError& err) {
          throw PluginError(with_origin(ex, value_origin[name], err.what()));
        }
      }
    // The cartesian product, the first parameter varying slowest.
    std::vector<std::map<std::string, std::string>> combos{{}};
    for (const auto& [name, vs] : values) {
      std::vector<std::map<std::string, std::string>> next;
      for (const auto& c : combos)
        for (const std::string& v : vs) {
          auto with = c;
          with[name] = v;
          next.push_back(std::move(with));
        }
      combos = std::move(next);
    }
    const std::string label = entry.label.empty() ? plugin->name() : entry.label;
    for (const auto& combo : combos) {
      PolicyVariant v;
      v.plugin = plugin;
      v.params = combo;
      v.origin = key;
      v.name = label;
      std::string swept;
      for (const auto& [name, vs] : values)
        if (vs.size() > 1) swept += (swept.empty() ? "" : ",") + name + "=" + combo.at(name);
      if (!swept.empty()) v.name += "[" + swept + "]";
      if (const auto [it, fresh] = seen.emplace(v.name, key); !fresh)
        throw ConfigError(with_origin(
            ex, key,
            "policy '" + v.name + "' is listed twice" +
                (entry.label.empty()
                     ? " (give one a label: { policy = \"" + entry.policy + "\", label = \"...\" })"
                     : "")));
      out.push_back(std::move(v));
    }
  }
  // Every parameter table must name a known policy (one in the list, or any on the path).
  for (const auto& [policy, params] : ex.params) {
    const std::string& table = policy;  // (a structured binding is not captured before C++20)
    if (std::any_of(out.begin(), out.end(),
                    [&](const PolicyVariant& v) { return v.plugin->name() == table; }))
      continue;
    PluginPtr plugin;
    try {
      plugin = registry.find(policy);
    } catch (const PluginError& e) {
      throw PluginError(with_origin(ex, "params:" + policy, e.what()));
    }
    for (const auto& [name, vs] : params)
      for (const std::string& v : vs) {
        try {
          plugin->resolve_params({{name, v}});
        } catch (const PluginError& e) {
          throw PluginError(with_origin(ex, "param:" + policy + "." + name, e.what()));
        }
      }
  }
  return out;
}

std::vector<Cell> make_grid(const Experiment& ex, const std::vector<PolicyVariant>& variants,
                            size_t trace_count, const std::vector<uint64_t>& peak_mb) {
  std::vector<Cell> grid;
  for (size_t t = 0; t < trace_count; ++t) {
    std::vector<std::pair<uint64_t, double>> sizes;  // (MB, percent or 0)
    for (uint64_t mem : ex.memory_mb) sizes.emplace_back(mem, 0.0);
    for (double pct : ex.memory_pct) {
      const uint64_t mb = t < peak_mb.size() ? resolve_memory_pct(pct, peak_mb[t]) : 0;
      if (mb != 0 &&
          std::any_of(sizes.begin(), sizes.end(), [&](const auto& s) { return s.first == mb; }))
        continue;
      sizes.emplace_back(mb, pct);
    }
    for (size_t p = 0; p < variants.size(); ++p)
      for (const auto& [mem, pct] : sizes) {
        if (variants[p].plugin->randomised()) {
          for (uint64_t seed : ex.seeds) grid.push_back(Cell{t, p, mem, seed, pct});
        } else {
          grid.push_back(Cell{t, p, mem, ex.seeds.front(), pct});
        }
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
                       std::vector<PolicyVariant> variants, EventObserver* observer)
    : observer_(observer), host_(host_name()) {
  results_.experiment = ex;
  results_.traces = std::move(traces);
  results_.variants = std::move(variants);
  for (const PolicyVariant& v : results_.variants) results_.plugins.push_back(v.plugin);
  if (ex.memory_mb.empty() && ex.memory_pct.empty()) throw ConfigError("no memory sizes given");
  if (ex.seeds.empty()) throw ConfigError("no seeds given");

  // Resolved parameters per variant (validated once, before any cell runs).
  for (const PolicyVariant& v : results_.variants)
    params_.push_back(v.plugin->resolve_params(v.params));
  // Lookahead data, built once per trace, only if a policy needs it.
  any_lookahead_ = std::any_of(results_.plugins.begin(), results_.plugins.end(),
                               [](const PluginPtr& p) { return p->needs_lookahead(); });
  lookahead_.resize(results_.traces.size());
  if (any_lookahead_)
    for (size_t t = 0; t < results_.traces.size(); ++t)
      lookahead_[t].arrivals = results_.traces[t]->arrivals_by_function();

  // Relative memory sizes need each trace's unlimited-memory peak.
  results_.trace_peak_mb.assign(results_.traces.size(), 0);
  if (!ex.memory_pct.empty())
    for (size_t t = 0; t < results_.traces.size(); ++t)
      results_.trace_peak_mb[t] = summarize_trace(*results_.traces[t], 0).peak_container_memory_mb;
  const std::vector<Cell> grid =
      make_grid(ex, results_.variants, results_.traces.size(), results_.trace_peak_mb);
  if (observer != nullptr && grid.size() != 1)
    throw ConfigError("an event log needs a grid of exactly one cell; this one has " +
                      std::to_string(grid.size()));
  results_.cells.resize(grid.size());
  for (size_t i = 0; i < grid.size(); ++i) results_.cells[i].cell = grid[i];
  results_.run.hosts = {host_};

  if (ex.isolation == Isolation::process && observer == nullptr)
    pool_ = std::make_unique<WorkerPool>(
        jobs(),
        [this](uint64_t i, unsigned slot) {
          crash_reporter_.only(slot);  // the other threads' cells are not in this process
          set_crash_note("");          // a crash here loses no results: the supervisor goes on
          return encode_outcome(run_here(static_cast<size_t>(i), slot));
        },
        ex.cell_timeout_s);
}

std::string GridRunner::describe(const Cell& cell) const {
  return "policy " + variant_label(results_.variants[cell.policy]) + " on trace " +
         results_.traces[cell.trace]->name + " at " + std::to_string(cell.memory_mb) +
         " MB, seed " + std::to_string(cell.seed);
}

unsigned GridRunner::jobs() const {
  const Experiment& ex = results_.experiment;
  const unsigned jobs = ex.jobs != 0 ? ex.jobs : usable_cores();
  return static_cast<unsigned>(std::min<size_t>(jobs, std::max<size_t>(size(), 1)));
}

CellOutcome GridRunner::run(size_t i, unsigned worker) {
  if (!pool_) return run_here(i, worker);
  const Cell& cell = results_.cells[i].cell;
  const Plugin* plugin = results_.plugins[cell.policy].get();
  CellOutcome out;
  out.cell = cell;
  out.host = host_;
  {
    std::lock_guard<std::mutex> lock(failures_mutex_);
    const auto f = failures_.find(plugin);
    if (f != failures_.end() && f->second.first >= kStopAfterFailures) {
      out.error = describe(cell) + ": not run: plugin " + plugin->label() + " was stopped after " +
                  std::to_string(f->second.first) +
                  " of its cells failed in their worker process (last: " + f->second.second + ")";
      return out;
    }
  }
  WorkerPool::Reply reply;
  try {
    reply = pool_->run(i, worker);
  } catch (const std::exception& e) {  // no worker could be started (fork refused: a limit)
    out.error = describe(cell) + ": " + e.what();
    return out;
  }
  std::string cause;
  if (reply.ok) {
    try {
      out = decode_outcome(reply.answer, cell);
      out.host = host_;
      return out;
    } catch (const std::exception& e) {  // the policy wrote into the worker's socket?
      pool_->discard(worker);
      cause = std::string(
                  "its worker process answered with something that is not a cell's "
                  "outcome (") +
              e.what() + ")";
    }
  } else {
    cause = "its worker process " + reply.cause;
  }
  if (reply.cause.rfind("exited", 0) == 0)
    cause += " in the middle of the cell (a policy must not end the process)";
  out.error = describe(cell) + ": " + cause;
  if (!reply.last_lines.empty()) {
    out.error += "; its last output:";
    for (const std::string& line : reply.last_lines) out.error += "\n    " + line;
  }
  std::lock_guard<std::mutex> lock(failures_mutex_);
  auto& f = failures_[plugin];
  ++f.first;
  f.second = std::move(cause);
  return out;
}

CellOutcome GridRunner::run_here(size_t i, unsigned worker) {
  const Experiment& ex = results_.experiment;
  const Cell& cell = results_.cells[i].cell;
  crash_reporter_.running(worker, describe(cell));
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
                    std::vector<PolicyVariant> variants, const ProgressFn& progress,
                    EventObserver* observer, const CellDoneFn& cell_done) {
  GridRunner runner(ex, std::move(traces), std::move(variants), observer);
  std::vector<size_t> todo(runner.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  run_cells(runner, todo, progress, cell_done);
  return std::move(runner.results());
}

}  // namespace keepwarm
