// The kw_host fields appended after ABI 1.1 (policy.h): the clock as data, skip_hooks, the
// per-container words, idle_keepalive, and the SDK's fallbacks for a host built before them (a
// smaller struct_size).
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>
#include <keepwarm/priority_policy.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "keepwarm/traces/formats.hpp"

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
  kw_prefetch_hint hint{};
  h.prefetch_hint = &hint;  // beyond struct_size: must not be written
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
  static const void* const base = &other_clock;
  probe.host().set_prefetch_hint(kw_prefetch_hint{&base, 1, 8, 0});
  EXPECT_EQ(hint.base, nullptr);

  h.struct_size = sizeof(kw_host);  // a current host: both are used
  const Probe current(&h);
  EXPECT_EQ(current.host().now(), -1);
  current.skip_all();
  EXPECT_EQ(mask, KW_SKIP_ON_ARRIVAL | KW_SKIP_CHOOSE_WARM);
  current.host().set_prefetch_hint(kw_prefetch_hint{&base, 1, 8, 0});
  EXPECT_EQ(hint.base, &base);
  EXPECT_EQ(hint.word, 1u);
  EXPECT_EQ(hint.scale, 8u);
}

// A GD-like policy: its priority uses the frequency, so PriorityPolicy keeps per-function state.
class Frequent final : public PriorityPolicy<Frequent> {
 public:
  static constexpr const char* kName = "frequent";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "gd-like";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id fn, double clock, double freq) const {
    return clock + freq * 100.0 / host().function(fn).memory_mb;
  }
};

// Policy P behind a host built before some appended fields: create() hands it a copy of the
// host's table with struct_size cut to g_struct_size, and the fields past it poisoned.
uint32_t g_struct_size = 0;
uint64_t* const g_null_words = nullptr;
uint32_t g_word_count = 0;  // 0: the host's
// g_check_hint: the policy's prefetch hint is caught on its way to the host and, at every warm
// start, checked against the policy's heap: the entry it names must be the container's.
bool g_check_hint = false;
kw_prefetch_hint g_hint{};
struct HintChecks {
  uint64_t checked = 0, wrong = 0;
};
HintChecks g_hint_checks;
template <class P>
struct OlderHost {
  kw_host host;
  void* inner;
  static const kw_policy_descriptor& real() { return *descriptor_for<P>(); }
  static OlderHost* of(void* s) { return static_cast<OlderHost*>(s); }
  static void* create(const kw_host* h) {
    auto* o = new OlderHost{*h, nullptr};
    o->host.struct_size = g_struct_size;
    if (g_struct_size <= offsetof(kw_host, container_words)) {
      o->host.container_words = &g_null_words;  // read: a crash
      o->host.container_word_count = 3;
    }
    if (g_word_count != 0) o->host.container_word_count = g_word_count;
    if (g_struct_size <= offsetof(kw_host, idle_keepalive))
      o->host.idle_keepalive = nullptr;                     // written: a crash
    if (g_struct_size <= offsetof(kw_host, prefetch_hint))  // written: a crash
      o->host.prefetch_hint = reinterpret_cast<kw_prefetch_hint*>(alignof(kw_prefetch_hint));
    if (g_check_hint) {
      g_hint = kw_prefetch_hint{};
      o->host.prefetch_hint = &g_hint;
    }
    o->inner = real().create(&o->host);
    if (o->inner == nullptr) {
      delete o;
      return nullptr;
    }
    if (g_check_hint) *h->prefetch_hint = g_hint;  // the host prefetches as it would
    return o;
  }
  // The hint names v = word g_hint.word of c; entry v - 1 of the array at *g_hint.base (16 bytes:
  // the priority, then the insertion order in the high and the slot in the low 32 bits) must be
  // c's, with the priority in c's word 1.
  void check_hint(kw_container_id c) const {
    if (g_hint.base == nullptr || *g_hint.base == nullptr) return;
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    const uint64_t* w = *host.container_words + size_t{slot} * host.container_word_stride;
    const uint64_t v = w[g_hint.word];
    if (v == 0) return;
    const char* entry = static_cast<const char*>(*g_hint.base) + (v - 1) * g_hint.scale;
    uint64_t key_bits, order;
    std::memcpy(&key_bits, entry, 8);
    std::memcpy(&order, entry + 8, 8);
    ++g_hint_checks.checked;
    if (static_cast<uint32_t>(order) != slot || key_bits != w[1]) ++g_hint_checks.wrong;
  }
  static void destroy(void* s) {
    real().destroy(of(s)->inner);
    delete of(s);
  }
  static void started(void* s, kw_container_id c, kw_function_id fn, kw_start_kind k) {
    if (g_check_hint && k == KW_START_WARM) of(s)->check_hint(c);
    real().on_container_started(of(s)->inner, c, fn, k);
  }
  static void idle(void* s, kw_container_id c, kw_function_id fn) {
    real().on_container_idle(of(s)->inner, c, fn);
  }
  static kw_container_id victim(void* s, kw_function_id fn) {
    return real().choose_victim(of(s)->inner, fn);
  }
  static void removed(void* s, kw_container_id c, kw_function_id fn, kw_removal_reason r) {
    real().on_container_removed(of(s)->inner, c, fn, r);
  }
  static void arrival(void* s, kw_function_id fn) { real().on_arrival(of(s)->inner, fn); }
  static kw_container_id warm(void* s, kw_function_id fn) {
    return real().choose_warm(of(s)->inner, fn);
  }
  static void end(void* s) { real().on_end(of(s)->inner); }
  static const kw_policy_descriptor* descriptor() {
    static const kw_policy_descriptor d = [] {
      kw_policy_descriptor d = real();
      d.create = &create;
      d.destroy = &destroy;
      // The hooks P has (the others stay NULL).
      d.on_container_started = d.on_container_started != nullptr ? &started : nullptr;
      d.on_container_idle = d.on_container_idle != nullptr ? &idle : nullptr;
      d.choose_victim = &victim;
      d.on_container_removed = d.on_container_removed != nullptr ? &removed : nullptr;
      d.on_arrival = d.on_arrival != nullptr ? &arrival : nullptr;
      d.choose_warm = d.choose_warm != nullptr ? &warm : nullptr;
      d.on_end = d.on_end != nullptr ? &end : nullptr;
      d.on_timer = nullptr;
      return d;
    }();
    return &d;
  }
};

