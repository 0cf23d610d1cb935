// test_stats.cpp: the statistics of the ranking: Student t critical values and confidence
// intervals (known values), competition ranks for ties, the overall geometric-mean score and
// its rule for zeros, the baseline choice, and summary.csv / results.json's summary against
// the per-seed rows of results.csv.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "keepwarm/report/report.hpp"
#include "keepwarm/util/json_read.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

TEST(StudentT, CriticalValuesMatchTables) {
  // Two-sided 95% (t_{0.975, df}) from standard tables.
  EXPECT_NEAR(student_t_critical(0.95, 1), 12.7062047362, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 2), 4.3026527297, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 3), 3.1824463053, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 4), 2.7764451052, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 9), 2.2621571628, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 29), 2.0452296421, 1e-8);
  EXPECT_NEAR(student_t_critical(0.95, 100), 1.9839715185, 1e-8);
  // Two-sided 99% and 90%.
  EXPECT_NEAR(student_t_critical(0.99, 5), 4.0321429836, 1e-8);
  EXPECT_NEAR(student_t_critical(0.90, 10), 1.8124611228, 1e-8);
  // Towards the normal distribution's 1.959964 for large df.
  EXPECT_NEAR(student_t_critical(0.95, 100000), 1.9599877, 1e-6);
  EXPECT_TRUE(std::isnan(student_t_critical(0.95, 0)));
  EXPECT_TRUE(std::isnan(student_t_critical(1.0, 3)));
}

TEST(StudentT, SummaryOfASample) {
  const Stat s = summarize({1, 2, 3, 4, 5});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_NEAR(s.sd, std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(s.ci95, 2.7764451052 * std::sqrt(2.5) / std::sqrt(5.0), 1e-9);  // 1.963243...
  EXPECT_NEAR(s.lo(), 3 - 1.9632432, 1e-6);
  EXPECT_NEAR(s.hi(), 3 + 1.9632432, 1e-6);
  // Three seeds.
  const Stat r = summarize({13380, 13388, 13468});
  EXPECT_NEAR(r.mean, 13412, 1e-9);
  EXPECT_NEAR(r.sd, 48.662100, 1e-5);
  EXPECT_NEAR(r.ci95, 4.3026527297 * 48.662100 / std::sqrt(3.0), 1e-4);
  // One value or equal values: no spread.
  const Stat one = summarize({7});
  EXPECT_EQ(one.sd, 0);
  EXPECT_EQ(one.ci95, 0);
  const Stat same = summarize({0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2});
  EXPECT_EQ(same.sd, 0);
  EXPECT_EQ(summarize({}).n, 0u);
}

// ---- ranking on hand-made results ----------------------------------------------------------

ReportCell cell(const std::string& policy, uint64_t mem, uint64_t misses, uint64_t evictions,
                uint64_t seed = 1) {
  ReportCell c;
  c.trace = "t";
  c.policy = policy;
  c.memory_mb = mem;
  c.seed = seed;
  c.cold = misses;
  c.evictions = evictions;
  c.invocations = 10000;
  return c;
}

ReportData data_of(std::vector<ReportCell> cells, std::vector<std::string> policies) {
  ReportData d;
  d.settings.traces.push_back({"t", "", 0, 0});
  d.settings.policies = std::move(policies);
  d.cells = std::move(cells);
  return d;
}

std::map<std::string, size_t> ranks_at(const Ranking& r, size_t level) {
  std::map<std::string, size_t> out;
  for (const auto& row : r.per_memory.at(level).rows) out[row.policy] = row.rank;
  return out;
}

TEST(Ranking, TiedPoliciesShareARank) {
  // At 100 MB: b, c, d tie (same misses and evictions); e has the same misses but more
  // evictions, so it comes after them. At 200 MB every policy has 45 misses, 0 evictions.
  const ReportData d = data_of(
      {cell("a", 100, 10, 5), cell("d", 100, 20, 5), cell("c", 100, 20, 5), cell("b", 100, 20, 5),
       cell("e", 100, 20, 6), cell("a", 200, 45, 0), cell("b", 200, 45, 0), cell("c", 200, 45, 0),
       cell("d", 200, 45, 0), cell("e", 200, 45, 0)},
      {"a", "b", "c", "d", "e"});
  const Ranking r = rank_policies(build_views(d).at(0));
  ASSERT_EQ(r.per_memory.size(), 2u);
  const std::vector<MemoryRanking::Row>& rows = r.per_memory[0].rows;
  std::vector<std::pair<std::string, size_t>> got;
  for (const auto& row : rows) got.emplace_back(row.policy, row.rank);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, size_t>>{
                     {"a", 1}, {"b", 2}, {"c", 2}, {"d", 2}, {"e", 5}}));
  for (const auto& [p, rank] : ranks_at(r, 1)) EXPECT_EQ(rank, 1u) << p;
  // Overall: b, c and d are identical everywhere and share rank 2; e is 5th.
  std::map<std::string, size_t> overall;
  for (const auto& row : r.overall) overall[row.policy] = row.rank;
  EXPECT_EQ(overall,
            (std::map<std::string, size_t>{{"a", 1}, {"b", 2}, {"c", 2}, {"d", 2}, {"e", 5}}));
  // Mean rank uses the shared ranks: b is 2 at 100 MB and 1 at 200 MB.
  for (const auto& row : r.overall)
    if (row.policy == "b") {
      EXPECT_DOUBLE_EQ(row.mean_rank, 1.5);
    }
}

