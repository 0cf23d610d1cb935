// test_compat_exact.cpp: keepwarm's compat modes against what the two Python reference
// simulators did, invocation by invocation (../shared/reference/exact: reference.csv and logs/,
// README.md there). For every cell: the outcome (w/c/d) of each invocation and how many
// containers were removed while handling it (evicted, or purged by TTL/HIST: the reference
// counts both as evictions; keepwarm as evictions + expirations), then the totals. A difference
// is reported at the FIRST invocation where keepwarm and the reference part ways: cell, index,
// time, function, expected and got.
//
// KEEPWARM_COMPAT_CELL=substring restricts the run to cells whose log name contains it (a
// debugging aid: e.g. KEEPWARM_COMPAT_CELL=syn-a.HIST).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace keepwarm;
namespace fs = std::filesystem;

namespace {

struct Cell {
  std::string simulator, policy, trace;
  uint64_t memory = 0, seed = 0;
  uint64_t warm = 0, cold = 0, dropped = 0, removed = 0;
  std::string log_name() const {
    const std::string m = std::to_string(memory);
    if (simulator == "faascache-course")
      return trace + ".course-" + policy + "." + m + ".s" + std::to_string(seed) + ".log";
    return trace + "." + policy + "." + m + ".log";
  }
};

std::vector<Cell> read_cells(const fs::path& file) {
  std::vector<Cell> cells;
  std::istringstream in(test::read_text(file));
  std::string line;
  std::getline(in, line);  // simulator,policy,trace,memory_mb,seed,warm,cold,dropped,evictions
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    if (f.size() != 9) throw std::runtime_error(file.string() + ": bad row: " + line);
    Cell c;
    c.simulator = f[0];
    c.policy = f[1];
    c.trace = f[2];
    c.memory = std::stoull(f[3]);
    c.seed = f[4].empty() ? 1 : std::stoull(f[4]);
    c.warm = std::stoull(f[5]);
    c.cold = std::stoull(f[6]);
    c.dropped = std::stoull(f[7]);
    c.removed = std::stoull(f[8]);
    cells.push_back(c);
  }
  return cells;
}

// One line of a log: outcome letter and containers removed.
struct Step {
  char outcome = '?';
  uint64_t removed = 0;
  bool operator==(const Step&) const = default;
};
std::string show(const Step& s) {
  return std::string(1, s.outcome) + (s.removed ? std::to_string(s.removed) : "");
}

std::vector<Step> read_log(const fs::path& file) {
  std::vector<Step> steps;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Step s;
    s.outcome = line[0];
    s.removed = line.size() > 1 ? std::stoull(line.substr(1)) : 0;
    steps.push_back(s);
  }
  return steps;
}

// Records what keepwarm did, in the log's terms: removals counted (evictions and expirations;
// a released HIST prewarm is not an eviction for the reference) are those reported since the
// previous arrival, all of which happen while handling the next one in compat mode.
class Recorder final : public EventObserver {
 public:
  std::vector<Step> steps;
  std::vector<double> times;
  std::vector<uint32_t> fns;
  void arrival(double t, uint32_t fn, Outcome o, kw_container_id) override {
    steps.push_back(Step{o == Outcome::warm ? 'w' : o == Outcome::cold ? 'c' : 'd', pending_});
    times.push_back(t);
    fns.push_back(fn);
    pending_ = 0;
  }
  void removal(double, kw_container_id, uint32_t, uint32_t, kw_removal_reason reason) override {
    if (reason == KW_REMOVED_EVICTED || reason == KW_REMOVED_EXPIRED) ++pending_;
  }
  void prewarm(double, kw_container_id, uint32_t, bool) override {}

 private:
  uint64_t pending_ = 0;
};

const std::map<std::string, std::string>& policy_names() {
  static const std::map<std::string, std::string> m = {{"LRU", "lru"},
                                                       {"GD", "gd"},
                                                       {"FREQ", "freq"},
                                                       {"SIZE", "size"},
                                                       {"LND", "landlord"},
                                                       {"TTL", "ttl"},
                                                       {"HIST", "hybrid-histogram"},
                                                       {"RAND", "rand"}};
  return m;
}

TEST(CompatExact, EveryReferenceCellIdenticalInvocationByInvocation) {
  const fs::path ref = test::shared_reference_dir();
  if (ref.empty() || !fs::exists(ref / "exact" / "reference.csv"))
    GTEST_SKIP() << "reference data absent: ../shared/reference/exact next to the source tree (or "
                    "KEEPWARM_REFERENCE_DIR) is needed";
  const std::vector<Cell> cells = read_cells(ref / "exact" / "reference.csv");
  ASSERT_FALSE(cells.empty());
  const char* only = std::getenv("KEEPWARM_COMPAT_CELL");
  std::map<std::string, std::unique_ptr<Trace>> traces;
  std::map<std::string, int> exact, total;  // "trace policy" -> cells
  int checked = 0;
  for (const Cell& c : cells) {
    if (only != nullptr && *only != '\0' && c.log_name().find(only) == std::string::npos) continue;
    ASSERT_TRUE(policy_names().count(c.policy)) << "unknown policy " << c.policy;
    std::unique_ptr<Trace>& trace = traces[c.trace];
    if (!trace) trace = std::make_unique<Trace>(load_trace(ref / (c.trace + ".pckl")));
    SimConfig config;
    config.memory_mb = c.memory;
    config.seed = c.seed;
    if (c.simulator == "faascache-course") {
      config.compat = Compat::faascache_course;
      config.overhead_ms = 3000;
      config.overhead_frac = 0.2;
    } else {
      ASSERT_EQ(c.simulator, "faascache");
      config.compat = Compat::faascache;
    }
    const PluginPtr plugin = test::builtin(policy_names().at(c.policy));
    config.params = plugin->resolve_params({});
    Recorder rec;
    const CellMetrics m = simulate(*trace, plugin, config, nullptr, &rec).metrics;
    const std::vector<Step> want = read_log(ref / "exact" / "logs" / c.log_name());
    ASSERT_EQ(want.size(), rec.steps.size()) << c.log_name() << ": invocation count";
    size_t first = want.size();
    for (size_t i = 0; i < want.size() && first == want.size(); ++i)
      if (!(want[i] == rec.steps[i])) first = i;
    const std::string key = c.trace + " " + c.policy;
    ++total[key];
    const bool totals_equal = m.cold == c.cold && m.dropped == c.dropped && m.warm == c.warm &&
                              m.evictions + m.expirations == c.removed;
    if (first == want.size() && totals_equal) ++exact[key];
    EXPECT_EQ(first, want.size()) << c.log_name() << ": first difference at invocation " << first
                                  << " (t = " << (first < rec.times.size() ? rec.times[first] : 0)
                                  << " ms, function "
                                  << (first < rec.fns.size() ? trace->functions[rec.fns[first]].id
                                                             : "?")
                                  << "): expected "
                                  << (first < want.size() ? show(want[first]) : "") << ", got "
                                  << (first < rec.steps.size() ? show(rec.steps[first]) : "");
    EXPECT_TRUE(totals_equal) << c.log_name() << ": totals cold/dropped/removed " << m.cold << "/"
                              << m.dropped << "/" << m.evictions + m.expirations << ", expected "
                              << c.cold << "/" << c.dropped << "/" << c.removed;
    ++checked;
  }
  for (const auto& [key, n] : total)
    std::printf("compat exact %-14s %2d of %2d cells identical\n", key.c_str(), exact[key], n);
  EXPECT_GT(checked, 0);
}

}  // namespace
