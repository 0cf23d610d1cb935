// test_policy_landlord.cpp: credit on use, rent proportional to size.
#include <gtest/gtest.h>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

TEST(PolicyLandlord, EvictsLowestCreditPerSizeIgnoringFrequency) {
  // a: cost/size 10, used 5 times; b: cost/size 15, once. Landlord has no frequency: a goes
  // (gd would keep a, whose priority is 5 x 10).
  const Trace t = test::make_trace(
      {{"a", 100, 1100, 100}, {"b", 100, 1600, 100}, {"c", 100, 100, 100}},
      {{0, "a"}, {2000, "a"}, {3000, "a"}, {4000, "a"}, {5000, "a"}, {6000, "b"}, {9000, "c"}});
  test::Recorder rec;
  test::run_with(t, "landlord", 200, {}, Compat::none, &rec);
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "a")}));
}

TEST(PolicyLandlord, RentIsChargedToSurvivors) {
  // a: 100 MB, credit 1000 (10/MB); b: 50 MB, credit 1000 (20/MB). c (100 MB, 12/MB) evicts a,
  // which charges 10/MB of rent: b has 10/MB left, less than fresh c's 12/MB, so d (50 MB)
  // evicts b, not c (comparing raw credits, 20 vs 12, would evict c). e (100 MB) then evicts c
  // (12/MB left... after rent 20: c at 22 - 20 = 2/MB) before d (40/MB).
  const Trace t = test::make_trace({{"a", 100, 1100, 100},
                                    {"b", 50, 1100, 100},
                                    {"c", 100, 1300, 100},
                                    {"d", 50, 2100, 100},
                                    {"e", 100, 100, 100}},
                                   {{0, "a"}, {1, "b"}, {5000, "c"}, {8000, "d"}, {20000, "e"}});
  test::Recorder rec;
  test::run_with(t, "landlord", 150, {}, Compat::none, &rec);
  const std::vector<uint32_t> want = {fn_index(t, "a"), fn_index(t, "b"), fn_index(t, "c")};
  EXPECT_EQ(rec.evicted(), want);
}

}  // namespace
