// test_policy_oracle.cpp: the lookahead heuristic's victims, and its advantage over lru and
// rand on a generated trace.
#include <gtest/gtest.h>

#include <filesystem>

#include <cmath>
#include <cstdint>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

TEST(PolicyOracle, EvictsTheFunctionNeededLast) {
  const Trace t = test::make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}},
                                   {{0, "a"}, {1, "b"}, {1000, "c"}, {5000, "b"}, {10000, "a"}});
  test::Recorder rec;
  const CellResult r = test::run_with(t, "oracle", 200, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted().front(), fn_index(t, "a"));  // a is needed at 10000, b at 5000
  EXPECT_EQ(r.metrics.warm, 1u);                       // b at 5000
}

TEST(PolicyOracle, NeverNeededAgainGoesFirst) {
  const Trace t = test::make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}},
                                   {{0, "a"}, {1, "b"}, {1000, "c"}, {5000, "a"}});
  test::Recorder rec;
  test::run_with(t, "oracle", 200, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "b")}));
}

TEST(PolicyOracle, WeighsDistanceByMemory) {
  // a (100 MB) is needed 4000 ms after the eviction, b (50 MB) 6000 ms after: scores 400000 vs
  // 300000, so a goes although b is needed later.
  const Trace t = test::make_trace({{"a", 100, 10, 10}, {"b", 50, 10, 10}, {"c", 50, 10, 10}},
                                   {{0, "a"}, {1, "b"}, {1000, "c"}, {5000, "a"}, {7000, "b"}});
  test::Recorder rec;
  test::run_with(t, "oracle", 150, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted().front(), fn_index(t, "a"));
}

TEST(PolicyOracle, CountsConcurrency) {
  // a has 2 idle containers; its next arrivals are a pair at 3000 (concurrency 2) and b's next
  // arrival is at 4000. Evicting one of a's two containers costs a cold start at 3000 (the
  // pair needs both), which is sooner than b's cost at 4000: b goes.
  const Trace t = test::make_trace(
      {{"a", 100, 100, 100}, {"b", 100, 10, 10}, {"c", 100, 10, 10}},
      {{0, "a"}, {0, "a"}, {1, "b"}, {1000, "c"}, {3000, "a"}, {3000, "a"}, {4000, "b"}});
  test::Recorder rec;
  test::run_with(t, "oracle", 300, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted().front(), fn_index(t, "b"));
}

// A deterministic mix: 60 functions, exponential inter-arrival times with rates spread over
// two orders of magnitude, memory 20..300 MB.
Trace generated() {
  uint64_t state = 42;
  auto next = [&state] {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  };
  std::vector<Function> fns;
  std::vector<std::pair<double, std::string>> all;
  for (int f = 0; f < 60; ++f) {
    const std::string id = "f" + std::to_string(f);
    const double warm = 50 + 2000 * next();
    fns.push_back({id, static_cast<uint32_t>(20 + 280 * next()), warm * (1.5 + 3 * next()), warm});
    const double mean_gap = 2000.0 * std::pow(100.0, next());
    for (double t = 0; t < 3'600'000; t += -mean_gap * std::log(1 - next())) all.push_back({t, id});
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  return test::make_trace(fns, all);
}

// Memory sizes where the server is not simply overloaded (below ~5 GB most invocations of this
// trace are dropped whatever the policy).
TEST(PolicyOracle, BeatsLruAndRandOnGeneratedTrace) {
  const Trace t = generated();
  double oracle = 0, lru = 0, rnd = 0;
  for (const uint64_t memory : {5000u, 8000u, 12000u}) {
    auto total = [&](const char* p) {
      const CellMetrics m = test::run_with(t, p, memory).metrics;
      return static_cast<double>(m.cold + m.dropped);
    };
    oracle += total("oracle");
    lru += total("lru");
    rnd += total("rand");
  }
  std::printf("generated: oracle %.0f lru %.0f rand %.0f\n", oracle, lru, rnd);
  EXPECT_LT(oracle, 0.75 * lru);
  EXPECT_LT(oracle, 0.75 * rnd);
}

// The shipped traces (always present), at the default experiment's memory sizes; rand as the
// mean of three seeds.
TEST(PolicyOracle, BeatsLruAndRandOnTheShippedTraces) {
  for (const char* name : {"sample", "azure-small"}) {
    const Trace t = load_trace(std::filesystem::path(KEEPWARM_SOURCE_DIR) / "traces" / name);
    double oracle = 0, lru = 0, rnd = 0;
    for (const uint64_t memory : {1000u, 2000u, 4000u, 8000u, 16000u}) {
      auto misses = [&](const char* p, uint64_t seed) {
        const CellMetrics m = test::run(t, test::builtin(p), memory, Compat::none, seed).metrics;
        return static_cast<double>(m.cold + m.dropped);
      };
      oracle += misses("oracle", 1);
      lru += misses("lru", 1);
      rnd += (misses("rand", 1) + misses("rand", 2) + misses("rand", 3)) / 3;
    }
    std::printf("%s: oracle %.0f lru %.0f rand %.0f\n", name, oracle, lru, rnd);
    EXPECT_LT(oracle, 0.9 * lru) << name;
    EXPECT_LT(oracle, 0.9 * rnd) << name;
  }
}

}  // namespace

namespace {

// The rollouts model keepwarm's own rules; in the compat modes (where a victim may be asked for
// although the arrival is then dropped) the oracle must still run, by its score alone.
TEST(PolicyOracle, RunsInEveryCompatMode) {
  const Trace t = load_trace(std::filesystem::path(KEEPWARM_SOURCE_DIR) / "traces" / "sample");
  for (const Compat c : {Compat::faascache, Compat::faascache_course})
    for (const uint64_t memory : {1000u, 2000u}) {
      const CellMetrics m = test::run(t, test::builtin("oracle"), memory, c, 1).metrics;
      EXPECT_EQ(m.warm + m.cold + m.dropped, m.invocations) << compat_name(c) << " " << memory;
      EXPECT_GT(m.warm, 0u);
    }
}

}  // namespace
