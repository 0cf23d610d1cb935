// test_fidelity.cpp: faascache compat mode against the Python FaasCache reference's numbers in
// ../shared/reference/faascache-20-c.csv (read at test time), on the 20-c trace; and the
// oracle against lru and rand in the default mode.
//
// The trace is ../shared/reference/20-c.pckl when load_trace reads it; otherwise the native
// form named by the environment variable KEEPWARM_FIDELITY_TRACE (a directory made from the
// pickle). The reference directory comes from test::shared_reference_dir(), so the environment
// variable KEEPWARM_REFERENCE_DIR may point at it when ../shared is not beside the source tree
// (as in a worktree). Without the data the tests skip with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace keepwarm;
namespace fs = std::filesystem;

namespace {

struct RefRow {
  std::string simulator, policy;
  uint64_t memory = 0;
  double warm = 0, cold = 0, dropped = 0, evictions = 0;
};

std::vector<RefRow> read_reference(const fs::path& file) {
  std::vector<RefRow> rows;
  std::istringstream in(test::read_text(file));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 9) continue;
    RefRow r;
    r.simulator = f[0];
    r.policy = f[1];
    r.memory = std::stoull(f[3]);
    r.warm = std::stod(f[5]);
    r.cold = std::stod(f[6]);
    r.dropped = std::stod(f[7]);
    r.evictions = std::stod(f[8]);
    rows.push_back(r);
  }
  return rows;
}

// The 20-c trace, or nullopt with the reason in `why`.
std::optional<Trace> load_20c(std::string& why) {
  const fs::path ref = test::shared_reference_dir();
  if (!ref.empty()) {
    try {
      return load_trace(ref / "20-c.pckl");
    } catch (const std::exception& e) {
      why = e.what();
    }
  }
  if (const char* env = std::getenv("KEEPWARM_FIDELITY_TRACE"); env != nullptr && *env != '\0')
    return load_trace(env);
  why = "no readable 20-c trace (" + (ref.empty() ? std::string("../shared absent") : why) +
        "; set KEEPWARM_FIDELITY_TRACE to a native-form 20-c directory)";
  return std::nullopt;
}

bool within(double got, double want, double frac, double abs) {
  return std::fabs(got - want) <= std::max(frac * want, abs);
}

class Fidelity : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path ref = test::shared_reference_dir();
    if (ref.empty() || !fs::exists(ref / "faascache-20-c.csv"))
      GTEST_SKIP() << "reference data absent: ../shared/reference next to the source tree (or "
                      "KEEPWARM_REFERENCE_DIR) is needed";
    rows_ = read_reference(ref / "faascache-20-c.csv");
    std::string why;
    trace_ = load_20c(why);
    if (!trace_) GTEST_SKIP() << why;
  }
  std::vector<RefRow> rows_;
  std::optional<Trace> trace_;
};

TEST_F(Fidelity, PriorityPoliciesMatchReference) {
  const std::map<std::string, std::string> mapped = {
      {"GD", "gd"}, {"LRU", "lru"}, {"FREQ", "freq"}, {"SIZE", "size"}};
  int checked = 0;
  for (const RefRow& r : rows_) {
    if (r.simulator != "faascache") continue;
    const auto it = mapped.find(r.policy);
    if (it == mapped.end()) continue;
    const CellMetrics m =
        test::run(*trace_, test::builtin(it->second), r.memory, Compat::faascache).metrics;
    std::printf(
        "fidelity %-5s %5llu MB: cold %5llu (ref %5.0f)  dropped %5llu (ref %5.0f)  "
        "evictions %5llu (ref %5.0f)\n",
        r.policy.c_str(), static_cast<unsigned long long>(r.memory),
        static_cast<unsigned long long>(m.cold), r.cold, static_cast<unsigned long long>(m.dropped),
        r.dropped, static_cast<unsigned long long>(m.evictions), r.evictions);
    EXPECT_TRUE(within(static_cast<double>(m.cold), r.cold, 0.05, 5))
        << r.policy << " " << r.memory << " MB cold " << m.cold << " vs " << r.cold;
    EXPECT_TRUE(within(static_cast<double>(m.dropped), r.dropped, 0.05, 5))
        << r.policy << " " << r.memory << " MB dropped " << m.dropped << " vs " << r.dropped;
    ++checked;
  }
  EXPECT_EQ(checked, 20);
}

