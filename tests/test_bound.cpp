// test_bound.cpp: the lower bound on misses (docs/bounds.md) is never beaten: not by the true
// optimum, found by exhaustive search over every victim choice the engine allows on many tiny
// traces, and not by any built-in policy on the shipped traces and 20-c.
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "keepwarm/bound/bound.hpp"
#include "keepwarm/report/report.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

// ---- a policy driven by a choice sequence --------------------------------------------------
// At its d-th victim choice it lists the functions that have idle containers (by index) and
// evicts an idle container of option choices[d] (0 beyond the sequence), recording how many
// options there were. Idle containers of one function are interchangeable (same memory, same
// function, no per-container state), so choosing among functions covers every distinct schedule.
struct Choices {
  std::vector<uint32_t> prefix;
  std::vector<uint32_t> taken;    // choice made at each decision
  std::vector<uint32_t> options;  // number of options at each decision
};
Choices g_choices;

class ChoiceDriven final : public Policy {
 public:
  static constexpr const char* kName = "choice-driven";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "test policy: victims from a choice sequence";
  using Policy::Policy;

  void on_container_started(kw_container_id c, kw_function_id, kw_start_kind) override {
    std::erase(idle_, c);
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    idle_.push_back(c);
    fn_of_.resize(std::max<size_t>(fn_of_.size(), KW_CONTAINER_SLOT(c) + 1));
    fn_of_[KW_CONTAINER_SLOT(c)] = fn;
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    std::erase(idle_, c);
  }
  kw_container_id choose_victim(kw_function_id) override {
    std::vector<uint32_t> fns;
    for (const kw_container_id c : idle_) fns.push_back(fn_of_[KW_CONTAINER_SLOT(c)]);
    std::sort(fns.begin(), fns.end());
    fns.erase(std::unique(fns.begin(), fns.end()), fns.end());
    const size_t d = g_choices.taken.size();
    const uint32_t pick = d < g_choices.prefix.size() ? g_choices.prefix[d] : 0;
    g_choices.taken.push_back(pick);
    g_choices.options.push_back(static_cast<uint32_t>(fns.size()));
    const uint32_t fn = fns.at(pick);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it)
      if (fn_of_[KW_CONTAINER_SLOT(*it)] == fn) return *it;
    return KW_NO_CONTAINER;
  }

 private:
  std::vector<kw_container_id> idle_;
  std::vector<uint32_t> fn_of_;
};

PluginPtr choice_driven() {
  static PluginPtr p = Plugin::from_descriptor(descriptor_for<ChoiceDriven>(), "test");
  return p;
}

uint64_t misses(const CellMetrics& m) { return m.cold + m.dropped; }

// The fewest misses over every sequence of victim choices (depth-first, replaying the trace
// for each leaf). Returns UINT64_MAX if there are more than max_leaves schedules.
uint64_t exhaustive_optimum(const Trace& t, uint64_t memory, uint64_t max_leaves,
                            uint64_t* leaves_out, double overhead_ms = 0,
                            double overhead_frac = 0) {
  SimConfig config;
  config.memory_mb = memory;
  config.overhead_ms = overhead_ms;
  config.overhead_frac = overhead_frac;
  uint64_t best = UINT64_MAX, leaves = 0;
  g_choices = Choices{};
  for (;;) {
    g_choices.taken.clear();
    g_choices.options.clear();
    const CellResult r = simulate(t, choice_driven(), config);
    best = std::min(best, misses(r.metrics));
    if (++leaves > max_leaves) return UINT64_MAX;
    // Next sequence: increment the last decision that has an untried option.
    std::vector<uint32_t> next = g_choices.taken;
    size_t d = next.size();
    while (d > 0 && next[d - 1] + 1 >= g_choices.options[d - 1]) --d;
    if (d == 0) break;
    next.resize(d);
    ++next[d - 1];
    g_choices.prefix = next;
  }
  *leaves_out = leaves;
  return best;
}