TEST(Ranking, OverallScoreIsTheGeometricMeanOfRatiosToTheBaseline) {
  // rand: 1000 misses at 100 MB, 10 at 200 MB. x saves 100 misses at the small size (10%), y
  // halves the misses at the large one (5 fewer). Summed, x is better (910 vs 1005); by the
  // score, not dominated by the small size, y is.
  const ReportData d =
      data_of({cell("rand", 100, 1000, 0), cell("rand", 200, 10, 0), cell("x", 100, 900, 0),
               cell("x", 200, 10, 0), cell("y", 100, 1000, 0), cell("y", 200, 5, 0)},
              {"rand", "x", "y"});
  const TraceView v = build_views(d).at(0);
  EXPECT_EQ(v.baseline, "rand");
  const Ranking r = rank_policies(v);
  ASSERT_EQ(r.overall.size(), 3u);
  EXPECT_EQ(r.overall[0].policy, "y");
  EXPECT_EQ(r.overall[1].policy, "x");
  EXPECT_EQ(r.overall[2].policy, "rand");
  EXPECT_NEAR(r.overall[0].score, std::sqrt(1001.0 / 1001 * 6.0 / 11), 1e-12);
  EXPECT_NEAR(r.overall[1].score, std::sqrt(901.0 / 1001 * 11.0 / 11), 1e-12);
  EXPECT_DOUBLE_EQ(r.overall[2].score, 1.0);
  EXPECT_EQ(r.overall[0].scored_sizes, 2u);
  EXPECT_EQ(r.overall[0].vs_baseline, "-26.1%");  // 0.7385 - 1
  EXPECT_EQ(r.overall[2].vs_baseline, "+0.0%");
  EXPECT_DOUBLE_EQ(r.overall[1].misses, 910);  // the sums are still shown
  EXPECT_DOUBLE_EQ(r.overall[0].misses, 1005);
  // Per size, the change vs the baseline.
  EXPECT_EQ(r.per_memory[1].rows[0].policy, "y");
  EXPECT_DOUBLE_EQ(r.per_memory[1].rows[0].change, -0.5);
  EXPECT_EQ(r.per_memory[1].rows[0].vs_baseline, "-50.0%");
}

TEST(Ranking, ZerosAreDefinedByThePlusOneRule) {
  // Both 0 at 200 MB: ratio (0+1)/(0+1) = 1 and "=". z has 3 where rand has 0: (3+1)/1.
  const ReportData d =
      data_of({cell("rand", 100, 9, 0), cell("rand", 200, 0, 0), cell("w", 100, 4, 0),
               cell("w", 200, 0, 0), cell("z", 100, 9, 0), cell("z", 200, 3, 0)},
              {"rand", "w", "z"});
  const Ranking r = rank_policies(build_views(d).at(0));
  std::map<std::string, double> score;
  for (const auto& row : r.overall) score[row.policy] = row.score;
  EXPECT_NEAR(score["w"], std::sqrt(5.0 / 10 * 1.0), 1e-12);
  EXPECT_NEAR(score["z"], std::sqrt(1.0 * 4.0), 1e-12);
  for (const auto& row : r.per_memory[1].rows) {
    if (row.policy == "w") {
      EXPECT_EQ(row.vs_baseline, "=");
    }
    if (row.policy == "z") {
      EXPECT_EQ(row.vs_baseline, "n/a");
      EXPECT_TRUE(std::isnan(row.change));
    }
  }
}

