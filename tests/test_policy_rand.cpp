// test_policy_rand.cpp: rand evicts only idle containers, is reproducible per seed and spreads
// its victims.
#include <gtest/gtest.h>

#include <set>

#include "policy_test_util.hpp"

using namespace keepwarm;
using test::fn_index;

namespace {

// Four idle 100 MB containers (a..d) and one running one (r, 0..100000) in 500 MB; x needs
// 100 MB at 1000: the victim is one of a..d, never r.
Trace four_idle() {
  return test::make_trace({{"a", 100, 10, 10},
                           {"b", 100, 10, 10},
                           {"c", 100, 10, 10},
                           {"d", 100, 10, 10},
                           {"r", 100, 100000, 10},
                           {"x", 100, 10, 10}},
                          {{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}, {4, "r"}, {1000, "x"}});
}

std::vector<uint32_t> victims(uint64_t seed) {
  test::Recorder rec;
  test::run_with(four_idle(), "rand", 500, {}, Compat::none, &rec, seed);
  return rec.evicted();
}

TEST(PolicyRand, EvictsOnlyIdleContainersReproducibly) {
  const Trace t = four_idle();
  std::set<uint32_t> seen;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::vector<uint32_t> v = victims(seed);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_NE(v[0], fn_index(t, "r"));
    EXPECT_EQ(victims(seed), v);  // same seed, same victim
    seen.insert(v[0]);
  }
  EXPECT_EQ(seen.size(), 4u);  // 40 seeds reach all four idle containers
}

}  // namespace
