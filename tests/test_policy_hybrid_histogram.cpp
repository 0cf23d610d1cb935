// test_policy_hybrid_histogram.cpp: fixed fallback, histogram windows, the out-of-range
// forecast and prewarm timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "policy_test_util.hpp"

using namespace keepwarm;

namespace {

constexpr double kMin = 60'000.0;

TEST(PolicyHybridHistogram, FallsBackToFourHourKeepAlive) {
  // Too few idle times: fixed keep-alive of 240 minutes after the execution ends at 1000.
  const Trace t = test::make_trace(
      {{"a", 100, 1000, 1000}},
      {{0, "a"}, {1000 + 239 * kMin, "a"}, {1000 + 240 * kMin + 1000 + 240 * kMin, "a"}});
  const CellResult r = test::run_with(t, "hybrid-histogram", 1000);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.cold, 2u);  // the second gap is exactly 240 minutes: expired first
}

TEST(PolicyHybridHistogram, PrewarmsAtHeadAndKeepsAliveToTail) {
  // a runs 1000 ms every 30 minutes: every idle time is 29 min 59 s (bin 29). From the tenth
  // sample on (arrival 10) the histogram is representative (all in one bin, CV = sqrt(239)):
  // when that execution ends at 10 x 30 min + 1000, the container is unloaded and one is
  // prewarmed 29 x 0.9 = 26.1 minutes later, kept until 30 x 1.1 = 33 minutes after the end.
  std::vector<std::pair<double, std::string>> inv;
  for (int k = 0; k < 15; ++k) inv.push_back({k * 30 * kMin, "a"});
  const Trace t = test::make_trace({{"a", 100, 1000, 1000}}, inv);
  test::Recorder rec;
  const CellResult r = test::run_with(t, "hybrid-histogram", 1000, {}, Compat::none, &rec);
  ASSERT_FALSE(rec.prewarms.empty());
  EXPECT_DOUBLE_EQ(rec.prewarms.front().first, 10 * 30 * kMin + 1000 + 26.1 * kMin);
  EXPECT_EQ(rec.prewarms.size(), 4u);  // after arrivals 10..13 (14 is the last)
  EXPECT_EQ(r.metrics.prewarm_hits, 4u);
  EXPECT_EQ(r.metrics.cold, 1u);
  // The unload at the end of execution 10 is an expiry at exactly that time.
  ASSERT_FALSE(rec.removals.empty());
  EXPECT_DOUBLE_EQ(rec.removals.front().t, 10 * 30 * kMin + 1000);
}

TEST(PolicyHybridHistogram, NotRepresentativeUsesFixedKeepAlive) {
  // Idle times 1, 4, 7, ... 178 minutes, four times over: 60 bins of 4 each, CV of the 240
  // bin counts = sqrt(3) < 2, so the histogram is not representative and the last gap, 200
  // minutes (beyond the histogram's 99th percentile + 10%), is bridged by the fixed 4-hour
  // keep-alive. (Early on, with few samples in many empty bins, the CV is high and the
  // policy does use the histogram: a property of the paper's rule.)
  std::vector<std::pair<double, std::string>> inv;
  double t = 0;
  for (int k = 0; k < 240; ++k) {
    inv.push_back({t, "a"});
    t += 1000 + ((k % 60) * 3 + 1) * kMin;
  }
  t += 200 * kMin - ((239 % 60) * 3 + 1) * kMin;
  inv.push_back({t, "a"});
  const Trace trace = test::make_trace({{"a", 100, 1000, 1000}}, inv);
  test::Recorder rec;
  test::run_with(trace, "hybrid-histogram", 1000, {}, Compat::none, &rec);
  EXPECT_EQ(rec.outcomes.back(), Outcome::warm);
  // With the histogram forced (threshold 0), the 200-minute gap exceeds the keep-alive.
  test::Recorder forced;
  test::run_with(trace, "hybrid-histogram", 1000, {{"cv_threshold", "0"}}, Compat::none, &forced);
  EXPECT_EQ(forced.outcomes.back(), Outcome::cold);
}