// A random trace with 3-5 functions and 12-16 invocations (by default) at integer times (ties
// happen).
Trace tiny_trace(std::mt19937_64& rng, int min_functions = 3, int max_functions = 5,
                 int min_invocations = 12, int max_invocations = 16) {
  std::uniform_int_distribution<int> nf(min_functions, max_functions),
      ni(min_invocations, max_invocations), mem(1, 4), dur(1, 12), gap(0, 15);
  const int f = nf(rng);
  std::vector<Function> fns;
  for (int i = 0; i < f; ++i) {
    const double warm = dur(rng);
    const double cold = warm + dur(rng) * (rng() % 2);
    fns.push_back({"f" + std::to_string(i), static_cast<uint32_t>(10 * mem(rng)), cold, warm});
  }
  std::vector<std::pair<double, std::string>> inv;
  double t = 0;
  const int n = ni(rng);
  for (int i = 0; i < n; ++i) {
    t += gap(rng);
    inv.emplace_back(t, "f" + std::to_string(rng() % static_cast<uint64_t>(f)));
  }
  return test::make_trace(fns, inv);
}

TEST(Bound, NeverAboveTheExhaustiveOptimumAndOracleNeverBelowIt) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  std::mt19937_64 rng(20240611);
  const PluginPtr oracle = test::builtin("oracle");
  int cells = 0, bound_tight = 0, oracle_tight = 0, heuristic_tight = 0, skipped = 0;
  uint64_t sum_heuristic = 0;
  uint64_t sum_bound = 0, sum_opt = 0, sum_oracle = 0, sum_compulsory = 0, total_leaves = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const Trace t = tiny_trace(rng);
    const bound::Relaxation relax = bound::build_relaxation(t);
    for (const uint64_t memory : {30u, 40u, 60u}) {
      uint64_t leaves = 0;
      const uint64_t opt = exhaustive_optimum(t, memory, 20000, &leaves);
      if (opt == UINT64_MAX) {
        ++skipped;
        continue;
      }
      const bound::BoundResult b = bound::solve(relax, memory);
      const uint64_t orc = misses(test::run(t, oracle, memory).metrics);
      SimConfig plain;
      plain.memory_mb = memory;
      plain.params = oracle->resolve_params({{"rollout_candidates", "0"}});
      const uint64_t heur = misses(simulate(t, oracle, plain).metrics);
      ASSERT_LE(opt, heur);
      heuristic_tight += heur == opt;
      sum_heuristic += heur;
      ASSERT_LE(b.lower_bound, opt) << "trial " << trial << " memory " << memory;
      ASSERT_LE(opt, orc) << "trial " << trial << " memory " << memory;
      ASSERT_LE(b.compulsory, b.lower_bound);
      ++cells;
      total_leaves += leaves;
      bound_tight += b.lower_bound == opt;
      oracle_tight += orc == opt;
      sum_bound += b.lower_bound;
      sum_opt += opt;
      sum_oracle += orc;
      sum_compulsory += b.compulsory;
    }
  }
  std::printf(
      "exhaustive: %d cells, %llu schedules replayed (%d cells skipped: too many); bound = optimum "
      "in %d (%.1f%%), "
      "oracle = optimum in %d (%.1f%%); sums: compulsory %llu, bound %llu, optimum %llu, "
      "oracle %llu; the oracle without rollouts = optimum in %d (%.1f%%), sum %llu\n",
      cells, static_cast<unsigned long long>(total_leaves), skipped, bound_tight,
      100.0 * bound_tight / cells, oracle_tight, 100.0 * oracle_tight / cells,
      static_cast<unsigned long long>(sum_compulsory), static_cast<unsigned long long>(sum_bound),
      static_cast<unsigned long long>(sum_opt), static_cast<unsigned long long>(sum_oracle),
      heuristic_tight, 100.0 * heuristic_tight / cells,
      static_cast<unsigned long long>(sum_heuristic));
  EXPECT_GE(cells, 1000);
  EXPECT_LE(sum_oracle, sum_heuristic);
}

