// test_engine_rules.cpp: each rule of the simulation model (docs/model.md) on a tiny trace,
// driven by a scriptable in-process policy that records what the engine told it.
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;
using keepwarm::test::make_trace;

namespace {

// What a Scripted policy does; tests set these before a run (one run at a time).
struct Script {
  std::vector<std::string> log;  // "t:event" lines in the order the engine called hooks
  // Deadline given to every container that goes idle (relative), or none.
  double keepalive_ms = INFINITY;
  // Called on each arrival with the host (for prewarms, timers, ...).
  std::function<void(const Host&, kw_function_id, const std::vector<kw_container_id>&)> on_arrival;
  std::function<kw_container_id(const Host&, const std::vector<kw_container_id>&)> victim;
  bool throw_in_arrival = false;
};
Script g_script;

std::string fmt(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", t);
  return buf;
}

class Scripted final : public Policy {
 public:
  static constexpr const char* kName = "scripted";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "test policy driven by g_script";
  using Policy::Policy;

  void on_arrival(kw_function_id fn) override {
    log("arrival f" + std::to_string(fn));
    if (g_script.throw_in_arrival) throw std::runtime_error("boom from the policy");
    if (g_script.on_arrival) g_script.on_arrival(host(), fn, idle_);
  }
  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    static const char* kinds[] = {"cold", "warm", "prewarm"};
    log(std::string("started ") + kinds[kind] + " f" + std::to_string(fn) + " c" + id(c));
    erase(c);
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    log("idle f" + std::to_string(fn) + " c" + id(c));
    idle_.push_back(c);
    if (std::isfinite(g_script.keepalive_ms))
      host().set_keepalive(c, host().now() + g_script.keepalive_ms);
  }
  kw_container_id choose_victim(kw_function_id) override {
    log("victim?");
    if (g_script.victim) return g_script.victim(host(), idle_);
    return idle_.empty() ? KW_NO_CONTAINER : idle_.front();  // oldest idle first
  }
  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    log(std::string(reason == KW_REMOVED_EVICTED ? "evicted" : "expired") + " f" +
        std::to_string(fn) + " c" + id(c));
    erase(c);
  }
  void on_timer(uint64_t token) override { log("timer " + std::to_string(token)); }
  void on_end() override { log("end"); }

 private:
  // Containers are named by their slot so that logs stay readable.
  static std::string id(kw_container_id c) { return std::to_string(KW_CONTAINER_SLOT(c)); }
  void log(const std::string& what) { g_script.log.push_back(fmt(host().now()) + ":" + what); }
  void erase(kw_container_id c) { std::erase(idle_, c); }
  std::vector<kw_container_id> idle_;
};

PluginPtr scripted() {
  static PluginPtr p = Plugin::from_descriptor(descriptor_for<Scripted>(), "test");
  return p;
}

CellResult run_scripted(const Trace& t, uint64_t memory, Compat compat = Compat::none,
                        double overhead_ms = 0, double overhead_frac = 0) {
  SimConfig c;
  c.memory_mb = memory;
  c.compat = compat;
  c.overhead_ms = overhead_ms;
  c.overhead_frac = overhead_frac;
  return simulate(t, scripted(), c);
}

class EngineRules : public ::testing::Test {
 protected:
  void SetUp() override { g_script = Script{}; }
  static bool logged(const std::string& line) {
    return std::find(g_script.log.begin(), g_script.log.end(), line) != g_script.log.end();
  }
  static size_t position(const std::string& line) {
    const auto it = std::find(g_script.log.begin(), g_script.log.end(), line);
    return static_cast<size_t>(it - g_script.log.begin());
  }
};

TEST_F(EngineRules, WarmStartReusesTheMostRecentlyIdledContainer) {
  // Two containers of x: c0 (cold at 0, idle at 100) and c1 (cold at 50, idle at 150). At 200
  // the most recently idled one, c1, must serve the warm start.
  const Trace t = make_trace({{"x", 10, 100, 10}}, {{0, "x"}, {50, "x"}, {200, "x"}});
  const CellResult r = run_scripted(t, 100);
  EXPECT_EQ(r.metrics.cold, 2u);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_TRUE(logged("200:started warm f0 c1"));
}

