// PriorityPolicy (keepwarm/priority_policy.hpp) driven hook by hook through a host of the test's
// own, against a model of its rule: the victim is the idle container with the smallest
// (priority computed at its last start, order of going idle). Random sequences of cold, warm and
// prewarm starts, idles, removals of any idle container and evictions; priorities that rise
// (lru), that fall (a Greedy-Dual clock after a low victim), ties, and -0.0 beside 0.0; in a host
// that offers per-container words and in one that does not (the policy may keep its state in
// either); with the first victim at once, and after a quiet stretch (while the policy only marks
// idle containers).
#include <gtest/gtest.h>
#include <keepwarm/priority_policy.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

using namespace keepwarm;

namespace {

// How the next priority is made (set by the test before each start).
enum class Rule { rising, falling_sometimes, few_values, frequency };
Rule g_rule = Rule::rising;
std::mt19937_64 g_rng;
double g_now = 0;
// What the last priority() call was given and returned.
double g_last_priority = 0, g_last_clock = 0, g_last_freq = 0;

double next_priority(double clock, double freq) {
  switch (g_rule) {
    case Rule::rising:
      return g_now;
    case Rule::falling_sometimes:  // mostly the clock, now and then far below it
      return g_rng() % 5 == 0 ? g_now - static_cast<double>(g_rng() % 1000) : g_now;
    case Rule::few_values: {  // many ties, and both zeros
      static const double values[] = {-0.0, 0.0, 1.0, 2.0, -1.0};
      return values[g_rng() % 5];
    }
    case Rule::frequency:
      return clock + freq * 3.0;
  }
  return 0;
}

// kLists: PriorityPolicy's idle lists (1) or its idle heap (0), whatever the number of functions.
// kOrders: the most orders of going idle before the lists renumber them (0: the default, 2^40).
template <bool kFrequency, int kLists, uint64_t kOrders = 0>
class Scripted final : public PriorityPolicy<Scripted<kFrequency, kLists, kOrders>> {
 public:
  static constexpr const char* kName = "scripted";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "priorities from the test";
  static constexpr bool kUsesFrequency = kFrequency;
  static constexpr int kIdleLists = kLists;
  static constexpr uint64_t kMaxIdleOrder = kOrders != 0 ? kOrders : (uint64_t{1} << 40) - 1;
  using PriorityPolicy<Scripted<kFrequency, kLists, kOrders>>::PriorityPolicy;
  double priority(kw_function_id, double clock, double freq) const {
    g_last_clock = clock;
    g_last_freq = freq;
    g_last_priority = next_priority(clock, freq);
    return g_last_priority;
  }
};

// The host: a clock, a function count and (when words is set) per-container words, 5 per slot
// with the policy's 3 first; 0 when a container is created in the slot, as the host does.
struct TestHost {
  static constexpr uint32_t kStride = 5;
  kw_host h{};
  std::vector<uint64_t> words;
  uint64_t* words_data = nullptr;
  uint32_t skip = 0;
  uint32_t functions;
  TestHost(uint32_t fns, bool with_words, uint32_t slots) : functions(fns) {
    h.struct_size = with_words ? sizeof(kw_host) : offsetof(kw_host, container_words);
    h.host_data = this;
    h.now = [](const kw_host*) { return g_now; };
    h.clock = &g_now;
    h.skip_hooks = &skip;
    h.function_count = [](const kw_host* x) {
      return static_cast<TestHost*>(x->host_data)->functions;
    };
    h.compat_mode = [](const kw_host*) { return KW_COMPAT_NONE; };
    if (with_words) {
      words.assign(static_cast<size_t>(slots) * kStride, 0);
      words_data = words.data();
      h.container_words = &words_data;
      h.container_word_stride = kStride;
      h.container_word_count = 3;
    }
  }
  void created(uint32_t slot) {
    if (!words.empty())
      std::fill_n(words.begin() + static_cast<ptrdiff_t>(slot) * kStride, kStride, uint64_t{0});
  }
};

// The model's record of a slot.
struct Model {
  enum State { free, running, idle } state = free;
  uint32_t fn = 0, generation = 0;
  double priority = 0;
  uint64_t idle_order = 0;
};

template <bool kFrequency, int kLists, uint64_t kOrders = 0>
void run_random_in(Rule rule, bool with_words, uint64_t seed, int steps, int quiet = 0) {
  g_rule = rule;
  g_rng.seed(seed);
  g_now = 0;
  constexpr uint32_t kFunctions = 6, kSlots = 64;
  TestHost host(kFunctions, with_words, kSlots);
  Scripted<kFrequency, kLists, kOrders> policy(&host.h);
  std::vector<Model> m(kSlots);
  uint64_t idle_order = 0;
  double expected_clock = 0;
  std::vector<uint32_t> live(kFunctions, 0);
  std::vector<double> freq(kFunctions, 0);
  auto handle = [&](uint32_t slot) {
    return (static_cast<uint64_t>(m[slot].generation) << 32) | slot;
  };
  auto slots_in = [&](Model::State s, int fn = -1) {
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < kSlots; ++i)
      if (m[i].state == s && (fn < 0 || m[i].fn == static_cast<uint32_t>(fn))) v.push_back(i);
    return v;
  };
  auto pick = [&](const std::vector<uint32_t>& v) { return v[g_rng() % v.size()]; };
  auto start = [&](uint32_t slot, kw_start_kind kind) {
    const uint32_t fn = m[slot].fn;
    if constexpr (kFrequency) {
      if (kind != KW_START_WARM) ++live[fn];
      if (kind != KW_START_PREWARM) freq[fn] += 1.0;
    }
    policy.on_container_started(handle(slot), fn, kind);
    ASSERT_EQ(g_last_clock, expected_clock);
    if constexpr (kFrequency) {
      ASSERT_EQ(g_last_freq, freq[fn]);
    }
    m[slot].priority = g_last_priority;
  };
  auto make_idle = [&](uint32_t slot) {
    m[slot].state = Model::idle;
    m[slot].idle_order = ++idle_order;
    policy.on_container_idle(handle(slot), m[slot].fn);
  };
  auto removed = [&](uint32_t slot, kw_removal_reason reason) {
    policy.on_container_removed(handle(slot), m[slot].fn, reason);
    m[slot].state = Model::free;
    ++m[slot].generation;
    if constexpr (kFrequency)
      if (--live[m[slot].fn] == 0) freq[m[slot].fn] = 0;
  };
  uint64_t evictions = 0, warm = 0;
  for (int step = 0; step < steps; ++step) {
    g_now += static_cast<double>(g_rng() % 3);  // ties in time too
    const int op = static_cast<int>(g_rng() % 100);
    const std::vector<uint32_t> free = slots_in(Model::free);
    const std::vector<uint32_t> running = slots_in(Model::running);
    const std::vector<uint32_t> idle = slots_in(Model::idle);
    if (op < 25 && !free.empty()) {  // a cold start
      const uint32_t slot = pick(free);
      host.created(slot);
      m[slot].fn = static_cast<uint32_t>(g_rng() % kFunctions);
      m[slot].state = Model::running;
      start(slot, KW_START_COLD);
    } else if (op < 30 && !free.empty()) {  // a prewarm
      const uint32_t slot = pick(free);
      host.created(slot);
      m[slot].fn = static_cast<uint32_t>(g_rng() % kFunctions);
      start(slot, KW_START_PREWARM);
      make_idle(slot);
    } else if (op < 55 && !running.empty()) {  // a finish
      make_idle(pick(running));
    } else if (op < 75 && !idle.empty()) {  // a warm start: mostly the most recently idled
      const uint32_t fn = m[pick(idle)].fn;
      std::vector<uint32_t> mine = slots_in(Model::idle, static_cast<int>(fn));
      uint32_t slot = mine.front();
      for (uint32_t s : mine)
        if (m[s].idle_order > m[slot].idle_order) slot = s;
      if (g_rng() % 4 == 0) slot = pick(mine);
      m[slot].state = Model::running;
      ++warm;
      start(slot, KW_START_WARM);
    } else if (op < 82 && !idle.empty()) {  // an expiry anywhere
      removed(pick(idle), KW_REMOVED_EXPIRED);
    } else if (!idle.empty() && step >= quiet) {  // an eviction: the model's victim
      uint32_t want = idle.front();
      for (uint32_t s : idle) {
        const Model &a = m[s], &b = m[want];
        if (a.priority < b.priority || (!(b.priority < a.priority) && a.idle_order < b.idle_order))
          want = s;
      }
      const kw_container_id got = policy.choose_victim(0);
      ASSERT_EQ(got, handle(want)) << "step " << step;
      expected_clock = m[want].priority;
      removed(want, KW_REMOVED_EVICTED);
      ++evictions;
    } else if (idle.empty() && step >= quiet) {
      ASSERT_EQ(policy.choose_victim(0), KW_NO_CONTAINER);
    }
  }
  EXPECT_GT(evictions, static_cast<uint64_t>(steps) / 20);
  EXPECT_GT(warm, static_cast<uint64_t>(steps) / 20);
}

