// keepwarm/engine/engine.hpp: the simulation engine. simulate() replays one trace against one
// policy at one memory size and seed (a "cell") following the model in docs/model.md exactly.
#pragma once

#include <keepwarm/policy.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

enum class Compat { none, faascache, faascache_course };
const char* compat_name(Compat c) noexcept;

struct SimConfig {
  uint64_t memory_mb = 1000;
  Compat compat = Compat::none;
  double overhead_ms = 0;    // added to every cold start's execution time
  double overhead_frac = 0;  // cold time multiplier - 1 (0.2 = +20%)
  uint64_t seed = 1;
  std::map<std::string, std::string> params;  // resolved (Plugin::resolve_params)
};

struct CellMetrics {
  uint64_t invocations = 0;
  uint64_t warm = 0;
  uint64_t cold = 0;
  uint64_t dropped = 0;
  uint64_t evictions = 0;
  uint64_t expirations = 0;
  uint64_t prewarms = 0;        // containers created by prewarm requests
  uint64_t prewarm_hits = 0;    // warm starts served by a prewarmed container's first use
  double added_latency_ms = 0;  // sum over cold starts of (cold duration - warm_ms)
  double idle_mb_s = 0;         // memory held by idle containers x time, MB*s
  uint64_t peak_memory_mb = 0;
  double wall_s = 0;

  double cold_pct() const noexcept {
    return warm + cold == 0 ? 0.0 : 100.0 * static_cast<double>(cold) / (warm + cold);
  }
  double dropped_pct() const noexcept {
    return invocations == 0 ? 0.0 : 100.0 * static_cast<double>(dropped) / invocations;
  }
};

struct FunctionMetrics {
  uint64_t invocations = 0;
  uint64_t warm = 0;
  uint64_t cold = 0;
  uint64_t dropped = 0;
  uint64_t evictions = 0;
  uint64_t expirations = 0;
};

// What happened to one arrival.
enum class Outcome : uint8_t { warm, cold, dropped };

// Optional per-event observer (the event log). The engine calls it only when one is given.
class EventObserver {
 public:
  virtual ~EventObserver() = default;
  // An arrival and its outcome; c is the container that served it (KW_NO_CONTAINER if dropped).
  virtual void arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) = 0;
  // A container left memory (evicted or expired), freeing memory_mb.
  virtual void removal(double t, kw_container_id c, uint32_t fn, uint32_t memory_mb,
                       kw_removal_reason reason) = 0;
  // A prewarm request came due; created says whether memory allowed the container.
  virtual void prewarm(double t, kw_container_id c, uint32_t fn, bool created) = 0;
};

struct CellResult {
  CellMetrics metrics;
  std::vector<FunctionMetrics> per_function;  // indexed like trace.functions
};

// A policy broke the rules or reported an error; the cell's run stopped. The message names the
// plugin and the simulated time.
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Precomputed lookahead data for a trace (shared, read-only, across cells).
struct Lookahead {
  std::vector<std::vector<double>> arrivals;  // per function, sorted
};

// Runs one cell. lookahead may be null; if the plugin needs it, it is then built on the fly.
// Throws PolicyError.
CellResult simulate(const Trace& trace, const PluginPtr& plugin, const SimConfig& config,
                    const Lookahead* lookahead = nullptr, EventObserver* observer = nullptr);

}  // namespace keepwarm