TEST(Ranking, BaselineIsChosenRandByDefaultOrTheFirstPolicy) {
  EXPECT_EQ(resolve_baseline("", {"lru", "rand"}), "rand");
  EXPECT_EQ(resolve_baseline("lru", {"lru", "rand"}), "lru");
  EXPECT_EQ(resolve_baseline("gd", {"lru", "rand"}), "rand");  // not in the run
  EXPECT_EQ(resolve_baseline("", {"lru", "gd"}), "lru");
  EXPECT_EQ(resolve_baseline("", {}), "");
  // A chosen baseline changes the reference of every comparison.
  ReportData d = data_of({cell("rand", 100, 100, 0), cell("lru", 100, 50, 0)}, {"rand", "lru"});
  d.settings.baseline = "lru";
  const Ranking r = rank_policies(build_views(d).at(0));
  EXPECT_EQ(r.baseline, "lru");
  for (const auto& row : r.per_memory[0].rows)
    EXPECT_EQ(row.vs_baseline, row.policy == "lru" ? "+0.0%" : "+100.0%");
  EXPECT_NE(sign_convention("lru").find("negative is better"), std::string::npos);
}

TEST(Ranking, SeedsGiveMeansAndIntervals) {
  const ReportData d = data_of({cell("rand", 100, 10, 0, 1), cell("rand", 100, 12, 0, 2),
                                cell("rand", 100, 17, 0, 3), cell("lru", 100, 11, 0)},
                               {"rand", "lru"});
  const TraceView v = build_views(d).at(0);
  const PolicyMean& m = v.mean.at({"rand", 100});
  EXPECT_EQ(m.runs, 3u);
  EXPECT_DOUBLE_EQ(m.misses(), 13);
  EXPECT_DOUBLE_EQ(m.misses_stat.mean, 13);
  EXPECT_NEAR(m.misses_stat.sd, std::sqrt(13.0), 1e-12);  // (9 + 1 + 16) / 2
  EXPECT_NEAR(m.misses_stat.ci95, 4.3026527297 * std::sqrt(13.0 / 3), 1e-8);
  EXPECT_EQ(v.mean.at({"lru", 100}).misses_stat.ci95, 0);
  // lru (fixed, 11) against rand's interval 13 +- h: the change lies in [11/(13+h) - 1,
  // 11/(13-h) - 1]; rand itself has none.
  const Ranking r = rank_policies(v);
  const double h = 4.3026527297 * std::sqrt(13.0 / 3);
  for (const auto& row : r.per_memory[0].rows) {
    if (row.policy == "lru") {
      EXPECT_NEAR(row.change, 11.0 / 13 - 1, 1e-12);
      EXPECT_NEAR(row.change_lo, 11 / (13 + h) - 1, 1e-9);
      EXPECT_NEAR(row.change_hi, 11 / (13 - h) - 1, 1e-9);
      EXPECT_EQ(format_change_ci(row.change_lo, row.change_hi), "[-49.9%, +172.1%]");
    } else {
      EXPECT_TRUE(std::isnan(row.change_lo));
      EXPECT_EQ(format_change_ci(row.change_lo, row.change_hi), "");
    }
  }
}

// ---- the files and the terminal ------------------------------------------------------------

std::vector<std::map<std::string, std::string>> read_rows(const fs::path& file) {
  return test::read_csv(file).rows;
}

