// test_sweeps.cpp: policy variants and parameter sweeps, from the command line and from
// experiment files: names, the cartesian product, labels, results equal to separate runs, the
// expected trend of ttl's keep-alive on a shipped trace, and errors.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/experiment/runner.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

// results.csv as policy -> memory -> "warm,cold,dropped,evictions,expirations".
std::map<std::string, std::map<std::string, std::string>> counts(const fs::path& csv) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& row : test::read_csv(csv).rows)
    out[row.at("policy")][row.at("memory_mb")] = row.at("warm") + "," + row.at("cold") + "," +
                                                 row.at("dropped") + "," + row.at("evictions") +
                                                 "," + row.at("expirations");
  return out;
}

uint64_t cold(const std::string& counts_text) {
  std::stringstream ss(counts_text);
  std::string warm, c;
  std::getline(ss, warm, ',');
  std::getline(ss, c, ',');
  return std::stoull(c);
}

const fs::path kSample = fs::path(KEEPWARM_SOURCE_DIR) / "traces" / "sample";

TEST(Sweeps, AParameterListOnTheCommandLineGivesOneVariantPerValue) {
  test::TempDir dir;
  const auto r = test::run_keepwarm("run -t " + kSample.string() +
                                    " -p ttl --param ttl.keepalive_min=5,10,20 -m 10000 -o " +
                                    (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = counts(dir / "out/results.csv");
  ASSERT_EQ(c.size(), 3u);
  for (const char* v : {"5", "10", "20"}) {
    const std::string name = std::string("ttl[keepalive_min=") + v + "]";
    ASSERT_EQ(c.count(name), 1u) << name;
    EXPECT_NE(r.output.find(name), std::string::npos) << r.output;
  }
  // With memory to spare, a longer keep-alive can only keep more containers warm: cold starts
  // fall strictly as the keep-alive grows on this trace.
  const uint64_t c5 = cold(c.at("ttl[keepalive_min=5]").at("10000"));
  const uint64_t c10 = cold(c.at("ttl[keepalive_min=10]").at("10000"));
  const uint64_t c20 = cold(c.at("ttl[keepalive_min=20]").at("10000"));
  EXPECT_GT(c5, c10);
  EXPECT_GT(c10, c20);
  // results.json names each variant and records its value.
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("\"ttl[keepalive_min=20]\": {\"keepalive_min\": \"20\"}"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"name\": \"ttl[keepalive_min=5]\""), std::string::npos);
  EXPECT_NE(json.find("\"plugin\": \"ttl\""), std::string::npos);
  // Each variant's numbers are those of a run of that setting alone.
  const auto single = test::run_keepwarm("run -t " + kSample.string() +
                                         " -p ttl --param ttl.keepalive_min=10 -m 10000 -o " +
                                         (dir / "single").string());
  ASSERT_EQ(single.exit_code, 0) << single.output;
  EXPECT_EQ(counts(dir / "single/results.csv").at("ttl").at("10000"),
            c.at("ttl[keepalive_min=10]").at("10000"));
}

TEST(Sweeps, ExperimentFileEntriesWithLabelsParametersAndAProduct) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", R"([experiment]
traces = [")" + kSample.string() + R"("]
memory_mb = [3000]
policies = [
  "lru",
  { policy = "ttl", label = "ttl-short", params = { keepalive_min = 1 } },
  { policy = "ttl", params = { keepalive_min = [10, 20] } },
  { policy = "hybrid-histogram", label = "hist", params = { head_pct = [1, 5], prewarm = [true, false] } },
]
)");
  const Experiment ex = load_experiment(dir / "e.toml");
  PluginRegistry registry({fs::path(KEEPWARM_PLUGIN_DIR)});
  const std::vector<PolicyVariant> v = resolve_policies(ex, registry);
  std::vector<std::string> names;
  for (const PolicyVariant& x : v) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "lru", "ttl-short", "ttl[keepalive_min=10]", "ttl[keepalive_min=20]",
                       "hist[head_pct=1,prewarm=true]", "hist[head_pct=1,prewarm=false]",
                       "hist[head_pct=5,prewarm=true]", "hist[head_pct=5,prewarm=false]"}));
  EXPECT_EQ(v[1].params, (std::map<std::string, std::string>{{"keepalive_min", "1"}}));
  // Values in the order given; the first parameter (by name) varies slowest.
  EXPECT_EQ(v[5].params,
            (std::map<std::string, std::string>{{"head_pct", "1"}, {"prewarm", "false"}}));

  const auto r =
      test::run_keepwarm("run " + (dir / "e.toml").string() + " -o " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = counts(dir / "out/results.csv");
  EXPECT_EQ(c.size(), 8u);
  // The labelled entry is ttl at 1 minute: the same numbers as that setting from flags.
  const auto single = test::run_keepwarm("run -t " + kSample.string() +
                                         " -p ttl --param ttl.keepalive_min=1 -m 3000 -o " +
                                         (dir / "single").string());
  ASSERT_EQ(single.exit_code, 0) << single.output;
  EXPECT_EQ(counts(dir / "single/results.csv").at("ttl").at("3000"), c.at("ttl-short").at("3000"));
}

TEST(Sweeps, ATableSweepAppliesToItsPolicyAndEntryParametersWin) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", R"([experiment]
policies = ["ttl", { policy = "ttl", label = "fixed", params = { keepalive_min = 3 } }]
[policy.ttl]
keepalive_min = [2, 4]
)");
  const Experiment ex = load_experiment(dir / "e.toml");
  PluginRegistry registry({fs::path(KEEPWARM_PLUGIN_DIR)});
  const std::vector<PolicyVariant> v = resolve_policies(ex, registry);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].name, "ttl[keepalive_min=2]");
  EXPECT_EQ(v[1].name, "ttl[keepalive_min=4]");
  EXPECT_EQ(v[2].name, "fixed");
  EXPECT_EQ(v[2].params.at("keepalive_min"), "3");
}

