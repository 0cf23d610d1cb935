// test_policy_ttl.cpp: fixed keep-alive deadlines, LRU under pressure, lazy compat purge.
#include <gtest/gtest.h>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

constexpr double kMin = 60'000.0;

TEST(PolicyTtl, KeepsAliveTenMinutesFromIdle) {
  // a runs 0..1000 cold, so its deadline is 1000 + 10 min. Reused at 600500 (warm, runs to
  // 600600), deadline 1200600; the arrival at exactly 1200600 comes after the expiry: cold.
  const Trace t =
      test::make_trace({{"a", 100, 1000, 100}}, {{0, "a"}, {600'500, "a"}, {1'200'600, "a"}});
  test::Recorder rec;
  const CellResult r = test::run_with(t, "ttl", 1000, {}, Compat::none, &rec);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 2u);
  ASSERT_EQ(r.metrics.expirations, 1u);
  EXPECT_DOUBLE_EQ(rec.removals[0].t, 600'600 + 10 * kMin);
}

TEST(PolicyTtl, KeepaliveParameter) {
  const Trace t = test::make_trace({{"a", 100, 1000, 100}}, {{0, "a"}, {2 * kMin, "a"}});
  EXPECT_EQ(test::run_with(t, "ttl", 1000, {{"keepalive_min", "1"}}).metrics.cold, 2u);
  EXPECT_EQ(test::run_with(t, "ttl", 1000, {{"keepalive_min", "3"}}).metrics.cold, 1u);
  EXPECT_THROW(test::run_with(t, "ttl", 1000, {{"keepalive_mins", "3"}}), std::exception);
}

TEST(PolicyTtl, EvictsLeastRecentlyUsedUnderPressure) {
  const Trace t = test::make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}},
                                   {{0, "b"}, {100, "a"}, {200, "b"}, {300, "c"}});
  test::Recorder rec;
  test::run_with(t, "ttl", 200, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "a")}));
}

TEST(PolicyTtl, CompatPurgesOnlyOnTheFunctionsNextInvocation) {
  // a expires (10 min after its start at 0) but, in compat mode, still holds memory when c
  // arrives at 11 min: c must evict. b's arrival at 12 min finds its own expired container,
  // purges it (an expiry) and starts cold.
  const Trace t = test::make_trace({{"a", 100, 10, 10}, {"b", 100, 10, 10}, {"c", 100, 10, 10}},
                                   {{0, "a"}, {1, "b"}, {11 * kMin, "c"}, {12 * kMin, "b"}});
  const CellResult def = test::run_with(t, "ttl", 200);
  EXPECT_EQ(def.metrics.evictions, 0u);
  EXPECT_EQ(def.metrics.expirations, 2u);
  const CellResult compat = test::run_with(t, "ttl", 200, {}, Compat::faascache);
  EXPECT_EQ(compat.metrics.evictions, 1u);    // a
  EXPECT_EQ(compat.metrics.expirations, 1u);  // b, at its next arrival
  EXPECT_EQ(compat.metrics.cold, 4u);
}

}  // namespace