TEST(PolicyHybridHistogram, OutOfRangeIdleTimesUseTheForecast) {
  // a runs 1000 ms, first every 300 minutes: every idle time (299 min 59 s) is beyond the
  // 4-hour histogram, so the out-of-bound ratio is 1 > 0.5 and, from the tenth sample on
  // (arrival 10), the forecast decides: prewarm at 0.85 x forecast after the execution ends,
  // keep alive to 1.15 x forecast. Before that the fixed 4-hour keep-alive expires in every
  // gap, so arrivals 0..10 are cold. Arrival 12 comes 400 minutes after arrival 11; with
  // alpha 0.5 the forecast becomes the mean of the two idle times, 350 min - 1 s, and the
  // prewarm after arrival 12 is placed from that.
  constexpr double kIdle300 = 300 * kMin - 1000, kIdle400 = 400 * kMin - 1000;
  std::vector<std::pair<double, std::string>> inv;
  for (int k = 0; k <= 11; ++k) inv.push_back({k * 300 * kMin, "a"});
  const double t12 = 11 * 300 * kMin + 400 * kMin;
  inv.push_back({t12, "a"});
  inv.push_back({t12 + 400 * kMin, "a"});
  const Trace t = test::make_trace({{"a", 100, 1000, 1000}}, inv);
  test::Recorder rec;
  const CellResult r = test::run_with(t, "hybrid-histogram", 1000, {}, Compat::none, &rec);
  ASSERT_GE(rec.prewarms.size(), 3u);
  EXPECT_DOUBLE_EQ(rec.prewarms[0].first, 10 * 300 * kMin + 1000 + 0.85 * kIdle300);
  EXPECT_DOUBLE_EQ(rec.prewarms[1].first, 11 * 300 * kMin + 1000 + 0.85 * kIdle300);
  EXPECT_DOUBLE_EQ(rec.prewarms[2].first, t12 + 1000 + 0.85 * (0.5 * kIdle400 + 0.5 * kIdle300));
  // Cold: arrivals 0..10, and arrival 12, which comes after the window planned from the
  // 300-minute forecast closed (1.15 x 299 min 59 s). Arrivals 11 and 13 find their prewarmed
  // container.
  EXPECT_EQ(r.metrics.cold, 12u);
  EXPECT_EQ(r.metrics.prewarm_hits, 2u);
  // Changing alpha moves the third prewarm: alpha 1 forecasts the last idle time alone.
  test::Recorder last;
  test::run_with(t, "hybrid-histogram", 1000, {{"ewma_alpha", "1"}}, Compat::none, &last);
  ASSERT_GE(last.prewarms.size(), 3u);
  EXPECT_DOUBLE_EQ(last.prewarms[2].first, t12 + 1000 + 0.85 * kIdle400);
}

TEST(PolicyHybridHistogram, TailPercentileFollowsEveryIdleTime) {
  // 24000 bins of 0.6 s (a three-level set of occupied bins), 300 idle times between 1 and 200
  // minutes in random order, the smallest first. With head_pct 0 every prewarm comes at that
  // smallest bin, before the next arrival; the prewarmed container lives until the upper edge of
  // the tail_pct percentile bin, so an arrival at or after that edge follows an expiry exactly
  // there. Expected times from sorting the idle times recorded so far.
  const double bin_ms = 0.01 * 60'000.0;
  uint64_t seed = 7;
  std::vector<double> its{60'300};  // ms, integers: times stay exact
  for (int k = 0; k < 299; ++k) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    its.push_back(61'000 + static_cast<double>((seed >> 33) % 11'939'000));
  }
  std::vector<std::pair<double, std::string>> inv{{0, "a"}};
  for (const double it : its) inv.push_back({inv.back().first + 1000 + it, "a"});
  const Trace trace = test::make_trace({{"a", 100, 1000, 1000}}, inv);
  for (const double pct : {99.0, 50.0, 37.5}) {
    SCOPED_TRACE(pct);
    const double q = pct / 100;
    std::vector<double> removals, prewarms;
    std::vector<uint32_t> seen;  // bins of the idle times recorded so far
    for (size_t k = 1; k + 1 < inv.size(); ++k) {
      // Execution k ends at e, after the idle time its[k - 1] was recorded.
      const double e = inv[k].first + 1000;
      seen.push_back(static_cast<uint32_t>(std::floor(its[k - 1] / bin_ms)));
      std::vector<uint32_t> sorted = seen;
      std::sort(sorted.begin(), sorted.end());
      const auto n = static_cast<double>(sorted.size());
      const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * n)));
      const double tail = (sorted[rank - 1] + 1) * bin_ms;
      removals.push_back(e);  // unloaded at once
      prewarms.push_back(e + sorted.front() * bin_ms);
      if (its[k] >= tail) removals.push_back(e + tail);  // the prewarmed one expires first
    }
    test::Recorder rec;
    const CellResult r = test::run_with(trace, "hybrid-histogram", 1000,
                                        {{"bin_min", "0.01"},
                                         {"min_samples", "1"},
                                         {"cv_threshold", "0"},
                                         {"oob_threshold", "1"},
                                         {"head_pct", "0"},
                                         {"tail_pct", std::to_string(pct)},
                                         {"margin", "0"}},
                                        Compat::none, &rec);
    std::vector<double> got_removals, got_prewarms;
    for (const auto& rm : rec.removals) got_removals.push_back(rm.t);
    for (const auto& pw : rec.prewarms) got_prewarms.push_back(pw.first);
    EXPECT_EQ(got_removals, removals);
    EXPECT_EQ(got_prewarms, prewarms);
    EXPECT_EQ(r.metrics.cold, 1 + removals.size() - prewarms.size());
    EXPECT_EQ(r.metrics.evictions, 0u);
  }
}

TEST(PolicyHybridHistogram, RejectsBadParameters) {
  const Trace t = test::make_trace({{"a", 100, 1000, 1000}}, {{0, "a"}});
  EXPECT_THROW(test::run_with(t, "hybrid-histogram", 1000, {{"bin_min", "0"}}), std::exception);
  EXPECT_THROW(test::run_with(t, "hybrid-histogram", 1000, {{"cv", "3"}}), std::exception);
}

}  // namespace