// The exact search (search_optimum) finds the exhaustive optimum on every tiny cell, and what it
// proves is true: floor <= optimum <= best, with floor == best == optimum when it finishes.
TEST(BoundSearch, EqualsTheExhaustiveOptimum) {
  std::mt19937_64 rng(977);
  int cells = 0, optimal = 0;
  uint64_t total_leaves = 0;
  // The tiny traces, then larger ones (4-7 functions, 18-24 invocations; those with more than
  // 20000 schedules are left out), where drops and repeated states are common.
  for (int trial = 0; trial < 500; ++trial) {
    const bool larger = trial >= 300;
    const Trace t = larger ? tiny_trace(rng, 4, 7, 18, 24) : tiny_trace(rng);
    for (const uint64_t memory : {20u, 30u, 40u, 60u}) {
      uint64_t leaves = 0;
      const uint64_t opt = exhaustive_optimum(t, memory, 20000, &leaves);
      if (opt == UINT64_MAX) continue;
      ++cells;
      total_leaves += leaves;
      const bound::SearchResult s = bound::search_optimum(t, memory);
      ASSERT_TRUE(s.ran) << s.note;
      ASSERT_TRUE(s.optimal()) << "trial " << trial << " memory " << memory;
      ASSERT_EQ(s.best, opt) << "trial " << trial << " memory " << memory;
      optimal += s.optimal();
      // With a tiny budget it stops early, but what it says still holds.
      bound::SearchOptions few;
      few.max_nodes = 2;
      const bound::SearchResult p = bound::search_optimum(t, memory, few);
      if (p.ran) {
        ASSERT_LE(p.floor, opt) << "trial " << trial << " memory " << memory;
        ASSERT_GE(p.best, opt) << "trial " << trial << " memory " << memory;
      }
    }
  }
  std::printf("search: %d cells, optimal in %d, %llu schedules replayed by the exhaustive search\n",
              cells, optimal, static_cast<unsigned long long>(total_leaves));
  EXPECT_GE(cells, 1500);
  EXPECT_EQ(optimal, cells);
}

// With cold-start overheads the search replays the longer cold runs, like the engine: it finds
// the exhaustive optimum of the engine run with the same overheads.
TEST(BoundSearch, FollowsTheOverheads) {
  std::mt19937_64 rng(31);
  int cells = 0, differ = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const Trace t = tiny_trace(rng);
    uint64_t leaves = 0;
    const uint64_t opt = exhaustive_optimum(t, 40, 20000, &leaves, 7, 0.5);
    if (opt == UINT64_MAX) continue;
    ++cells;
    bound::SearchOptions o;
    o.overhead_ms = 7;
    o.overhead_frac = 0.5;
    const bound::SearchResult s = bound::search_optimum(t, 40, o);
    ASSERT_TRUE(s.optimal());
    ASSERT_EQ(s.best, opt) << "trial " << trial;
    differ += bound::search_optimum(t, 40).best != opt;
  }
  EXPECT_GE(cells, 100);
  EXPECT_GT(differ, 0) << "the overheads never changed the optimum: the test shows nothing";
}

// Any prices at all give a valid bound (weak duality): random prices never exceed the optimum.
TEST(Bound, AnyPricesGiveAValidBound) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> price(0.0, 0.02);
  for (int trial = 0; trial < 150; ++trial) {
    const Trace t = tiny_trace(rng);
    const bound::Relaxation relax = bound::build_relaxation(t);
    std::vector<double> points;
    for (const bound::Candidate& c : relax.candidates) {
      points.push_back(c.start);
      points.push_back(c.end);
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    for (const uint64_t memory : {20u, 40u}) {
      uint64_t leaves = 0;
      const uint64_t opt = exhaustive_optimum(t, memory, 20000, &leaves);
      if (opt == UINT64_MAX) continue;
      for (int k = 0; k < 5; ++k) {
        std::vector<double> lambda(points.empty() ? 0 : points.size() - 1);
        for (double& l : lambda) l = k == 0 ? 0.0 : price(rng);
        const double v = bound::lagrangian_bound(relax, memory, points, lambda);
        ASSERT_LE(v, static_cast<double>(opt) + 1e-9) << "trial " << trial;
      }
    }
  }
}