TEST_F(EngineRules, ContainerFinishingExactlyAtTIsReusableAtT) {
  const Trace t = make_trace({{"x", 10, 1000, 10}}, {{0, "x"}, {1000, "x"}});
  const CellResult r = run_scripted(t, 100);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 1u);
  // Just before the finish the container is still running: a second container starts cold.
  const Trace u = make_trace({{"x", 10, 1000, 10}}, {{0, "x"}, {999.5, "x"}});
  EXPECT_EQ(run_scripted(u, 100).metrics.cold, 2u);
}

TEST_F(EngineRules, DropsWithoutEvictingWhenEvenAllIdleMemoryCannotFit) {
  // 300 MB: a runs (100 MB, long), b idle (100 MB). z needs 250 MB: free 100 + idle 100 < 250.
  const Trace t = make_trace({{"a", 100, 100000, 100000}, {"b", 100, 10, 10}, {"z", 250, 10, 10}},
                             {{0, "a"}, {1, "b"}, {100, "z"}});
  const CellResult r = run_scripted(t, 300);
  EXPECT_EQ(r.metrics.dropped, 1u);
  EXPECT_EQ(r.metrics.evictions, 0u);
  EXPECT_FALSE(logged("100:victim?"));
  EXPECT_EQ(r.per_function[2].dropped, 1u);
}

TEST_F(EngineRules, CompatModeEvictsEvenWhenTheInvocationIsThenDropped) {
  const Trace t = make_trace({{"a", 100, 100000, 100000}, {"b", 100, 10, 10}, {"z", 250, 10, 10}},
                             {{0, "a"}, {1, "b"}, {100, "z"}});
  const CellResult r = run_scripted(t, 300, Compat::faascache);
  EXPECT_EQ(r.metrics.dropped, 1u);
  EXPECT_EQ(r.metrics.evictions, 1u);
}

TEST_F(EngineRules, EvictsJustEnough) {
  // 400 MB: a, b, c idle (100 MB each), 100 MB free. z needs 250: two victims suffice.
  const Trace t =
      make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}, {"z", 250, 10, 10}},
                 {{0, "a"}, {1, "b"}, {2, "c"}, {100, "z"}});
  const CellResult r = run_scripted(t, 400);
  EXPECT_EQ(r.metrics.evictions, 2u);
  EXPECT_EQ(r.metrics.cold, 4u);
  EXPECT_TRUE(logged("100:evicted f0 c0"));
  EXPECT_TRUE(logged("100:evicted f1 c1"));
  EXPECT_EQ(r.metrics.peak_memory_mb, 350u);
}

TEST_F(EngineRules, CompatModeEvictsAFullContainersWorthIgnoringFreeMemory) {
  const Trace t =
      make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}, {"z", 250, 10, 10}},
                 {{0, "a"}, {1, "b"}, {2, "c"}, {100, "z"}});
  const CellResult r = run_scripted(t, 400, Compat::faascache);
  EXPECT_EQ(r.metrics.evictions, 3u);  // victims until their own memory reaches 250
  EXPECT_EQ(r.metrics.cold, 4u);
}

TEST_F(EngineRules, VictimsAreRequestedOneAtATimeUntilEnoughIsFree) {
  const Trace t = make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"z", 200, 10, 10}},
                             {{0, "a"}, {1, "b"}, {100, "z"}});
  run_scripted(t, 200);
  // victim?, evicted, victim?, evicted, then the cold start.
  EXPECT_LT(position("100:evicted f0 c0"), position("100:evicted f1 c1"));
  EXPECT_LT(position("100:evicted f1 c1"), position("100:started cold f2 c0"));
}

TEST_F(EngineRules, KeepAliveExpiry) {
  g_script.keepalive_ms = 500;  // idle at 10, deadline 510
  const Trace warm = make_trace({{"x", 10, 10, 10}}, {{0, "x"}, {509, "x"}});
  CellResult r = run_scripted(warm, 100);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.expirations, 0u);

  g_script = Script{};
  g_script.keepalive_ms = 500;
  // A deadline exactly at the arrival's time fires first: the arrival is cold.
  const Trace cold = make_trace({{"x", 10, 10, 10}}, {{0, "x"}, {510, "x"}});
  r = run_scripted(cold, 100);
  EXPECT_EQ(r.metrics.cold, 2u);
  EXPECT_EQ(r.metrics.expirations, 1u);
  EXPECT_TRUE(logged("510:expired f0 c0"));
  EXPECT_EQ(r.per_function[0].expirations, 1u);
}

