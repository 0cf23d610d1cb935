// keepwarm/bound/bound.hpp: a certified lower bound on the misses (cold starts + dropped
// invocations) of every policy in the default model (docs/bounds.md has the proof sketch).
//
// The relaxation: a warm start of arrival k of function f needs a container of f that served
// an earlier arrival j (a_j + d_f <= a_k, d_f = f's shortest run) and stayed alive until k ran;
// such a container is alive throughout K_k = [a_p(k) + d_f, a_k + d_f), p(k) the latest possible
// predecessor of k, and the K intervals of the warm starts one container serves are disjoint.
// So every schedule's warm starts give intervals whose memory, summed at any instant, fits in
// the server, and whose predecessors can be matched one to one. The bound is
//   invocations - M * sum(lambda) - max over matchable sets X of sum_{k in X} (1 - m_k Lambda_k)
// for any prices lambda >= 0 per time segment (Lagrangian duality); lambda comes from the
// interval LP solved as a min-cost flow (FOO, Berger et al. 2018) and is then improved by
// subgradient steps. The value is computed from lambda alone, so it is valid whatever the
// solver did.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepwarm/traces/trace.hpp"

namespace keepwarm::bound {

// One arrival that could be a warm start: it has a possible predecessor.
struct Candidate {
  double start = 0;        // a_p(k) + d_f
  double end = 0;          // a_k + d_f
  uint64_t arrival = 0;    // index of the arrival in the trace
  uint32_t fn = 0;         // function index
  uint32_t rank = 0;       // k's position among f's arrivals
  uint32_t pred_rank = 0;  // p(k): the latest of f's arrivals that can have finished by a_k
  uint32_t memory_mb = 0;  // m_f
};

struct Relaxation {
  uint64_t invocations = 0;
  // Arrivals with no possible predecessor: each function's first arrival and those at which
  // every earlier invocation of the function is still running (even if all ran warm).
  uint64_t compulsory = 0;
  std::vector<Candidate> candidates;  // in trace order
  std::vector<uint32_t> arrivals_of;  // per function: its number of arrivals
};

// Builds the relaxation. Cold starts run cold_ms * (1 + overhead_frac) + overhead_ms (as in
// SimConfig); the bound is valid for any such overhead >= 0.
Relaxation build_relaxation(const Trace& trace, double overhead_ms = 0, double overhead_frac = 0);

struct Options {
  int max_iterations = 60;    // subgradient steps after the flow solution (0: none)
  double time_limit_s = 5.0;  // per memory size, for the subgradient steps
  bool want_keep = false;     // fill BoundResult::keep
  // The flow is solved in windows of `window` segments with `overlap` segments of context on
  // each side (one window when the whole fits in window + 2 x overlap).
  uint32_t window = 4000;
  uint32_t overlap = 2000;
};

// ---- The exact search (search.cpp) --------------------------------------------------------
// The fewest misses over every sequence of victim choices the engine allows, for policies that
// remove idle containers only when asked for victims (no keep-alive expiry, no prewarm: lru,
// gd, freq, size, landlord, rand, oracle): iterative deepening over the eviction decisions,
// pruned by each function's unlimited-memory replay. Feasible on small traces and where
// memory binds rarely; elsewhere it stops at its budget with what it proved.
struct SearchOptions {
  uint64_t max_nodes = 2000000;  // eviction decisions the levels explore at most (0: no search)
  double time_limit_s = 2;       // seconds at most
  // Arrivals replayed at most (by the search and by its bound): a budget that, unlike the time
  // limit, gives the same answer on every machine.
  uint64_t max_work = UINT64_MAX;
  double overhead_ms = 0;  // cold-start overheads, as in SimConfig
  double overhead_frac = 0;
  uint64_t known_floor = 0;  // a proven floor to start the levels from (e.g. lower_bound)
};

struct SearchResult {
  bool ran = false;  // false: no search (max_nodes 0) or it could not finish a first schedule
  // The fewest misses of a schedule the search replayed (one the engine can run).
  uint64_t best = UINT64_MAX;
  // No victim-choice schedule has fewer misses (proven by the levels that ended empty).
  uint64_t floor = 0;
  uint64_t nodes = 0;  // decisions explored by the levels (the first dive not counted)
  uint64_t work = 0;   // arrivals replayed
  double wall_s = 0;
  std::string note;  // why the search stopped early, if it did for a reason other than budget
  bool optimal() const noexcept { return ran && floor == best; }
};

struct BoundResult {
  uint64_t memory_mb = 0;
  uint64_t invocations = 0;
  uint64_t compulsory = 0;
  uint64_t oversized = 0;    // arrivals of functions larger than the memory (never warm)
  uint64_t lower_bound = 0;  // ceil(bound): misses no policy can beat
  double bound = 0;          // the certified value (before rounding up)
  double flow_value = 0;     // the interval LP's optimum (misses), without the matching
  double flow_bound = 0;     // the flow's prices evaluated with the matching (<= bound)
  int iterations = 0;        // subgradient steps taken
  std::string method;        // "flow+lagrange"
  double wall_s = 0;
  // The exact search's outcome (search_optimum; not run by solve(): the command adds it).
  SearchResult search;
  // Per candidate (when Options::want_keep): the fraction of the interval the LP keeps.
  std::vector<float> keep;
};

// Whether this build has the min-cost flow solver (LEMON).
bool solver_available() noexcept;

// The bound at one memory size. Throws std::runtime_error when built without the solver.
BoundResult solve(const Relaxation& relaxation, uint64_t memory_mb, const Options& options = {});

// The Lagrangian bound for given prices: lambda[i] >= 0 is the price of one MB over the
// segment between the i-th and (i+1)-th of the sorted distinct times `points` (candidates'
// ends). Used by solve() and by tests; `chosen` (if not null) gets the maximising set.
double lagrangian_bound(const Relaxation& relaxation, uint64_t memory_mb,
                        const std::vector<double>& points, const std::vector<double>& lambda,
                        std::vector<uint8_t>* chosen = nullptr);

SearchResult search_optimum(const Trace& trace, uint64_t memory_mb,
                            const SearchOptions& options = {});

// The search at b's memory size, its levels starting from b's lower bound: into b.search, its
// time added to b.wall_s.
void add_search(BoundResult& b, const Trace& trace, SearchOptions options);

// bound.csv (docs/bounds.md): the header and one row (each with its newline). wall_s is written
// as 0 when reproducible.
std::string csv_header();
std::string csv_row(const std::string& trace, const BoundResult& b, bool reproducible = false);

}  // namespace keepwarm::bound
