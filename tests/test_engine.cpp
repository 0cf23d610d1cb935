// test_engine.cpp: the simulation model's rules on tiny hand-made traces (docs/model.md).
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace keepwarm;
using keepwarm::test::make_trace;

namespace {

Trace worked_example() {
  return make_trace({{"x", 100, 1000, 100}, {"y", 100, 1500, 100}, {"z", 250, 1000, 100}},
                    {{0, "x"}, {10, "y"}, {2000, "z"}, {3000, "y"}, {4000, "x"}});
}

TEST(Engine, WorkedExampleLru) {
  const CellResult r = test::run(worked_example(), test::builtin("lru"), 400);
  EXPECT_EQ(r.metrics.invocations, 5u);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 4u);
  EXPECT_EQ(r.metrics.dropped, 0u);
  EXPECT_EQ(r.metrics.evictions, 2u);
  EXPECT_EQ(r.metrics.peak_memory_mb, 350u);
}

TEST(Engine, WorkedExampleLruCompatOverEvicts) {
  const CellResult r = test::run(worked_example(), test::builtin("lru"), 400, Compat::faascache);
  EXPECT_EQ(r.metrics.warm, 0u);
  EXPECT_EQ(r.metrics.cold, 5u);
  EXPECT_EQ(r.metrics.dropped, 0u);
  EXPECT_EQ(r.metrics.evictions, 3u);
}

}  // namespace