TEST_F(EngineRules, ReuseCancelsTheKeepAliveDeadline) {
  // Idle at 10 (deadline 510), reused at 100 (runs to 110, new deadline 610), arrival at 600
  // must still be warm: the first deadline was cancelled by the reuse.
  g_script.keepalive_ms = 500;
  const Trace t = make_trace({{"x", 10, 10, 10}}, {{0, "x"}, {100, "x"}, {600, "x"}});
  const CellResult r = run_scripted(t, 100);
  EXPECT_EQ(r.metrics.warm, 2u);
  EXPECT_EQ(r.metrics.expirations, 0u);
}

TEST_F(EngineRules, DeadlineNowInArrivalRemovesBeforePlacement) {
  // The policy expires every idle container of the arriving function at once (FaasCache TTL
  // style), so the arrival is cold.
  g_script.on_arrival = [](const Host& h, kw_function_id,
                           const std::vector<kw_container_id>& idle) {
    for (const kw_container_id c : std::vector<kw_container_id>(idle)) h.set_keepalive(c, h.now());
  };
  const Trace t = make_trace({{"x", 10, 10, 10}}, {{0, "x"}, {10, "x"}});
  const CellResult r = run_scripted(t, 100);
  EXPECT_EQ(r.metrics.expirations, 1u);
  EXPECT_EQ(r.metrics.cold, 2u);
  EXPECT_LT(position("10:expired f0 c0"), position("10:started cold f0 c0"));
}

TEST_F(EngineRules, PrewarmOnlyIntoFreeMemory) {
  // x asks for a prewarm of y at t=50. With 100 MB y (100 MB) cannot fit next to running x.
  g_script.on_arrival = [](const Host& h, kw_function_id fn, const auto&) {
    if (fn == 0) h.request_prewarm(1, 50);
  };
  const Trace t = make_trace({{"x", 100, 1000, 1000}, {"y", 100, 10, 10}}, {{0, "x"}, {60, "y"}});
  CellResult r = run_scripted(t, 100);
  EXPECT_EQ(r.metrics.prewarms, 0u);
  EXPECT_EQ(r.metrics.evictions, 0u);  // a prewarm never evicts
  EXPECT_EQ(r.metrics.dropped, 1u);

  g_script.log.clear();
  r = run_scripted(t, 200);
  EXPECT_EQ(r.metrics.prewarms, 1u);
  EXPECT_EQ(r.metrics.prewarm_hits, 1u);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_TRUE(logged("50:started prewarm f1 c1"));
  EXPECT_TRUE(logged("50:idle f1 c1"));
}

TEST_F(EngineRules, EventOrderAtEqualTimes) {
  // At t=100: x's container finishes (cold 100), y's container expires (idle at 20, deadline
  // 80 after), a timer fires and a prewarm comes due; then the arrival at 100.
  g_script.keepalive_ms = 80;
  g_script.on_arrival = [](const Host& h, kw_function_id fn, const auto&) {
    if (fn == 1) {
      h.set_timer(100, 7);
      h.request_prewarm(2, 100);
    }
  };
  const Trace t = make_trace({{"x", 10, 100, 100}, {"y", 10, 10, 10}, {"z", 10, 5, 5}},
                             {{0, "x"}, {10, "y"}, {100, "z"}});
  run_scripted(t, 100);
  const size_t finish = position("100:idle f0 c0");
  const size_t expiry = position("100:expired f1 c1");
  const size_t timer = position("100:timer 7");
  const size_t prewarm = position("100:started prewarm f2 c1");
  const size_t arrival = position("100:arrival f2");
  ASSERT_LT(arrival, g_script.log.size());
  EXPECT_LT(finish, expiry);
  EXPECT_LT(expiry, timer);
  EXPECT_LT(timer, prewarm);  // timers and prewarms in request order
  EXPECT_LT(prewarm, arrival);
}