TEST_F(Fidelity, TtlMatchesReference) {
  int checked = 0;
  for (const RefRow& r : rows_) {
    if (r.simulator != "faascache" || r.policy != "TTL") continue;
    const CellMetrics m =
        test::run(*trace_, test::builtin("ttl"), r.memory, Compat::faascache).metrics;
    std::printf("fidelity TTL   %5llu MB: cold %5llu (ref %5.0f)  dropped %5llu (ref %5.0f)\n",
                static_cast<unsigned long long>(r.memory), static_cast<unsigned long long>(m.cold),
                r.cold, static_cast<unsigned long long>(m.dropped), r.dropped);
    EXPECT_TRUE(within(static_cast<double>(m.cold), r.cold, 0.05, 5))
        << "TTL " << r.memory << " MB cold " << m.cold << " vs " << r.cold;
    EXPECT_TRUE(within(static_cast<double>(m.dropped), r.dropped, 0.05, 5))
        << "TTL " << r.memory << " MB dropped " << m.dropped << " vs " << r.dropped;
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

// RAND against the three `faascache-assignment` runs. The fidelity target is the mean over
// seeds within 15% (or 5 invocations). For cold starts that holds over 60 seeds. Dropped
// invocations on 20-c are bimodal: in some seeds a random eviction takes the last idle
// container of the busiest function just before a burst, each arrival then starts a 30 s cold
// container, running containers fill memory and several hundred invocations are dropped. The
// reference's own model has the same mode (tools/faascache_rand_model.py: 10 of 200 seeds at
// 800 MB, mean 33.9, against 0.7 over the three published runs), so a mean over many seeds
// cannot match the mean of those three. What is checked instead, per memory size:
// - the mean of cold starts over kSeeds seeds, as the target asks;
// - the median of drops over kSeeds seeds against the reference's mean;
// - a 3-seed experiment like the reference's reproduces the reference's mean, cold and dropped,
//   within that tolerance for at least a quarter of all 3-seed subsets of the kSeeds
//   seeds: the published runs must be an ordinary outcome of keepwarm, not a rare one. This
//   fails if the burst mode were more common than about 1 seed in 3, or if cold starts or
//   drops outside the bursts were off by more than the tolerance.
// The cross-check over 60 seeds against the Python model is the CTest fidelity_rand_model.
TEST_F(Fidelity, RandAssignmentVariantMatchesReference) {
  std::map<uint64_t, std::pair<double, double>> ref_sum;  // memory -> (cold, dropped) sums
  std::map<uint64_t, int> ref_n;
  for (const RefRow& r : rows_) {
    if (r.simulator != "faascache-assignment" || r.policy != "RAND") continue;
    ref_sum[r.memory].first += r.cold;
    ref_sum[r.memory].second += r.dropped;
    ++ref_n[r.memory];
  }
  ASSERT_EQ(ref_sum.size(), 5u);
  constexpr int kSeeds = 60;
  for (const auto& [memory, sums] : ref_sum) {
    const double ref_cold = sums.first / ref_n[memory];
    const double ref_dropped = sums.second / ref_n[memory];
    std::vector<double> colds, drops;
    for (int seed = 1; seed <= kSeeds; ++seed) {
      const CellMetrics m =
          test::run(*trace_, test::builtin("rand"), memory, Compat::faascache, seed, 3000, 0.2)
              .metrics;
      colds.push_back(static_cast<double>(m.cold));
      drops.push_back(static_cast<double>(m.dropped));
    }
    double cold = 0, dropped = 0;
    for (int i = 0; i < kSeeds; ++i) {
      cold += colds[i] / kSeeds;
      dropped += drops[i] / kSeeds;
    }
    std::vector<double> sorted = drops;
    std::sort(sorted.begin(), sorted.end());
    const double median = (sorted[kSeeds / 2 - 1] + sorted[kSeeds / 2]) / 2;
    const int ref_runs = ref_n[memory];
    ASSERT_EQ(ref_runs, 3);
    int subsets = 0, cold_ok = 0, dropped_ok = 0;
    for (int a = 0; a < kSeeds; ++a)
      for (int b = a + 1; b < kSeeds; ++b)
        for (int c = b + 1; c < kSeeds; ++c) {
          ++subsets;
          cold_ok += within((colds[a] + colds[b] + colds[c]) / 3, ref_cold, 0.15, 5);
          dropped_ok += within((drops[a] + drops[b] + drops[c]) / 3, ref_dropped, 0.15, 5);
        }
    const int bursts = static_cast<int>(
        std::count_if(drops.begin(), drops.end(), [&](double d) { return d > median + 100; }));
    std::printf(
        "fidelity RAND  %5llu MB: cold mean %6.1f (ref %6.1f)  dropped mean %6.1f median %6.1f "
        "(ref %6.1f)  burst seeds %2d/%d  3-seed subsets within tolerance: cold %3.0f%% "
        "dropped %3.0f%%\n",
        static_cast<unsigned long long>(memory), cold, ref_cold, dropped, median, ref_dropped,
        bursts, kSeeds, 100.0 * cold_ok / subsets, 100.0 * dropped_ok / subsets);
    EXPECT_TRUE(within(cold, ref_cold, 0.15, 5)) << memory << " MB mean cold " << cold;
    EXPECT_TRUE(within(median, ref_dropped, 0.15, 5)) << memory << " MB median dropped " << median;
    EXPECT_GE(4 * cold_ok, subsets) << memory << " MB: few 3-seed cold means match";
    EXPECT_GE(4 * dropped_ok, subsets) << memory << " MB: few 3-seed dropped means match";
  }
}

}  // namespace

namespace {

// Default mode on 20-c: every built-in policy at the reference's memory sizes (printed for the
// record), and the oracle clearly ahead of lru and rand on cold + dropped summed over sizes.
TEST_F(Fidelity, DefaultModeOracleBeatsLruAndRand) {
  const std::vector<std::string> policies = {
      "oracle", "gd", "lru", "freq", "size", "landlord", "ttl", "hybrid-histogram", "rand"};
  std::map<std::string, double> total;
  for (const std::string& p : policies) {
    std::printf("default %-16s", p.c_str());
    for (const uint64_t memory : {500u, 800u, 1000u, 2000u, 4000u}) {
      const CellMetrics m = test::run(*trace_, test::builtin(p), memory, Compat::none).metrics;
      std::printf(" | %4llu MB c%5llu d%5llu e%5llu", static_cast<unsigned long long>(memory),
                  static_cast<unsigned long long>(m.cold),
                  static_cast<unsigned long long>(m.dropped),
                  static_cast<unsigned long long>(m.evictions));
      total[p] += static_cast<double>(m.cold + m.dropped);
    }
    std::printf(" | sum %6.0f\n", total[p]);
  }
  EXPECT_LT(total["oracle"], 0.9 * total["lru"]);
  EXPECT_LT(total["oracle"], 0.9 * total["rand"]);
}

}  // namespace