template <class P>
void expect_same_events_in_older_hosts(size_t functions, double duration_ms) {
  AzureLikeSpec spec;
  spec.functions = functions;
  spec.duration_ms = duration_ms;
  spec.seed = 7;
  spec.min_per_day = 200;
  spec.max_per_day = 20000;
  const Trace t = generate_azure_like(spec);
  const PluginPtr current = Plugin::from_descriptor(descriptor_for<P>(), "test");
  const PluginPtr older = Plugin::from_descriptor(OlderHost<P>::descriptor(), "test");
  SimConfig unlimited;
  unlimited.memory_mb = UINT64_MAX / 2;
  const uint64_t peak = simulate(t, current, unlimited).metrics.peak_memory_mb;
  for (const uint64_t memory : {peak / 10, peak / 3, peak * 2 / 3}) {
    SimConfig c;
    c.memory_mb = memory;
    test::EventText want;
    const CellResult a = simulate(t, current, c, nullptr, &want);
    ASSERT_GT(a.metrics.evictions, 100u) << memory;
    ASSERT_GT(a.metrics.warm, 1000u) << memory;
    // A host before container_words, one with fewer words than PriorityPolicy needs (both: its
    // own words), and the whole table again through the wrapper (the host's words).
    const std::pair<size_t, uint32_t> hosts[] = {
        {offsetof(kw_host, container_words), 0}, {sizeof(kw_host), 2}, {sizeof(kw_host), 0}};
    for (const auto& [size, words] : hosts) {
      g_struct_size = static_cast<uint32_t>(size);
      g_word_count = words;
      test::EventText got;
      const CellResult b = simulate(t, older, c, nullptr, &got);
      EXPECT_EQ(got.events, want.events) << memory << " MB, struct_size " << size << ", " << words;
      EXPECT_EQ(b.metrics.idle_mb_s, a.metrics.idle_mb_s);
    }
  }
}

// PriorityPolicy keeps its per-container state in the host's words when the host has them, and in
// an array of its own in an older host; the victims, hence every event, are the same.
// PriorityPolicy uses the host's words from kHostWordsFunctions (8192) functions on.
TEST(HostData, PriorityPolicyGivesTheSameEventsWithOrWithoutTheHostsWords) {
  expect_same_events_in_older_hosts<Recent>(9000, 5 * 60 * 1000.0);
  expect_same_events_in_older_hosts<Frequent>(9000, 5 * 60 * 1000.0);
  expect_same_events_in_older_hosts<Recent>(60, 2 * 3600 * 1000.0);  // its own arrays throughout
}

// With the host's words PriorityPolicy names each idle container's heap entry
// (kw_host::prefetch_hint, for the host's prefetch ahead of a warm start): at every warm start of
// a run with evictions (the heap built, growing and moving) the entry named is the container's.
// With fewer functions (its own arrays) it gives no hint.
TEST(HostData, PriorityPolicyHintNamesTheHeapEntryAWarmStartRemoves) {
  const PluginPtr older = Plugin::from_descriptor(OlderHost<Recent>::descriptor(), "test");
  for (const size_t functions : {size_t{9000}, size_t{60}}) {
    AzureLikeSpec spec;
    spec.functions = functions;
    spec.duration_ms = 5 * 60 * 1000.0;
    spec.seed = 3;
    spec.min_per_day = 200;
    spec.max_per_day = 200000;
    const Trace t = generate_azure_like(spec);
    SimConfig unlimited;
    unlimited.memory_mb = UINT64_MAX / 2;
    g_struct_size = sizeof(kw_host);
    g_word_count = 0;
    g_check_hint = true;
    const uint64_t peak = simulate(t, older, unlimited).metrics.peak_memory_mb;
    g_hint_checks = {};
    SimConfig c;
    c.memory_mb = peak / 3;
    const CellResult r = simulate(t, older, c);
    g_check_hint = false;
    ASSERT_GT(r.metrics.evictions, 100u) << functions;
    if (functions < 8192) {
      EXPECT_EQ(g_hint.base, nullptr) << functions;
      EXPECT_EQ(g_hint_checks.checked, 0u);
      continue;
    }
    ASSERT_NE(g_hint.base, nullptr);
    EXPECT_EQ(g_hint.word, 2u);
    EXPECT_EQ(g_hint.scale, 16u);
    EXPECT_EQ(g_hint.flags, KW_PREFETCH_HEAP_CHILDREN);
    EXPECT_GT(g_hint_checks.checked, 1000u);
    EXPECT_EQ(g_hint_checks.wrong, 0u) << "of " << g_hint_checks.checked;
  }
}