// The matching: after a gap, a burst can be warm only up to the containers that exist. Three
// arrivals at 0..2 (each still running when the next comes: compulsory), then six at 100..105:
// at most three of those are warm, whatever the memory.
TEST(Bound, WarmStartsNeedDistinctPredecessors) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  std::vector<std::pair<double, std::string>> inv;
  for (int i = 0; i < 3; ++i) inv.emplace_back(i, "x");
  for (int i = 0; i < 6; ++i) inv.emplace_back(100 + i, "x");
  const Trace t = test::make_trace({{"x", 10, 50, 50}}, inv);
  const bound::Relaxation relax = bound::build_relaxation(t);
  EXPECT_EQ(relax.compulsory, 3u);
  const bound::BoundResult b = bound::solve(relax, 1000);
  EXPECT_EQ(b.lower_bound, 6u);  // 3 first + 3 of the burst
  EXPECT_EQ(misses(test::run(t, test::builtin("lru"), 1000).metrics), 6u);
  // Without the matching (the interval LP alone) all six could be warm.
  EXPECT_LT(b.flow_value, 3.5);
}

// Memory: two functions of 60 MB alternating in 100 MB. Each idle interval overlaps the other
// function's, and two do not fit, so the LP keeps at most 5/3 containers per overlap: 8 warm
// candidates, at most 4 + 4 x 2/3 kept, 2 compulsory: the bound is ceil(2 + 8 - 6.67) = 4. (The
// true optimum is 10: each cold start also needs memory while it runs, which the relaxation
// does not count; docs/bounds.md, limits.) With 120 MB both stay: only the 2 first starts.
TEST(Bound, MemoryForcesMisses) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  std::vector<std::pair<double, std::string>> inv;
  for (int i = 0; i < 10; ++i) inv.emplace_back(100.0 * i, i % 2 == 0 ? "a" : "b");
  const Trace t = test::make_trace({{"a", 60, 10, 10}, {"b", 60, 10, 10}}, inv);
  const bound::BoundResult b = bound::solve(bound::build_relaxation(t), 100);
  EXPECT_EQ(b.compulsory, 2u);
  EXPECT_NEAR(b.flow_value, 2 + 8 - (4 + 4 * 2.0 / 3), 1e-3);
  EXPECT_EQ(b.lower_bound, 4u);
  EXPECT_EQ(misses(test::run(t, test::builtin("lru"), 100).metrics), 10u);
  const bound::BoundResult roomy = bound::solve(bound::build_relaxation(t), 120);
  EXPECT_EQ(roomy.lower_bound, 2u);
}

// A function larger than the server never runs: its arrivals are all misses.
TEST(Bound, OversizedFunctionsAlwaysMiss) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  const Trace t = test::make_trace({{"big", 500, 10, 10}, {"s", 10, 10, 10}},
                                   {{0, "big"}, {100, "big"}, {200, "big"}, {300, "s"}});
  const bound::BoundResult b = bound::solve(bound::build_relaxation(t), 100);
  EXPECT_EQ(b.oversized, 2u);
  EXPECT_EQ(b.lower_bound, 4u);
  EXPECT_EQ(misses(test::run(t, test::builtin("lru"), 100).metrics), 4u);
}

// The bound assumes no prewarm: a policy that prewarms f at each of f's arrivals turns every
// cold start that fits into a warm one (docs/bounds.md). cold + dropped + prewarm_hits stays
// above the bound; cold + dropped alone need not.
struct PrewarmAtArrival final : public Policy {
  static constexpr const char* kName = "prewarm-at-arrival";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "test policy: prewarms each arrival's function";
  using Policy::Policy;
  void on_arrival(kw_function_id fn) override {
    if (host().idle_count(fn) == 0) host().request_prewarm(fn, host().now());
  }
  kw_container_id choose_victim(kw_function_id) override { return KW_NO_CONTAINER; }
};

