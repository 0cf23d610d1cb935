// test_policy_lru.cpp: lru's victim choice, per container by default, per function in compat.
#include <gtest/gtest.h>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

TEST(PolicyLru, EvictsLeastRecentlyStarted) {
  const Trace t = test::make_trace(
      {{"a", 100, 100, 10}, {"b", 100, 100, 10}, {"c", 100, 100, 10}, {"d", 100, 100, 10}},
      {{0, "a"}, {1000, "b"}, {2000, "c"}, {3000, "a"}, {4000, "d"}, {5000, "b"}});
  test::Recorder rec;
  const CellResult r = test::run_with(t, "lru", 300, {}, Compat::none, &rec);
  // 4000: idle a (3000), b (1000), c (2000): b goes. 5000: b cold, c (2000) goes.
  EXPECT_EQ(rec.evicted(), (std::vector<uint32_t>{fn_index(t, "b"), fn_index(t, "c")}));
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 5u);
}

TEST(PolicyLru, CompatRecencyIsPerFunction) {
  // a has two containers: one used at 0 (concurrently with the second, started at 0 too) and
  // one reused at 2000. By container, a's first container (last start 0) is the oldest; by
  // function (reference), both of a's containers carry 2000 and b (1000) goes first.
  const Trace t = test::make_trace({{"a", 100, 500, 500}, {"b", 100, 100, 10}, {"c", 100, 100, 10}},
                                   {{0, "a"}, {0, "a"}, {1000, "b"}, {2000, "a"}, {3000, "c"}});
  test::Recorder none_rec, compat_rec;
  test::run_with(t, "lru", 300, {}, Compat::none, &none_rec);
  test::run_with(t, "lru", 300, {}, Compat::faascache, &compat_rec);
  EXPECT_EQ(none_rec.evicted(), (std::vector<uint32_t>{fn_index(t, "a")}));
  EXPECT_EQ(compat_rec.evicted(), (std::vector<uint32_t>{fn_index(t, "b")}));
}

}  // namespace