TEST(StatsFiles, SummaryCsvAndJsonAgreeWithTheSeedRows) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto run = test::run_keepwarm("run --reproducible --trace " + (dir / "t").string() +
                                      " --policy rand,lru,ttl --memory 150,600 --seeds 4 --out " +
                                      (dir / "o").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The terminal says what the sign means (in lines of at most 100 columns), shows the CI and
  // the score.
  std::string flat = run.output;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  EXPECT_NE(flat.find("negative is better"), std::string::npos) << run.output;
  EXPECT_NE(flat.find("Equal cold+dropped and evictions share a rank."), std::string::npos);
  EXPECT_NE(run.output.find("vs rand 95% CI"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\u00b195% CI"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("geometric mean"), std::string::npos) << run.output;

  std::map<uint64_t, std::vector<double>> rand_misses;
  for (const auto& row : read_rows(dir / "o/results.csv"))
    if (row.at("policy") == "rand")
      rand_misses[std::stoull(row.at("memory_mb"))].push_back(std::stod(row.at("cold")) +
                                                              std::stod(row.at("dropped")));
  ASSERT_EQ(rand_misses.size(), 2u);
  const auto summary = read_rows(dir / "o/summary.csv");
  ASSERT_EQ(summary.size(), 6u);  // 3 policies x 2 sizes
  size_t checked = 0;
  for (const auto& row : summary) {
    EXPECT_EQ(row.at("baseline"), "rand");
    if (row.at("policy") != "rand") {
      EXPECT_EQ(row.at("seeds"), "1");
      EXPECT_EQ(row.at("misses_sd"), "0.000000");
      continue;
    }
    const std::vector<double>& x = rand_misses.at(std::stoull(row.at("memory_mb")));
    ASSERT_EQ(x.size(), 4u);
    double mean = 0, ss = 0;
    for (double v : x) mean += v / 4;
    for (double v : x) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / 3);
    EXPECT_EQ(row.at("seeds"), "4");
    EXPECT_NEAR(std::stod(row.at("misses_mean")), mean, 1e-6);
    EXPECT_NEAR(std::stod(row.at("misses_sd")), sd, 1e-6);
    EXPECT_NEAR(std::stod(row.at("misses_ci95")), 3.1824463053 * sd / 2, 1e-5);
    EXPECT_EQ(row.at("vs_baseline_pct"), "0.000000");
    ++checked;
  }
  EXPECT_EQ(checked, 2u);

  const json::Value doc = json::parse(test::read_text(dir / "o/results.json"));
  EXPECT_EQ(doc.at("experiment").at("baseline").str(), "rand");
  ASSERT_EQ(doc.at("summary").items.size(), 6u);
  const json::Value& first = doc.at("summary").items[0];
  EXPECT_EQ(first.at("policy").str(), "rand");
  EXPECT_NEAR(first.at("misses").at("mean").num(), std::stod(summary[0].at("misses_mean")), 1e-5);
  EXPECT_NEAR(first.at("misses").at("ci95").num(), std::stod(summary[0].at("misses_ci95")), 1e-5);
  const json::Value& ranking = doc.at("ranking");
  ASSERT_EQ(ranking.items.size(), 3u);
  EXPECT_EQ(ranking.items[0].at("rank").u64(), 1u);
  EXPECT_GT(ranking.items[0].at("scored_memory_sizes").u64(), 0u);
}

TEST(StatsFiles, BaselineFlagChangesTheReference) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 10, 800);
  const std::string base = "run -q --reproducible --trace " + (dir / "t").string() +
                           " --policy rand,lru,gd --memory 150,600 --out " + (dir / "o").string();
  const auto r = test::run_keepwarm(base + " --baseline lru");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json::Value doc = json::parse(test::read_text(dir / "o/results.json"));
  EXPECT_EQ(doc.at("experiment").at("baseline").str(), "lru");
  for (const auto& row : read_rows(dir / "o/summary.csv")) {
    EXPECT_EQ(row.at("baseline"), "lru");
    if (row.at("policy") == "lru") {
      EXPECT_EQ(row.at("vs_baseline_pct"), "0.000000");
    }
  }
  EXPECT_NE(test::read_text(dir / "o/report.html").find("vs lru"), std::string::npos);
  // The report reads the baseline back from results.json.
  ASSERT_EQ(test::run_keepwarm("report " + (dir / "o").string()).exit_code, 0);
  EXPECT_NE(test::read_text(dir / "o/report.html").find("lru (baseline)"), std::string::npos);
  const auto bad = test::run_keepwarm(base + " --baseline oracle");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--baseline 'oracle' is not one of the policies run (rand, lru, gd)"),
            std::string::npos)
      << bad.output;
}

}  // namespace