TEST(Bound, PrewarmHitsCountAgainstTheBound) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  const Trace t = test::make_trace({{"x", 10, 100, 10}, {"y", 10, 100, 10}},
                                   {{0, "x"}, {1000, "y"}, {2000, "x"}, {3000, "y"}});
  const PluginPtr p = Plugin::from_descriptor(descriptor_for<PrewarmAtArrival>(), "test");
  const CellMetrics m = test::run(t, p, 1000).metrics;
  const bound::BoundResult b = bound::solve(bound::build_relaxation(t), 1000);
  EXPECT_EQ(b.lower_bound, 2u);
  EXPECT_EQ(m.cold + m.dropped, 0u);  // the loophole
  EXPECT_GE(m.cold + m.dropped + m.prewarm_hits, b.lower_bound);
}

// ---- every built-in policy on the shipped traces and 20-c ------------------------------------
// Checks every policy against the bound at each size; returns the summed misses of lru and of
// the oracle, and checks that the oracle's rollouts never do worse than its plain score.
struct Sums {
  uint64_t lru = 0, oracle = 0;
  uint64_t optimum = 0;  // summed where the search proved it
  bool all_optimal = true;
};

// Also checks the exact search's floor against every policy that removes containers only as
// victims (no expirations, no prewarms), and that its best schedule is no worse than the oracle
// where it proved the optimum.
Sums check_policies(const Trace& t, const std::vector<uint64_t>& sizes,
                    uint64_t search_nodes = 1000000) {
  const bound::Relaxation relax = bound::build_relaxation(t);
  uint64_t lru_sum = 0, oracle_sum = 0, bound_sum = 0;
  Sums sums;
  const std::vector<std::string> policies = {
      "rand", "lru", "ttl", "gd", "freq", "size", "landlord", "hybrid-histogram", "oracle"};
  for (const uint64_t m : sizes) {
    const bound::BoundResult b = bound::solve(relax, m);
    EXPECT_GE(b.lower_bound, b.compulsory);
    bound::SearchOptions so;
    so.max_nodes = search_nodes;
    so.time_limit_s = 60;
    so.known_floor = b.lower_bound;
    const bound::SearchResult q = bound::search_optimum(t, m, so);  // none with 0 nodes
    EXPECT_EQ(q.ran, search_nodes > 0) << q.note;
    if (q.ran) {
      EXPECT_GE(q.floor, b.lower_bound);
    }
    std::printf("%s %llu MB: bound %llu (compulsory %llu, %.2f s), search %llu-%llu (%llu nodes)",
                t.name.c_str(), static_cast<unsigned long long>(m),
                static_cast<unsigned long long>(b.lower_bound),
                static_cast<unsigned long long>(b.compulsory), b.wall_s,
                static_cast<unsigned long long>(q.floor), static_cast<unsigned long long>(q.best),
                static_cast<unsigned long long>(q.nodes));
    if (q.optimal())  // (false when not run)
      sums.optimum += q.best;
    else
      sums.all_optimal = false;
    for (const std::string& name : policies) {
      const PluginPtr p = test::builtin(name);
      for (uint64_t seed = 1; seed <= (p->randomised() ? 3u : 1u); ++seed) {
        const CellMetrics r = test::run(t, p, m, Compat::none, seed).metrics;
        EXPECT_GE(r.cold + r.dropped + r.prewarm_hits, b.lower_bound)
            << name << " seed " << seed << " on " << t.name << " at " << m << " MB";
        if (r.prewarm_hits == 0) {
          EXPECT_GE(r.cold + r.dropped, b.lower_bound) << name << " on " << t.name;
        }
        if (r.expirations == 0 && r.prewarms == 0) {
          EXPECT_GE(r.cold + r.dropped, q.floor) << name << " on " << t.name << " at " << m;
        }
        if (seed == 1)
          std::printf(" %s %llu", name.c_str(),
                      static_cast<unsigned long long>(r.cold + r.dropped));
        if (name == "lru") lru_sum += r.cold + r.dropped;
        if (name == "oracle") {
          oracle_sum += r.cold + r.dropped;
          SimConfig plain;
          plain.memory_mb = m;
          plain.params = p->resolve_params({{"rollout_candidates", "0"}});
          const CellMetrics h = simulate(t, p, plain).metrics;
          EXPECT_LE(r.cold + r.dropped, h.cold + h.dropped) << t.name << " at " << m << " MB";
        }
      }
    }
    std::printf("\n");
    bound_sum += b.lower_bound;
  }
  std::printf(
      "%s summed over the sizes: bound %llu, oracle %llu, lru %llu (oracle %.1f%% below lru)\n",
      t.name.c_str(), static_cast<unsigned long long>(bound_sum),
      static_cast<unsigned long long>(oracle_sum), static_cast<unsigned long long>(lru_sum),
      100.0 * (1.0 - static_cast<double>(oracle_sum) / static_cast<double>(lru_sum)));
  EXPECT_GT(lru_sum, 0u);
  sums.lru = lru_sum;
  sums.oracle = oracle_sum;
  return sums;
}