// Keep-alive deadlines set in on_container_idle, through set_keepalive (kStore false) or
// set_idle_keepalive (true): some idle containers get none, some are removed at once (now), some
// are cleared (INFINITY), the others live for 1 to 50 s. g_nan_at: that idle hook passes NaN.
uint64_t g_nan_at = 0;
template <bool kStore>
class Deadlines final : public Policy {
 public:
  static constexpr const char* kName = "deadlines";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "keep-alive deadlines of every kind";
  using Policy::Policy;
  void on_container_started(kw_container_id c, kw_function_id, kw_start_kind kind) override {
    if (kind == KW_START_WARM) std::erase(idle_, c);
  }
  void on_container_idle(kw_container_id c, kw_function_id) override {
    idle_.push_back(c);
    if (++n_ % 3 == 0) return;  // no deadline: it must not get the previous container's
    const double now = host().now();
    const double d = n_ == g_nan_at ? NAN
                     : n_ % 7 == 0  ? now
                     : n_ % 11 == 0 ? INFINITY
                                    : now + 1000.0 * static_cast<double>(1 + (n_ * 7919) % 50);
    if constexpr (kStore)
      host().set_idle_keepalive(c, d);
    else
      host().set_keepalive(c, d);
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    std::erase(idle_, c);
  }
  kw_container_id choose_victim(kw_function_id) override {
    return idle_.empty() ? KW_NO_CONTAINER : idle_.front();
  }

 private:
  std::vector<kw_container_id> idle_;
  uint64_t n_ = 0;
};

// set_idle_keepalive is set_keepalive applied when on_container_idle returns: the same events,
// with the host's idle_keepalive and with an older host's set_keepalive behind it.
TEST(HostData, IdleKeepaliveGivesTheEventsOfSetKeepalive) {
  AzureLikeSpec spec;
  spec.functions = 30;
  spec.duration_ms = 3600 * 1000.0;
  spec.seed = 5;
  spec.min_per_day = 2000;
  spec.max_per_day = 50000;
  const Trace t = generate_azure_like(spec);
  const PluginPtr call = Plugin::from_descriptor(descriptor_for<Deadlines<false>>(), "test");
  const PluginPtr store = Plugin::from_descriptor(descriptor_for<Deadlines<true>>(), "test");
  const PluginPtr older = Plugin::from_descriptor(OlderHost<Deadlines<true>>::descriptor(), "test");
  g_nan_at = 0;
  for (const uint64_t memory : {uint64_t{4000}, uint64_t{1} << 40}) {
    SimConfig c;
    c.memory_mb = memory;
    test::EventText want, got, got_older;
    const CellResult a = simulate(t, call, c, nullptr, &want);
    ASSERT_GT(a.metrics.expirations, 1000u) << memory;
    ASSERT_GT(a.metrics.warm, 1000u) << memory;
    const CellResult b = simulate(t, store, c, nullptr, &got);
    EXPECT_EQ(got.events, want.events) << memory << " MB";
    EXPECT_EQ(b.metrics.idle_mb_s, a.metrics.idle_mb_s);
    g_struct_size = static_cast<uint32_t>(offsetof(kw_host, idle_keepalive));
    g_word_count = 0;
    simulate(t, older, c, nullptr, &got_older);
    EXPECT_EQ(got_older.events, want.events) << memory << " MB, an older host";
  }
}

// A NaN deadline is the policy error set_keepalive reports, with the host's idle_keepalive too.
TEST(HostData, IdleKeepaliveOfNaNIsAPolicyError) {
  const Trace t = make_trace({{"a", 100, 100, 10}}, {{0, "a"}, {1000, "a"}, {2000, "a"}});
  const PluginPtr store = Plugin::from_descriptor(descriptor_for<Deadlines<true>>(), "test");
  g_nan_at = 2;
  SimConfig c;
  c.memory_mb = 1000;
  try {
    simulate(t, store, c);
    ADD_FAILURE() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("NaN deadline"), std::string::npos) << e.what();
  }
  g_nan_at = 0;
}

}  // namespace
