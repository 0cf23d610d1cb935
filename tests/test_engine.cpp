// test_engine.cpp: the simulation model's rules on tiny hand-made traces (docs/model.md).
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace keepwarm;

namespace {

TEST(Engine, WorkedExampleLru) {
  const CellResult r = test::run(test::worked_example(), test::builtin("lru"), 400);
  EXPECT_EQ(r.metrics.invocations, 5u);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 4u);
  EXPECT_EQ(r.metrics.dropped, 0u);
  EXPECT_EQ(r.metrics.evictions, 2u);
  EXPECT_EQ(r.metrics.peak_memory_mb, 350u);
}

TEST(Engine, WorkedExampleLruCompatOverEvicts) {
  const CellResult r =
      test::run(test::worked_example(), test::builtin("lru"), 400, Compat::faascache);
  EXPECT_EQ(r.metrics.warm, 0u);
  EXPECT_EQ(r.metrics.cold, 5u);
  EXPECT_EQ(r.metrics.dropped, 0u);
  EXPECT_EQ(r.metrics.evictions, 3u);
}

}  // namespace
