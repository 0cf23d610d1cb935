// The kw_host fields appended after ABI 1.1 (policy.h): the clock as data and skip_hooks, and the
// SDK's fallbacks for a host built before them (a smaller struct_size).
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>
#include <keepwarm/priority_policy.hpp>

#include <cstddef>
#include <string>

#include "test_support.hpp"

using namespace keepwarm;
using keepwarm::test::make_trace;

namespace {

struct Calls {
  int arrivals = 0, choose_warm = 0, clock_mismatches = 0;
  bool skip = false;
};
Calls g_calls;

class Counting final : public Policy {
 public:
  static constexpr const char* kName = "counting";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "counts the hooks the host calls";
  explicit Counting(const kw_host* h) : Policy(h) {
    if (g_calls.skip) skip_hooks(KW_SKIP_ON_ARRIVAL | KW_SKIP_CHOOSE_WARM);
  }
  void on_arrival(kw_function_id) override {
    ++g_calls.arrivals;
    check_clock();
  }
  kw_container_id choose_warm(kw_function_id) override {
    ++g_calls.choose_warm;
    return KW_NO_CONTAINER;
  }
  void on_container_started(kw_container_id, kw_function_id, kw_start_kind) override {
    check_clock();
  }
  void on_container_idle(kw_container_id c, kw_function_id) override {
    check_clock();
    idle_.push_back(c);
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    std::erase(idle_, c);
  }
  kw_container_id choose_victim(kw_function_id) override {
    return idle_.empty() ? KW_NO_CONTAINER : idle_.front();
  }

 private:
  // Host::now() reads kw_host::clock; it must equal the now() callback at every hook.
  void check_clock() {
    const kw_host* h = host().raw();
    if (host().now() != h->now(h)) ++g_calls.clock_mismatches;
  }
  std::vector<kw_container_id> idle_;
};

// A PriorityPolicy without on_arrival / choose_warm of its own asks the host to skip them, one
// that overrides on_arrival does not.
class Recent final : public PriorityPolicy<Recent> {
 public:
  static constexpr const char* kName = "recent";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "lru-like";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id, double, double) const noexcept { return host().now(); }
};
class RecentWithArrival final : public PriorityPolicy<RecentWithArrival> {
 public:
  static constexpr const char* kName = "recent-arrival";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "lru-like, counting arrivals";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id, double, double) const noexcept { return host().now(); }
  void on_arrival(kw_function_id fn) override {
    ++g_calls.arrivals;
    PriorityPolicy::on_arrival(fn);
  }
};

Trace trace() {
  // Two functions, warm reuse, and a memory size that forces evictions.
  return make_trace({{"a", 10, 100, 10}, {"b", 10, 50, 5}}, {{0, "a"},
                                                             {20, "b"},
                                                             {150, "a"},
                                                             {160, "b"},
                                                             {300, "a"},
                                                             {301, "a"},
                                                             {500, "b"},
                                                             {800, "a"}});
}

CellResult run(const PluginPtr& p, uint64_t memory = 10) {
  SimConfig c;
  c.memory_mb = memory;
  return simulate(trace(), p, c);
}

TEST(HostData, SkippedHooksAreNotCalledAndResultsDoNotChange) {
  static const PluginPtr p = Plugin::from_descriptor(descriptor_for<Counting>(), "test");
  g_calls = {};
  const CellResult all = run(p);
  EXPECT_EQ(g_calls.arrivals, 8);
  EXPECT_EQ(g_calls.choose_warm, static_cast<int>(all.metrics.warm));
  EXPECT_GT(all.metrics.warm, 0u);
  EXPECT_GT(all.metrics.evictions, 0u);
  EXPECT_EQ(g_calls.clock_mismatches, 0);

  g_calls = {};
  g_calls.skip = true;
  const CellResult skipped = run(p);
  EXPECT_EQ(g_calls.arrivals, 0);
  EXPECT_EQ(g_calls.choose_warm, 0);
  EXPECT_EQ(skipped.metrics.warm, all.metrics.warm);
  EXPECT_EQ(skipped.metrics.cold, all.metrics.cold);
  EXPECT_EQ(skipped.metrics.evictions, all.metrics.evictions);
  EXPECT_EQ(skipped.metrics.idle_mb_s, all.metrics.idle_mb_s);
}

TEST(HostData, PriorityPolicySkipsOnlyTheHooksItDoesNotOverride) {
  static const PluginPtr plain = Plugin::from_descriptor(descriptor_for<Recent>(), "test");
  static const PluginPtr counting =
      Plugin::from_descriptor(descriptor_for<RecentWithArrival>(), "test");
  g_calls = {};
  const CellResult a = run(plain);
  const CellResult b = run(counting);
  EXPECT_EQ(g_calls.arrivals, 8);  // the override is called on every arrival
  EXPECT_EQ(a.metrics.warm, b.metrics.warm);
  EXPECT_EQ(a.metrics.evictions, b.metrics.evictions);
  EXPECT_EQ(a.metrics.idle_mb_s, b.metrics.idle_mb_s);
}

// A host built before the appended fields: Host::now() calls now(), skip_hooks writes nothing.
double g_old_now = 0;
TEST(HostData, AnOlderHostWithoutTheFieldsIsServedByTheCallbacks) {
  kw_host h{};
  h.struct_size = static_cast<uint32_t>(offsetof(kw_host, clock));
  h.now = [](const kw_host*) { return g_old_now; };
  uint32_t mask = 0;
  const double other_clock = -1;
  h.clock = &other_clock;  // beyond struct_size: must not be read
  h.skip_hooks = &mask;    // beyond struct_size: must not be written
  struct Probe : Policy {
    using Policy::Policy;
    kw_container_id choose_victim(kw_function_id) override { return KW_NO_CONTAINER; }
    void skip_all() const { skip_hooks(KW_SKIP_ON_ARRIVAL | KW_SKIP_CHOOSE_WARM); }
  };
  const Probe probe(&h);
  g_old_now = 42.5;
  EXPECT_EQ(probe.host().now(), 42.5);
  probe.skip_all();
  EXPECT_EQ(mask, 0u);

  h.struct_size = sizeof(kw_host);  // a current host: both are used
  const Probe current(&h);
  EXPECT_EQ(current.host().now(), -1);
  current.skip_all();
  EXPECT_EQ(mask, KW_SKIP_ON_ARRIVAL | KW_SKIP_CHOOSE_WARM);
}

}  // namespace
