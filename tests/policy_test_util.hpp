// policy_test_util.hpp: small helpers shared by the tests/test_policy_*.cpp programs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace keepwarm::test {

// Index of a function in a trace by name.
inline uint32_t fn_index(const Trace& t, const std::string& name) {
  for (uint32_t i = 0; i < t.functions.size(); ++i)
    if (t.functions[i].id == name) return i;
  throw std::out_of_range("no function " + name);
}

// Runs one cell with user parameters, an optional observer and a seed.
inline CellResult run_with(const Trace& trace, const std::string& policy, uint64_t memory_mb,
                           const std::map<std::string, std::string>& params = {},
                           Compat compat = Compat::none, EventObserver* observer = nullptr,
                           uint64_t seed = 1) {
  const PluginPtr plugin = builtin(policy);
  SimConfig config;
  config.memory_mb = memory_mb;
  config.compat = compat;
  config.seed = seed;
  config.params = plugin->resolve_params(params);
  return simulate(trace, plugin, config, nullptr, observer);
}

// Records removals and prewarms.
struct Recorder : EventObserver {
  struct Removal {
    double t;
    uint32_t fn;
    kw_removal_reason reason;
  };
  std::vector<Removal> removals;
  std::vector<std::pair<double, uint32_t>> prewarms;  // (time, fn), created ones only
  std::vector<Outcome> outcomes;                      // per arrival
  void arrival(double, uint32_t, Outcome o, kw_container_id) override { outcomes.push_back(o); }
  void removal(double t, kw_container_id, uint32_t fn, uint32_t, kw_removal_reason r) override {
    removals.push_back({t, fn, r});
  }
  void prewarm(double t, kw_container_id, uint32_t fn, bool created) override {
    if (created) prewarms.emplace_back(t, fn);
  }
  // Functions evicted, in order.
  std::vector<uint32_t> evicted() const {
    std::vector<uint32_t> v;
    for (const Removal& r : removals)
      if (r.reason == KW_REMOVED_EVICTED) v.push_back(r.fn);
    return v;
  }
};

}  // namespace keepwarm::test