TEST_F(EngineRules, ColdStartOverhead) {
  // cold 1000 ms * 1.2 + 3000 ms = 4200 ms.
  const Trace busy = make_trace({{"x", 10, 1000, 100}}, {{0, "x"}, {4199, "x"}});
  CellResult r = run_scripted(busy, 100, Compat::none, 3000, 0.2);
  EXPECT_EQ(r.metrics.cold, 2u);
  EXPECT_DOUBLE_EQ(r.metrics.added_latency_ms, 2 * (4200.0 - 100.0));
  const Trace done = make_trace({{"x", 10, 1000, 100}}, {{0, "x"}, {4200, "x"}});
  r = run_scripted(done, 100, Compat::none, 3000, 0.2);
  EXPECT_EQ(r.metrics.cold, 1u);
  EXPECT_EQ(r.metrics.warm, 1u);
}

TEST_F(EngineRules, CourseColdStartIsBasePlusRunPlusPctRunInThatOrder) {
  // faascache-course: 3000 + 1.1 + 0.2 x 1.1 = 3001.3199999999997 in doubles, while
  // 1.1 x 1.2 + 3000 = 3001.32: the course order frees the container just in time for an
  // arrival at 3001.3199999999997, the default order does not.
  const double t = 3001.3199999999997;
  ASSERT_LT(t, 1.1 * (1 + 0.2) + 3000);
  const Trace tr = make_trace({{"x", 10, 1.1, 1}}, {{0, "x"}, {t, "x"}});
  EXPECT_EQ(run_scripted(tr, 100, Compat::faascache_course, 3000, 0.2).metrics.warm, 1u);
  EXPECT_EQ(run_scripted(tr, 100, Compat::none, 3000, 0.2).metrics.cold, 2u);
  EXPECT_EQ(run_scripted(tr, 100, Compat::faascache, 3000, 0.2).metrics.cold, 2u);
}

TEST_F(EngineRules, PrewarmNowAndRemoveNowActAtOnceWithoutHooks) {
  // x 40 MB, memory 130: at the second arrival (the first container is idle, 40 MB) the policy
  // prewarms two containers of x at once (a third does not fit), releases one, expires the other
  // and sees memory change in between; no hook reports any of it.
  std::vector<uint64_t> used;
  std::vector<kw_container_id> made;
  g_script.on_arrival = [&](const Host& h, kw_function_id, const std::vector<kw_container_id>&) {
    if (h.now() < 500) return;
    for (int i = 0; i < 3; ++i) made.push_back(h.prewarm_now(0));
    used.push_back(h.used_mb());
    EXPECT_TRUE(h.remove_now(made[0], KW_REMOVED_RELEASED));
    EXPECT_FALSE(h.remove_now(made[0], KW_REMOVED_RELEASED));  // gone already
    EXPECT_TRUE(h.remove_now(made[1], KW_REMOVED_EXPIRED));
    used.push_back(h.used_mb());
    EXPECT_EQ(h.seed(), 1u);
  };
  const Trace t = make_trace({{"x", 40, 100, 10}}, {{0, "x"}, {1000, "x"}});
  const CellResult r = run_scripted(t, 130);
  ASSERT_EQ(made.size(), 3u);
  EXPECT_NE(made[0], KW_NO_CONTAINER);
  EXPECT_NE(made[1], KW_NO_CONTAINER);
  EXPECT_EQ(made[2], KW_NO_CONTAINER);  // 4 x 40 MB do not fit in 130
  EXPECT_EQ(used, (std::vector<uint64_t>{120, 40}));
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.prewarms, 2u);
  EXPECT_EQ(r.metrics.expirations, 1u);  // the release is counted in no metric
  EXPECT_EQ(r.metrics.evictions, 0u);
  for (const std::string& line : g_script.log) {
    EXPECT_EQ(line.find("prewarm"), std::string::npos) << line;
    EXPECT_EQ(line.find("expired"), std::string::npos) << line;
  }
}

TEST_F(EngineRules, IdleMemoryTimeIsCountedUpToTheLastArrival) {
  // x (100 MB) idles from 1000 to the last arrival at 5000: 100 MB * 4 s = 400 MB*s.
  const Trace t = make_trace({{"x", 100, 1000, 10}, {"y", 50, 10000, 10}}, {{0, "x"}, {5000, "y"}});
  const CellResult r = run_scripted(t, 1000);
  EXPECT_DOUBLE_EQ(r.metrics.idle_mb_s, 400.0);
}

