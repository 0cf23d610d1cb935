// test_policy_hybrid_histogram.cpp: fixed fallback, histogram windows, the out-of-range
// forecast and prewarm timing, and the plugin against a plain re-statement of its rules.
#include <gtest/gtest.h>
#include <keepwarm/priority_policy.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "../plugins/hybrid-histogram/thresholds.hpp"
#include "keepwarm/traces/formats.hpp"
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

// The policy's rules stated plainly: every idle time kept and sorted for each window, the
// host's running_count and idle_count asked for "f's only container", the window computed at
// every idle hook. The plugin's incremental histogram, percentile cursors, its own container
// counts and its set_idle_keepalive must give the same events.
struct Seen {  // what the trace made the rules do, so that the test can ask for variety
  uint64_t zero_its = 0, unloads = 0, busy_idles = 0, histogram_windows = 0, forecasts = 0;
};

class PlainHybridHistogram final : public PriorityPolicy<PlainHybridHistogram> {
 public:
  static constexpr const char* kName = "plain-hybrid-histogram";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "hybrid-histogram's rules, stated plainly";
  static constexpr bool kUsesFrequency = false;
  static constexpr std::array<kw_param_decl, 12> kParams{{
      {"range_min", KW_PARAM_DOUBLE, "240", ""},
      {"bin_min", KW_PARAM_DOUBLE, "1", ""},
      {"cv_threshold", KW_PARAM_DOUBLE, "2", ""},
      {"min_samples", KW_PARAM_INT, "10", ""},
      {"head_pct", KW_PARAM_DOUBLE, "5", ""},
      {"tail_pct", KW_PARAM_DOUBLE, "99", ""},
      {"margin", KW_PARAM_DOUBLE, "0.1", ""},
      {"oob_threshold", KW_PARAM_DOUBLE, "0.5", ""},
      {"fixed_keepalive_min", KW_PARAM_DOUBLE, "240", ""},
      {"ewma_alpha", KW_PARAM_DOUBLE, "0.5", ""},
      {"arima_margin", KW_PARAM_DOUBLE, "0.15", ""},
      {"prewarm", KW_PARAM_BOOL, "true", ""},
  }};
  static inline Seen seen;