TEST(Bound, NoBuiltinPolicyBeatsItOnTheShippedTraces) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  // The default experiment's sizes; the oracle misses at least 10% fewer than lru on each. (No
  // exact search: on these traces it would only dive, which takes long and proves little.)
  for (const char* name : {"sample", "azure-small"}) {
    const Sums s =
        check_policies(load_trace(std::filesystem::path(KEEPWARM_SOURCE_DIR) / "traces" / name),
                       {1000, 2000, 4000, 8000, 16000}, 0);
    EXPECT_LE(static_cast<double>(s.oracle), 0.9 * static_cast<double>(s.lru)) << name;
  }
}

TEST(Bound, NoBuiltinPolicyBeatsItOn20c) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  const std::filesystem::path ref = test::shared_reference_dir();
  if (ref.empty() || !std::filesystem::exists(ref / "20-c.pckl"))
    GTEST_SKIP() << "../shared/reference/20-c.pckl is absent";
  const Trace t = load_trace(ref / "20-c.pckl");
  // The reference's sizes (faascache-20-c.csv): the oracle misses at least 10% fewer than lru.
  const Sums ref_sizes = check_policies(t, {500, 800, 1000, 2000, 4000});
  EXPECT_LE(static_cast<double>(ref_sizes.oracle), 0.9 * static_cast<double>(ref_sizes.lru));
  // The default experiment's sizes: from 2000 MB on nothing is ever evicted and every policy
  // that keeps containers has the same 23 misses; at 1000 MB the search proves the oracle's
  // 29 optimal. So no policy that removes containers only as victims can be 10% below lru
  // here (docs/bounds.md): the optimum's sum is above 90% of lru's.
  const Sums defaults = check_policies(t, {1000, 2000, 4000, 8000, 16000});
  ASSERT_TRUE(defaults.all_optimal);
  EXPECT_EQ(defaults.optimum, defaults.oracle);
  EXPECT_GT(static_cast<double>(defaults.optimum), 0.9 * static_cast<double>(defaults.lru));
}

}  // namespace

// ---- the commands -------------------------------------------------------------------------
namespace {

TEST(BoundCli, BoundCommandWritesBoundCsv) {
  test::TempDir dir;
  const std::string trace = std::string(KEEPWARM_SOURCE_DIR) + "/traces/sample";
  const test::CommandResult r = test::run_keepwarm("bound --trace " + trace +
                                                   " --memory 2000,8000 -o " + dir.path().string());
  if (!bound::solver_available()) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("without the min-cost flow solver"), std::string::npos) << r.output;
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = test::read_text(dir / "bound.csv");
  EXPECT_EQ(csv.rfind("trace,memory_mb,invocations,lower_bound,compulsory,method,wall_s", 0), 0u);
  // The same numbers as the library.
  const Trace t = load_trace(trace);
  const bound::Relaxation relax = bound::build_relaxation(t);
  for (const uint64_t m : {2000u, 8000u}) {
    const bound::BoundResult b = bound::solve(relax, m);
    EXPECT_NE(csv.find("sample," + std::to_string(m) + "," + std::to_string(t.invocation_count()) +
                       "," + std::to_string(b.lower_bound) + "," + std::to_string(b.compulsory) +
                       ",flow+lagrange,"),
              std::string::npos)
        << csv;
  }
}