TEST_F(EngineRules, NothingFiresAfterTheLastArrival) {
  g_script.on_arrival = [](const Host& h, kw_function_id, const auto&) {
    h.set_timer(h.now() + 1, 1);
  };
  const Trace t = make_trace({{"x", 10, 10, 10}}, {{0, "x"}, {100, "x"}});
  run_scripted(t, 100);
  EXPECT_TRUE(logged("1:timer 1"));
  EXPECT_FALSE(logged("101:timer 1"));
  EXPECT_EQ(g_script.log.back(), "100:end");
}

TEST_F(EngineRules, VictimThatIsRunningIsAPolicyError) {
  g_script.victim = [](const Host&, const std::vector<kw_container_id>&) {
    return static_cast<kw_container_id>(0);  // slot 0 is x's running container
  };
  const Trace t = make_trace({{"x", 100, 100000, 10}, {"y", 100, 10, 10}, {"z", 100, 10, 10}},
                             {{0, "x"}, {1, "y"}, {100, "z"}});
  try {
    run_scripted(t, 200);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'scripted'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("running, not idle"), std::string::npos) << msg;
    EXPECT_NE(msg.find("t=100.000"), std::string::npos) << msg;
  }
}

TEST_F(EngineRules, ExceptionInAHookBecomesAPolicyError) {
  g_script.throw_in_arrival = true;
  const Trace t = make_trace({{"x", 10, 10, 10}}, {{0, "x"}});
  try {
    run_scripted(t, 100);
    FAIL() << "expected a PolicyError";
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("boom from the policy"), std::string::npos) << e.what();
  }
}

TEST_F(EngineRules, PolicyWarningsGoToStderrWithThePolicyAndCell) {
  g_script.on_arrival = [](const Host& h, kw_function_id, const auto&) {
    h.log(KW_LOG_WARN, "window too small");
    h.log(KW_LOG_DEBUG, "internal detail");
  };
  const Trace t = make_trace({{"x", 10, 10, 10}}, {{5, "x"}});
  ::testing::internal::CaptureStderr();
  run_scripted(t, 100);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("policy 'scripted' at t=5.000 ms (100 MB, seed 1): warning: window too small"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("internal detail"), std::string::npos) << err;  // below the default level
}

TEST_F(EngineRules, PerFunctionCountsSumToTheCellTotals) {
  const Trace t = make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 150, 10, 10}},
                             {{0, "a"}, {1, "b"}, {20, "a"}, {30, "c"}, {40, "b"}, {50, "a"}});
  const CellResult r = run_scripted(t, 250);
  FunctionMetrics sum;
  for (const FunctionMetrics& f : r.per_function) {
    sum.invocations += f.invocations;
    sum.warm += f.warm;
    sum.cold += f.cold;
    sum.dropped += f.dropped;
    sum.evictions += f.evictions;
  }
  EXPECT_EQ(sum.invocations, r.metrics.invocations);
  EXPECT_EQ(sum.warm, r.metrics.warm);
  EXPECT_EQ(sum.cold, r.metrics.cold);
  EXPECT_EQ(sum.dropped, r.metrics.dropped);
  EXPECT_EQ(sum.evictions, r.metrics.evictions);
  EXPECT_EQ(r.metrics.warm + r.metrics.cold + r.metrics.dropped, r.metrics.invocations);
}

}  // namespace

// ---- the idle chain under removals below its top (the engine's zombies) ----------------------