  explicit PlainHybridHistogram(const kw_host* h)
      : PriorityPolicy(h),
        bin_ms_(p("bin_min") * 60'000.0),
        bins_(static_cast<uint32_t>(std::ceil(p("range_min") * 60'000.0 / bin_ms_))),
        fns_(host().function_count(), F{std::vector<uint64_t>(bins_)}) {}
  double priority(kw_function_id, double, double) const { return host().now(); }

  void on_arrival(kw_function_id fn) override {
    F& f = fns_[fn];
    if (f.seen) {
      const bool busy = host().running_count(fn) > 0;
      const double it = busy ? 0.0 : std::max(0.0, host().now() - f.last_end);
      seen.zero_its += busy;
      const double alpha = p("ewma_alpha");
      f.forecast = f.samples == 0 ? it : alpha * it + (1 - alpha) * f.forecast;
      ++f.samples;
      if (it / bin_ms_ >= bins_)
        ++f.oob;
      else
        ++f.count[static_cast<uint32_t>(it / bin_ms_)];
    }
    f.seen = true;
  }
  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    PriorityPolicy::on_container_started(c, fn, kind);
    if (kind == KW_START_PREWARM) prewarmed_.insert(c);
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    F& f = fns_[fn];
    const double now = host().now();
    if (prewarmed_.erase(c) != 0) {
      PriorityPolicy::on_container_idle(c, fn);
      host().set_keepalive(c, f.prewarm_deadline);
      return;
    }
    f.last_end = now;
    const auto [prewarm_ms, keepalive_ms] = window(f);
    const bool only = host().running_count(fn) == 0 && host().idle_count(fn) == 1;
    seen.busy_idles += !only;
    if (host().param_bool("prewarm") && prewarm_ms > 0 && only) {
      ++seen.unloads;
      host().set_keepalive(c, now);
      f.prewarm_deadline = now + keepalive_ms;
      host().request_prewarm(fn, now + prewarm_ms);
    } else {
      PriorityPolicy::on_container_idle(c, fn);
      host().set_keepalive(c, now + keepalive_ms);
    }
  }

 private:
  struct F {
    std::vector<uint64_t> count;  // in-range idle times per bin
    uint64_t samples = 0, oob = 0;
    double forecast = 0, last_end = 0, prewarm_deadline = 0;
    bool seen = false;
  };
  double p(const char* name) const { return host().param_double(name); }

  std::pair<double, double> window(const F& f) const {
    const double bin_ms = bin_ms_;
    const uint32_t bins = bins_;
    const std::vector<uint64_t>& count = f.count;
    const uint64_t oob = f.oob, total = f.samples, in = total - oob;
    const std::pair<double, double> fixed{0, p("fixed_keepalive_min") * 60'000.0};
    if (total < std::max<uint64_t>(static_cast<uint64_t>(host().param_int("min_samples")), 1))
      return fixed;
    if (hybrid_histogram::ratio_exceeds(oob, total, p("oob_threshold"))) {
      ++seen.forecasts;
      const double m = p("arima_margin");
      return {(1 - m) * f.forecast, (1 + m) * f.forecast};
    }
    if (in == 0) return fixed;
    double sum_sq = 0;
    for (const uint64_t k : count) sum_sq += static_cast<double>(k) * static_cast<double>(k);
    if (!hybrid_histogram::cv_exceeds(sum_sq, in, bins, p("cv_threshold"))) return fixed;
    ++seen.histogram_windows;
    // The bin of the idle time of rank max(1, ceil(q x n)) in sorted order.
    const auto at = [&](double q) {
      const uint64_t rank =
          std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(in))));
      uint64_t below = 0;
      uint32_t b = 0;
      while (below + count[b] < rank) below += count[b++];
      return b;
    };
    const double margin = p("margin");
    return {at(p("head_pct") / 100) * bin_ms * (1 - margin),
            (at(p("tail_pct") / 100) + 1) * bin_ms * (1 + margin)};
  }

  double bin_ms_;
  uint32_t bins_;
  std::vector<F> fns_;
  std::set<kw_container_id> prewarmed_;
};

TEST(PolicyHybridHistogram, GivesTheEventsOfItsRulesStatedPlainly) {
  AzureLikeSpec spec;
  spec.functions = 40;
  spec.duration_ms = 3 * 3600'000.0;
  spec.seed = 11;
  spec.min_per_day = 20;
  spec.max_per_day = 60'000;  // busy functions: invocations that overlap (idle times of 0)
  spec.warm_median_ms = 2000;
  const Trace trace = generate_azure_like(spec);
  const PluginPtr plugin = test::builtin("hybrid-histogram");
  const PluginPtr plain =
      Plugin::from_descriptor(descriptor_for<PlainHybridHistogram>(), "plain-hybrid-histogram");
  SimConfig unlimited;
  unlimited.memory_mb = UINT64_MAX / 2;
  unlimited.params = plugin->resolve_params({});
  const uint64_t peak = simulate(trace, plugin, unlimited).metrics.peak_memory_mb;
  // The defaults; then short bins and few samples (histogram windows and prewarms), and a
  // short range (the forecast); without prewarming.
  const std::vector<std::map<std::string, std::string>> settings = {
      {},
      {{"bin_min", "0.25"}, {"range_min", "30"}, {"min_samples", "3"}, {"cv_threshold", "1"}},
      {{"bin_min", "0.1"}, {"range_min", "2"}, {"min_samples", "2"}, {"oob_threshold", "0.3"}},
      {{"bin_min", "0.5"}, {"min_samples", "3"}, {"prewarm", "false"}}};
  Seen total;
  for (const auto& params : settings) {
    for (const uint64_t memory : {peak / 4, peak * 2}) {
      SimConfig c;
      c.memory_mb = memory;
      c.params = plugin->resolve_params(params);
      PlainHybridHistogram::seen = {};
      test::EventText want, got;
      const CellResult a = simulate(trace, plain, c, nullptr, &want);
      const CellResult b = simulate(trace, plugin, c, nullptr, &got);
      ASSERT_GT(want.events.size(), 1000u);
      EXPECT_EQ(got.events, want.events) << memory << " MB, setting " << (&params - &settings[0]);
      EXPECT_EQ(b.metrics.idle_mb_s, a.metrics.idle_mb_s);
      const Seen& s = PlainHybridHistogram::seen;
      total.zero_its += s.zero_its;
      total.unloads += s.unloads;
      total.busy_idles += s.busy_idles;
      total.histogram_windows += s.histogram_windows;
      total.forecasts += s.forecasts;
    }
  }
  // The trace and settings reach every rule.
  std::printf(
      "zero idle times %llu, unloads %llu, idle with others %llu, histogram windows %llu, "
      "forecasts %llu\n",
      static_cast<unsigned long long>(total.zero_its),
      static_cast<unsigned long long>(total.unloads),
      static_cast<unsigned long long>(total.busy_idles),
      static_cast<unsigned long long>(total.histogram_windows),
      static_cast<unsigned long long>(total.forecasts));
  EXPECT_GT(total.zero_its, 1000u);
  EXPECT_GT(total.unloads, 100u);
  EXPECT_GT(total.busy_idles, 1000u);
  EXPECT_GT(total.histogram_windows, 1000u);
  EXPECT_GT(total.forecasts, 100u);
}

TEST(PolicyHybridHistogram, RejectsBadParameters) {
  const Trace t = test::make_trace({{"a", 100, 1000, 1000}}, {{0, "a"}});
  EXPECT_THROW(test::run_with(t, "hybrid-histogram", 1000, {{"bin_min", "0"}}), std::exception);
  EXPECT_THROW(test::run_with(t, "hybrid-histogram", 1000, {{"cv", "3"}}), std::exception);
  // At most 65536 bins (a bin number is 16-bit in the policy's state): 240 minutes of
  // 0.003-minute bins are 80,000.
  EXPECT_THROW(test::run_with(t, "hybrid-histogram", 1000, {{"bin_min", "0.003"}}), std::exception);
  EXPECT_NO_THROW(test::run_with(t, "hybrid-histogram", 1000,
                                 {{"bin_min", "0.00375"}, {"range_min", "245.76"}}));  // 65536
}

}  // namespace