// Both of PriorityPolicy's idle structures.
template <bool kFrequency>
void run_random(Rule rule, bool with_words, uint64_t seed, int steps, int quiet = 0) {
  run_random_in<kFrequency, 1>(rule, with_words, seed, steps, quiet);
  run_random_in<kFrequency, 0>(rule, with_words, seed, steps, quiet);
}

// Both structures, with and without the host's words, seeds 1-4, the first victim at once and
// after a quiet stretch.
template <bool kFrequency>
void run_every_way(Rule rule) {
  for (const bool words : {true, false})
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      run_random<kFrequency>(rule, words, seed, 20000);
      run_random<kFrequency>(rule, words, seed, 20000, 3000);
    }
}

TEST(PriorityPolicy, VictimsAreTheModelsWithRisingPriorities) {
  run_every_way<false>(Rule::rising);
}

TEST(PriorityPolicy, VictimsAreTheModelsWhenPrioritiesFall) {
  run_every_way<false>(Rule::falling_sometimes);
}

TEST(PriorityPolicy, VictimsAreTheModelsWithTiesAndBothZeros) {
  run_every_way<false>(Rule::few_values);
}

// The lists renumber their orders of going idle when they run out (every 2^40 idle transitions,
// every 300 here): victims stay the model's across each renumbering, marks only or built.
TEST(PriorityPolicy, VictimsAreTheModelsAcrossRenumberings) {
  for (const bool words : {true, false})
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      run_random_in<false, 1, 300>(Rule::falling_sometimes, words, seed, 20000);
      run_random_in<false, 1, 300>(Rule::few_values, words, seed, 20000, 3000);
      run_random_in<true, 1, 300>(Rule::frequency, words, seed, 20000);
    }
}

TEST(PriorityPolicy, VictimsAreTheModelsWithFrequenciesAndTheClock) {
  run_every_way<true>(Rule::frequency);
}

}  // namespace