namespace {

// Keeps, per function, its idle containers in the order they went idle, and checks the engine
// against the rule: a warm start without choose_warm reuses the most recently idled container
// that is still idle. Victims are random idle containers (so most are below the top of their
// function's chain); with `choose` set, choose_warm picks a random idle container of the
// function half the time; with `expire`, random keep-alive deadlines remove others.
struct ChainScript {
  bool choose = false;
  bool expire = false;
  uint64_t warm = 0, chosen = 0, removed_below_top = 0, mismatches = 0, reused_live = 0;
  std::vector<kw_container_id> starts;  // every container started (cold or prewarm), in order
};
ChainScript g_chain;

class ChainChecker final : public Policy {
 public:
  static constexpr const char* kName = "chain-checker";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "checks the warm-start rule under removals";
  explicit ChainChecker(const kw_host* h) : Policy(h), idle_(host().function_count()) {}

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    std::vector<kw_container_id>& mine = idle_[fn];
    if (kind == KW_START_WARM) {
      ++g_chain.warm;
      const kw_container_id expected = chosen_ != KW_NO_CONTAINER ? chosen_ : mine.back();
      if (c != expected) ++g_chain.mismatches;
      std::erase(mine, c);
      std::erase(all_, c);
    } else {
      // A new container never has the handle of one still alive.
      if (std::find(live_.begin(), live_.end(), c) != live_.end()) ++g_chain.reused_live;
      live_.push_back(c);
      g_chain.starts.push_back(c);
    }
    chosen_ = KW_NO_CONTAINER;
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    idle_[fn].push_back(c);
    all_.push_back(c);
    if (g_chain.expire && host().uniform(4) == 0)
      host().set_idle_keepalive(c, host().now() + 1.0 + static_cast<double>(host().uniform(400)));
  }
  kw_container_id choose_warm(kw_function_id fn) override {
    chosen_ = KW_NO_CONTAINER;
    const std::vector<kw_container_id>& mine = idle_[fn];
    if (g_chain.choose && !mine.empty() && host().uniform(2) == 0) {
      chosen_ = mine[host().uniform(mine.size())];
      ++g_chain.chosen;
    }
    return chosen_;
  }
  kw_container_id choose_victim(kw_function_id) override {
    return all_.empty() ? KW_NO_CONTAINER : all_[host().uniform(all_.size())];
  }
  void on_container_removed(kw_container_id c, kw_function_id fn, kw_removal_reason) override {
    std::vector<kw_container_id>& mine = idle_[fn];
    if (!mine.empty() && mine.back() != c) ++g_chain.removed_below_top;
    std::erase(mine, c);
    std::erase(all_, c);
    std::erase(live_, c);
  }

 private:
  std::vector<std::vector<kw_container_id>> idle_;  // per function, in the order they idled
  std::vector<kw_container_id> all_;                // every idle container
  std::vector<kw_container_id> live_;               // every container alive
  kw_container_id chosen_ = KW_NO_CONTAINER;
};

// Bursts of three functions with long runs, so that each has several idle containers at once.
Trace bursty_trace(uint64_t seed) {
  Rng rng(seed);
  std::vector<std::pair<double, std::string>> inv;
  double t = 0;
  for (int i = 0; i < 6000; ++i) {
    t += static_cast<double>(rng.next() % 40);
    inv.emplace_back(t, std::string(1, static_cast<char>('a' + rng.next() % 3)));
  }
  return make_trace({{"a", 10, 300, 200}, {"b", 20, 500, 300}, {"c", 30, 200, 100}}, inv);
}

ChainScript run_chain(bool choose, bool expire, uint64_t memory, uint64_t seed) {
  g_chain = ChainScript{};
  g_chain.choose = choose;
  g_chain.expire = expire;
  static PluginPtr p = Plugin::from_descriptor(descriptor_for<ChainChecker>(), "test");
  SimConfig c;
  c.memory_mb = memory;
  c.seed = seed;
  simulate(bursty_trace(seed), p, c);
  return g_chain;
}

}  // namespace

TEST(IdleChain, WarmStartsSkipContainersRemovedBelowTheTop) {
  for (const bool expire : {false, true})
    for (const uint64_t memory : {120u, 200u, 300u}) {
      SCOPED_TRACE("expire " + std::to_string(expire) + ", memory " + std::to_string(memory));
      const ChainScript s = run_chain(false, expire, memory, 7 + memory);
      EXPECT_GT(s.warm, 1000u);
      EXPECT_GT(s.removed_below_top, 100u);  // the case under test happened, often
      EXPECT_EQ(s.mismatches, 0u);
      EXPECT_EQ(s.reused_live, 0u);
    }
}

TEST(IdleChain, ChooseWarmTakesAContainerFromAnywhereInTheChain) {
  for (const bool expire : {false, true}) {
    SCOPED_TRACE("expire " + std::to_string(expire));
    const ChainScript s = run_chain(true, expire, 300, 11);
    EXPECT_GT(s.chosen, 500u);
    EXPECT_GT(s.removed_below_top, 100u);
    EXPECT_EQ(s.mismatches, 0u);
    EXPECT_EQ(s.reused_live, 0u);
  }
}
