// test_policy_gd.cpp: the Greedy-Dual family (gd, freq, size): victims by priority, frequency
// and clock.
#include <gtest/gtest.h>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

// a: 100 MB, cost 1000 (cost/size 10); b: 10 MB, cost 500 (cost/size 50); c: 10 MB.
Trace two_costs() {
  return test::make_trace({{"a", 100, 1100, 100}, {"b", 10, 600, 100}, {"c", 10, 100, 100}},
                          {{0, "a"}, {1, "b"}, {5000, "c"}});
}

TEST(PolicyGd, EvictsLowestCostPerSize) {
  const Trace t = two_costs();
  test::Recorder rec;
  test::run_with(t, "gd", 110, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "a")}));  // 10 < 50
}

TEST(PolicyFreq, IgnoresSize) {
  const Trace t = two_costs();
  test::Recorder rec;
  test::run_with(t, "freq", 110, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "b")}));  // 500 < 1000
}

TEST(PolicySize, IgnoresCost) {
  const Trace t = two_costs();
  test::Recorder rec;
  test::run_with(t, "size", 110, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "a")}));  // 1/100 < 1/10
}

TEST(PolicyGd, FrequencyRaisesPriority) {
  // a: cost/size 10, b: cost/size 15. Used 5 times, a's priority is 50 > 15: b goes.
  const Trace t = test::make_trace(
      {{"a", 100, 1100, 100}, {"b", 100, 1600, 100}, {"c", 100, 100, 100}},
      {{0, "a"}, {2000, "a"}, {3000, "a"}, {4000, "a"}, {5000, "a"}, {6000, "b"}, {9000, "c"}});
  test::Recorder rec;
  test::run_with(t, "gd", 200, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "b")}));
}

TEST(PolicyGd, FrequencyResetsWhenLastContainerGoes) {
  // a: cost/size 10; b: cost/size 25; x: 200 MB and cost 0; c: 100 MB. Memory 200.
  const Trace t = test::make_trace(
      {{"a", 100, 1100, 100}, {"b", 100, 2600, 100}, {"x", 200, 100, 100}, {"c", 100, 100, 100}},
      {{0, "a"},        // a: 0 + 1 x 10
       {2000, "a"},     // 20
       {3000, "a"},     // 30
       {4000, "b"},     // b: 25 (runs to 6600)
       {7000, "x"},     // evicts b (25), then a (30): clock 30; x: 30 + 0
       {8000, "a"},     // evicts x (30); a: 30 + 1 x 10 = 40 (frequency restarted, not 4)
       {8001, "b"},     // fits; b: 30 + 25 = 55
       {12000, "c"}});  // idle a (40) and b (55): a goes; without the reset a would be 70
  test::Recorder rec;
  test::run_with(t, "gd", 200, {}, Compat::none, &rec);
  const std::vector<uint32_t> want = {fn_index(t, "b"), fn_index(t, "a"), fn_index(t, "x"),
                                      fn_index(t, "a")};
  EXPECT_EQ(rec.evicted(), want);
}

TEST(PolicyGd, CompatFrequencyIsSumOverLiveContainersAndShared) {
  // Same trace in compat mode: at 7000 the reference asks for 200 MB of victims: b and a go
  // (a's three served invocations leave with its container), and the clock is a's 30.
  const Trace t = test::make_trace(
      {{"a", 100, 1100, 100}, {"b", 100, 2600, 100}, {"x", 200, 100, 100}, {"c", 100, 100, 100}},
      {{0, "a"},
       {2000, "a"},
       {3000, "a"},
       {4000, "b"},
       {7000, "x"},
       {8000, "a"},
       {8001, "b"},
       {12000, "c"}});
  test::Recorder rec;
  const CellResult r = test::run_with(t, "gd", 200, {}, Compat::faascache, &rec);
  const std::vector<uint32_t> want = {fn_index(t, "b"), fn_index(t, "a"), fn_index(t, "x"),
                                      fn_index(t, "a")};
  EXPECT_EQ(rec.evicted(), want);
  EXPECT_EQ(r.metrics.dropped, 0u);
}

}  // namespace