TEST(Sweeps, ErrorsNameTheEntry) {
  test::TempDir dir;
  PluginRegistry registry({fs::path(KEEPWARM_PLUGIN_DIR)});
  auto resolve_error = [&](const std::string& toml) -> std::string {
    test::write_text(dir / "e.toml", toml);
    try {
      resolve_policies(load_experiment(dir / "e.toml"), registry);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  // The same policy twice, unlabelled: points at the second entry and says what to do.
  std::string msg = resolve_error("[experiment]\npolicies = [\"ttl\", \"ttl\"]\n");
  EXPECT_NE(msg.find("e.toml:2:20: policy 'ttl' is listed twice (give one a label"),
            std::string::npos)
      << msg;
  // A bad value inside a sweep points at its parameter.
  msg = resolve_error(
      "[experiment]\npolicies = [{ policy = \"ttl\", params = { keepalive_min = [5, \"x\"] } }]\n");
  EXPECT_NE(msg.find("e.toml:2:42: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("keepalive_min"), std::string::npos) << msg;
  // Unknown keys in an entry.
  test::write_text(dir / "f.toml",
                   "[experiment]\npolicies = [{ policy = \"ttl\", lable = \"x\" }]\n");
  try {
    load_experiment(dir / "f.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("f.toml:2:31: unknown key 'lable'"), std::string::npos)
        << e.what();
  }
  // An empty sweep value on the command line.
  const auto r = test::run_keepwarm("run -t " + kSample.string() +
                                    " -p ttl --param ttl.keepalive_min=5, -m 100");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("empty value"), std::string::npos) << r.output;
}

}  // namespace

namespace {

TEST(MemorySizes, RelativeSizesResolvePerTraceAgainstItsPeak) {
  // The peak as `trace info` prints it: "..., N containers, M MB".
  auto peak_of = [](const fs::path& trace) {
    const auto info = test::run_keepwarm("trace info " + trace.string());
    const size_t at = info.output.find(" containers, ");
    EXPECT_NE(at, std::string::npos) << info.output;
    return std::stoull(info.output.substr(at + 13));
  };
  const fs::path azure = fs::path(KEEPWARM_SOURCE_DIR) / "traces" / "azure-small";
  const uint64_t p1 = peak_of(kSample), p2 = peak_of(azure);
  ASSERT_GT(p1, 0u);
  ASSERT_NE(p1, p2);
  test::TempDir dir;
  const auto r = test::run_keepwarm("run -t " + kSample.string() + " -t " + azure.string() +
                                    " -p lru -m 10%,50%,1000 -o " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = test::read_text(dir / "out/results.csv");
  auto has_row = [&](const std::string& trace, uint64_t mb) {
    return csv.find("\n" + trace + ",lru," + std::to_string(mb) + ",") != std::string::npos;
  };
  for (const auto& [trace, peak] :
       {std::pair<std::string, uint64_t>{"sample", p1}, {"azure-small", p2}}) {
    EXPECT_TRUE(has_row(trace, 1000)) << csv;
    EXPECT_TRUE(has_row(trace, (peak * 10 + 50) / 100)) << trace << " peak " << peak << "\n" << csv;
    EXPECT_TRUE(has_row(trace, (peak * 50 + 50) / 100)) << trace << " peak " << peak << "\n" << csv;
  }
  // Both forms are recorded: the MB of every cell, and the percentage it came from.
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("\"peak_memory_mb\": " + std::to_string(p1) + "}"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"memory_pct\": [10, 50]"), std::string::npos) << json;
  EXPECT_NE(
      json.find("\"memory_mb\": " + std::to_string((p2 * 50 + 50) / 100) + ", \"memory_pct\": 50,"),
      std::string::npos)
      << json;
  EXPECT_NE(r.output.find("unlimited-memory peak " + std::to_string(p1) + " MB"), std::string::npos)
      << r.output;
}

TEST(MemorySizes, RelativeSizesInTheFileAndBadOnes) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", "[experiment]\nmemory_pct = [5, 12.5]\n");
  EXPECT_EQ(load_experiment(dir / "e.toml").memory_pct, (std::vector<double>{5, 12.5}));
  test::write_text(dir / "f.toml", "[experiment]\nmemory_pct = [5, -1]\n");
  try {
    load_experiment(dir / "f.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("f.toml:2:18: each relative memory size must be"),
              std::string::npos)
        << e.what();
  }
  std::vector<uint64_t> mb;
  std::vector<double> pct;
  parse_memory_sizes("10%, 2000,4g,0.5%", &mb, &pct);
  EXPECT_EQ(mb, (std::vector<uint64_t>{2000, 4096}));
  EXPECT_EQ(pct, (std::vector<double>{10, 0.5}));
  EXPECT_THROW(parse_memory_sizes("0%", &mb, &pct), ConfigError);
  EXPECT_THROW(parse_memory_sizes("x%", &mb, &pct), ConfigError);
  EXPECT_THROW(parse_memory_sizes("nan%", &mb, &pct), ConfigError);
  EXPECT_EQ(resolve_memory_pct(10, 9760), 976u);
  EXPECT_EQ(resolve_memory_pct(0.001, 100), 1u);  // never 0 MB
}

}  // namespace