TEST(BoundCli, RunWithBoundAddsAReferenceLineNotAPolicy) {
  if (!bound::solver_available()) GTEST_SKIP() << "built without LEMON: no bound";
  test::TempDir dir;
  const std::string trace = std::string(KEEPWARM_SOURCE_DIR) + "/traces/sample";
  const test::CommandResult r = test::run_keepwarm(
      "run --trace " + trace + " --policy rand,lru --memory 2000,16000 --bound --reproducible -o " +
      dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lower bound"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gap closed"), std::string::npos) << r.output;
  ASSERT_TRUE(std::filesystem::exists(dir / "bound.csv"));
  // The exact search proves the optimum at 16000 MB (nothing is evicted there: lru's misses)
  // but not at 2000 MB within its budget; the optimum is a second reference line.
  EXPECT_NE(r.output.find("optimum"), std::string::npos) << r.output;
  {
    const ReportData d = read_report_data(dir.path());
    ASSERT_EQ(d.bounds.size(), 2u);
    for (const ReportBound& b : d.bounds) {
      EXPECT_EQ(b.has_optimum, b.memory_mb == 16000) << b.memory_mb;
      if (b.has_optimum) {
        for (const ReportCell& c : d.cells)
          if (c.memory_mb == 16000 && c.policy == "lru") {
            EXPECT_EQ(b.optimum, c.cold + c.dropped);
          }
      }
    }
  }
  // Its budget is work, not time: the same bound.csv on every run.
  const std::string bound_csv = test::read_text(dir / "bound.csv");
  test::TempDir again;
  ASSERT_EQ(test::run_keepwarm("run --trace " + trace +
                               " --policy rand,lru --memory 2000,16000 --bound --reproducible -o " +
                               again.path().string())
                .exit_code,
            0);
  EXPECT_EQ(test::read_text(again / "bound.csv"), bound_csv);
  // Not a cell: results.csv names only the policies.
  EXPECT_EQ(test::read_text(dir / "results.csv").find("bound"), std::string::npos);
  const ReportData data = read_report_data(dir.path());
  ASSERT_EQ(data.bounds.size(), 2u);
  const std::vector<TraceView> views = build_views(data);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].bound.size(), 2u);
  const std::string html = test::read_text(dir / "report.html");
  EXPECT_NE(html.find("lower bound"), std::string::npos);
  EXPECT_NE(html.find("gap closed"), std::string::npos);
  EXPECT_NE(html.find("optimum (exact search)"), std::string::npos);
  // `keepwarm report` renders the same report from the files, bound included.
  ASSERT_EQ(test::run_keepwarm("report " + dir.path().string()).exit_code, 0);
  EXPECT_EQ(test::read_text(dir / "report.html"), html);
  // bound = true in an experiment file does the same.
  test::write_text(dir / "e.toml", "[experiment]\ntraces = [\"" + trace +
                                       "\"]\npolicies = [\"lru\"]\nmemory_mb = [4000]\nbound = "
                                       "true\nout = \"" +
                                       (dir / "out").string() + "\"\n");
  const test::CommandResult e = test::run_keepwarm("run " + (dir / "e.toml").string());
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "bound.csv"));
  test::write_text(dir / "bad.toml", "[experiment]\nbound = 3\n");
  const test::CommandResult bad = test::run_keepwarm("run " + (dir / "bad.toml").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("bound must be true or false"), std::string::npos) << bad.output;
}

TEST(BoundCli, RunRefusesTheBoundInCompatMode) {
  const std::string trace = std::string(KEEPWARM_SOURCE_DIR) + "/traces/sample";
  test::TempDir dir;
  const test::CommandResult r = test::run_keepwarm("run --trace " + trace +
                                                   " --policy lru --memory 2000 --bound --compat "
                                                   "faascache -o " +
                                                   dir.path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("default model"), std::string::npos) << r.output;
}

TEST(BoundCli, GapClosed) {
  EXPECT_EQ(gap_closed(100, 100, 20), "0.0%");
  EXPECT_EQ(gap_closed(100, 20, 20), "100.0%");
  EXPECT_EQ(gap_closed(100, 60, 20), "50.0%");
  EXPECT_EQ(gap_closed(20, 20, 20), "-");
}

}  // namespace
