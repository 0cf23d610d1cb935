// test_fidelity.cpp: the compat modes against the Python FaasCache references' numbers in
// ../shared/reference/faascache-20-c.csv (read at test time), on the 20-c trace, exactly; and
// the oracle against lru and rand in the default mode.
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

// Every FaasCache policy in compat mode: cold, dropped and removed (evictions + expirations;
// the reference counts TTL and HIST purges as evictions) identical to the reference's 20-c row.
// (tests/test_compat_exact.cpp checks the same cells invocation by invocation.)
TEST_F(Fidelity, FaasCachePoliciesIdenticalToReference) {
  const std::map<std::string, std::string> mapped = {{"GD", "gd"},
                                                     {"LRU", "lru"},
                                                     {"FREQ", "freq"},
                                                     {"SIZE", "size"},
                                                     {"LND", "landlord"},
                                                     {"TTL", "ttl"},
                                                     {"HIST", "hybrid-histogram"}};
  int checked = 0;
  for (const RefRow& r : rows_) {
    if (r.simulator != "faascache") continue;
    const auto it = mapped.find(r.policy);
    ASSERT_NE(it, mapped.end()) << "reference policy " << r.policy << " has no keepwarm plugin";
    const CellMetrics m =
        test::run(*trace_, test::builtin(it->second), r.memory, Compat::faascache).metrics;
    std::printf(
        "fidelity %-5s %5llu MB: cold %5llu (ref %5.0f)  dropped %5llu (ref %5.0f)  "
        "removed %5llu (ref %5.0f)\n",
        r.policy.c_str(), static_cast<unsigned long long>(r.memory),
        static_cast<unsigned long long>(m.cold), r.cold, static_cast<unsigned long long>(m.dropped),
        r.dropped, static_cast<unsigned long long>(m.evictions + m.expirations), r.evictions);
    EXPECT_EQ(static_cast<double>(m.warm), r.warm) << r.policy << " " << r.memory << " MB warm";
    EXPECT_EQ(static_cast<double>(m.cold), r.cold) << r.policy << " " << r.memory << " MB cold";
    EXPECT_EQ(static_cast<double>(m.dropped), r.dropped)
        << r.policy << " " << r.memory << " MB dropped";
    EXPECT_EQ(static_cast<double>(m.evictions + m.expirations), r.evictions)
        << r.policy << " " << r.memory << " MB evictions";
    ++checked;
  }
  EXPECT_EQ(checked, 35);
}

// The `faascache-assignment` RAND rows come from one process that seeded once (seeds 1, 2, 3)
// and then ran 500, 800, 1000, 2000 and 4000 MB in that order: only its 500 MB rows are a
// freshly seeded cell, and those are identical in faascache-course mode with that seed. (The
// rows at other sizes continue the same generator, which keepwarm's per-cell seeding does not
// do; ../shared/reference/exact has freshly seeded rows for every size, in
// tests/test_compat_exact.cpp.)
TEST_F(Fidelity, CourseRandFreshlySeededRowsIdentical) {
  uint64_t seed = 0;
  int checked = 0;
  for (const RefRow& r : rows_) {
    if (r.simulator != "faascache-assignment" || r.policy != "RAND") continue;
    if (r.memory != 500) continue;
    ++seed;  // the rows come in seed order
    const CellMetrics m = test::run(*trace_, test::builtin("rand"), r.memory,
                                    Compat::faascache_course, seed, 3000, 0.2)
                              .metrics;
    EXPECT_EQ(static_cast<double>(m.cold), r.cold) << "seed " << seed;
    EXPECT_EQ(static_cast<double>(m.dropped), r.dropped) << "seed " << seed;
    EXPECT_EQ(static_cast<double>(m.evictions), r.evictions) << "seed " << seed;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
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
