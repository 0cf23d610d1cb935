// test_cli_run.cpp: `keepwarm run` and `keepwarm plugins` end to end: results files, experiment
// files, flag overrides, determinism across --jobs, and failing cells that lose nothing else.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(CliRun, WritesResultsWithTheDocumentedColumns) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r = test::run_keepwarm("run --trace " + (dir / "t").string() +
                                    " --policy rand --policy lru --memory 300,600,5000 --seeds 2 "
                                    "--out " +
                                    (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto csv = lines(test::read_text(dir / "out/results.csv"));
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0],
            "trace,policy,memory_mb,seed,invocations,warm,cold,dropped,evictions,expirations,"
            "prewarms,prewarm_hits,cold_pct,dropped_pct,added_latency_ms,idle_mb_s,"
            "peak_memory_mb,wall_s");
  // rand: 3 sizes x 2 seeds, lru (deterministic): 3 sizes x 1.
  EXPECT_EQ(csv.size(), 1u + 6u + 3u);
  EXPECT_EQ(csv[1].rfind("t,rand,300,1,6000,", 0), 0u) << csv[1];
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("\"keepwarm_version\""), std::string::npos);
  const std::string lru_version = test::builtin("lru")->version();
  EXPECT_NE(json.find("\"name\": \"lru\", \"version\": \"" + lru_version + "\""), std::string::npos)
      << json;
  // The terminal ranking names every memory size and the overall ranking.
  EXPECT_NE(r.output.find("memory 300 MB"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("overall"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rand (2 seeds)"), std::string::npos) << r.output;
}

TEST(CliRun, JobsDoNotChangeResults) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const std::string common = "run -q --reproducible --trace " + (dir / "t").string() +
                             " --policy rand,lru --memory 200,400,800,1600 --seeds 3 ";
  const auto a = test::run_keepwarm(common + "--jobs 1 --out " + (dir / "a").string());
  const auto b = test::run_keepwarm(common + "--jobs 4 --out " + (dir / "b").string());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const std::string csv_a = test::read_text(dir / "a/results.csv");
  EXPECT_EQ(csv_a, test::read_text(dir / "b/results.csv"));
  EXPECT_EQ(lines(csv_a).size(), 1u + 12u + 4u);
  // And a different seed changes rand's numbers (the seed reaches the policy).
  const auto c =
      test::run_keepwarm("run -q --reproducible --trace " + (dir / "t").string() +
                         " --policy rand --memory 200 --seeds 9,10 --out " + (dir / "c").string());
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const auto rows = lines(test::read_text(dir / "c/results.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].substr(rows[1].find(",6000,")), rows[2].substr(rows[2].find(",6000,")));
}

TEST(CliRun, ExperimentFileWithFlagOverrides) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "traces/t");
  test::write_text(dir / "e.toml", R"([experiment]
name = "mine"
traces = ["traces/t"]
memory_mb = [500, 1000]
policies = ["rand", "lru"]
seeds = 2
out = "res"
)");
  auto r = test::run_keepwarm("run -q " + (dir / "e.toml").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(lines(test::read_text(dir / "res/results.csv")).size(), 1u + 4u + 2u);
  // --memory and --policy override the file.
  r = test::run_keepwarm("run -q " + (dir / "e.toml").string() + " --memory 700 --policy lru");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = lines(test::read_text(dir / "res/results.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].rfind("t,lru,700,", 0), 0u) << rows[1];
}

TEST(CliRun, ErrorsAboutFlagValuesDoNotPointAtTheFile) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "traces/t");
  test::write_text(dir / "e.toml", R"([experiment]
traces = ["traces/t"]
memory_mb = [500]
policies = ["ttl"]
out = "res"

[policy.ttl]
keepalive_min = "soon"
)");
  // The file's bad value is reported at its line ...
  auto r = test::run_keepwarm("run -q " + (dir / "e.toml").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("e.toml:8:"), std::string::npos) << r.output;
  // ... a bad --param value over it is not.
  r = test::run_keepwarm("run -q " + (dir / "e.toml").string() + " --param ttl.keepalive_min=x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("got 'x'"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("e.toml"), std::string::npos) << r.output;
}

TEST(CliRun, FailingCellsAreReportedAndTheRestIsKept) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r =
      test::run_keepwarm("run -q --trace " + (dir / "t").string() + " --policy lru --policy " +
                         test::test_plugin_file("test-faulty.so").string() +
                         " --memory 200,100000 --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("faulty policy cannot choose"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 of 4 cells failed"), std::string::npos) << r.output;
  const auto rows = lines(test::read_text(dir / "out/results.csv"));
  EXPECT_EQ(rows.size(), 1u + 3u);  // both lru cells and faulty at 100000 MB (no evictions)
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("\"failed_cells\": [\n    {\"trace\": \"t\", \"policy\": \"faulty\", "
                      "\"memory_mb\": 200"),
            std::string::npos)
      << json;
}

TEST(CliRun, ACrashingPolicyIsNamedAndFinishedCellsAreKept) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  // Without process isolation, in one job: lru's cells run first (grid order), then the crashing
  // policy's first cell with memory pressure brings the process down. (With isolation, the
  // default, only that cell fails: test_isolation.cpp.)
  const auto r = test::run_keepwarm("run -q --isolation none --jobs 1 --trace " +
                                    (dir / "t").string() + " --policy lru --policy " +
                                    test::test_plugin_file("test-crashing.so").string() +
                                    " --memory 200,400 --out " + (dir / "out").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fatal signal SIGSEGV (invalid memory access) while running\n"
                          "  policy 'crashing' ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("on trace t at 200 MB, seed 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("results.partial.csv"), std::string::npos) << r.output;
  const auto rows = lines(test::read_text(dir / "out/results.partial.csv"));
  ASSERT_EQ(rows.size(), 3u);  // header + lru at 200 and 400 MB
  EXPECT_EQ(rows[1].rfind("t,lru,200,", 0), 0u) << rows[1];
  EXPECT_EQ(rows[2].rfind("t,lru,400,", 0), 0u) << rows[2];
  // A run that completes leaves no partial file behind.
  const auto ok = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                                     " --policy lru --memory 300 --out " + (dir / "ok").string());
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "ok/results.partial.csv"));
}

TEST(CliRun, BadInputGetsClearErrors) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  auto r =
      test::run_keepwarm("run --trace " + (dir / "t").string() + " --policy nosuch --memory 100");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown policy 'nosuch'"), std::string::npos) << r.output;
  r = test::run_keepwarm("run --trace " + (dir / "missing").string() +
                         " --policy lru --memory 100");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
  r = test::run_keepwarm("run --trace " + (dir / "t").string() + " --policy lru");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no memory sizes"), std::string::npos) << r.output;
  r = test::run_keepwarm("run --trace " + (dir / "t").string() +
                         " --policy lru --memory 100 --param lru.nope=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has no parameter 'nope'"), std::string::npos) << r.output;
}

TEST(CliRun, TracesSharingANameAreToldApart) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "a" / "t");
  test::write_pressure_trace(dir / "b" / "t");
  const auto r = test::run_keepwarm("run -q --trace " + (dir / "a/t").string() + " --trace " +
                                    (dir / "b/t").string() + " --policy lru --memory 500 --out " +
                                    (dir / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = lines(test::read_text(dir / "o/results.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].rfind("t,lru,500,", 0), 0u) << rows[1];
  EXPECT_EQ(rows[2].rfind("t-2,lru,500,", 0), 0u) << rows[2];
}

TEST(CliRun, NamesWithCommasAreQuotedAndReadBack) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "my,\"odd\" trace");
  const auto r = test::run_keepwarm("run -q --trace '" + (dir / "my,\"odd\" trace").string() +
                                    "' --policy lru --memory 500 --out " + (dir / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = lines(test::read_text(dir / "o/results.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].rfind("\"my,\"\"odd\"\" trace\",lru,500,", 0), 0u) << rows[1];
  const auto report = test::run_keepwarm("report " + (dir / "o").string());
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(test::read_text(dir / "o/report.html").find("my,&quot;odd&quot; trace"),
            std::string::npos);
}

TEST(CliPlugins, ListsBuiltinsAndPluginPathAdditions) {
  const auto r = test::run_keepwarm("plugins --details --plugin-path " +
                                    std::string(KEEPWARM_TEST_PLUGIN_DIR));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Built-in plugins are built against the current SDK.
  const std::string abi = "  (ABI " + std::to_string(KW_ABI_VERSION_MAJOR) + "." +
                          std::to_string(KW_ABI_VERSION_MINOR) + ")";
  EXPECT_NE(r.output.find("lru  " + test::builtin("lru")->version() + abi), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("rand  " + test::builtin("rand")->version() + abi), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("c-first-idle"), std::string::npos) << r.output;
  // Broken plugins on the path are listed with their reason, not silently skipped.
  EXPECT_NE(r.output.find("99.0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("flags: randomised"), std::string::npos) << r.output;
}

TEST(CliRun, PluginPathEnvironmentAndDirectFile) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r =
      test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                         " --policy c-first-idle --memory 400 --plugin-path " +
                         std::string(KEEPWARM_TEST_PLUGIN_DIR) + " --out " + (dir / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto env =
      test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                         " --policy c-first-idle --memory 400 --out " + (dir / "o2").string());
  EXPECT_EQ(env.exit_code, 1);  // not on the default path
  const std::string cmd = "KEEPWARM_PLUGIN_PATH=" + std::string(KEEPWARM_TEST_PLUGIN_DIR) + " '" +
                          KEEPWARM_EXE + "' run -q --trace " + (dir / "t").string() +
                          " --policy c-first-idle --memory 400 --out " + (dir / "o3").string() +
                          " > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  // A plugin file named directly: a copy of the built-in lru, on no search path, is the one
  // loaded (results.json records its file).
  const fs::path copy = dir / "direct" / "my-lru.so";
  fs::create_directories(copy.parent_path());
  fs::copy_file(test::builtin("lru")->file(), copy);
  const auto direct =
      test::run_keepwarm("run -q --trace " + (dir / "t").string() + " --policy " + copy.string() +
                         " --memory 400 --out " + (dir / "o4").string());
  ASSERT_EQ(direct.exit_code, 0) << direct.output;
  EXPECT_NE(test::read_text(dir / "o4/results.json").find("\"file\": \"" + copy.string() + "\""),
            std::string::npos);
  EXPECT_EQ(lines(test::read_text(dir / "o4/results.csv")).at(1).rfind("t,lru,400,1,6000,", 0), 0u);
}

}  // namespace

namespace {

TEST(CliRun, BaselineFromTheFileAndReportFlags) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 6, 300);
  test::write_text(dir / "e.toml",
                   "[experiment]\ntraces = [\"t\"]\nmemory_mb = [300, 600]\n"
                   "policies = [\"rand\", \"lru\", \"gd\"]\nbaseline = \"lru\"\n");
  auto r = test::run_keepwarm("run " + (dir / "e.toml").string() + " -o " + (dir / "a").string() +
                              " --svg-only");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("vs lru"), std::string::npos) << r.output;
  EXPECT_NE(test::read_text(dir / "a/results.json").find("\"baseline\": \"lru\""),
            std::string::npos);
  // --svg-only: no raster copies.
  for (const auto& e : fs::directory_iterator(dir / "a/plots"))
    EXPECT_EQ(e.path().extension(), ".svg") << e.path();
  // A baseline that is not run points at its line.
  test::write_text(dir / "f.toml",
                   "[experiment]\ntraces = [\"t\"]\nmemory_mb = [300]\n"
                   "policies = [\"lru\"]\nbaseline = \"rnd\"\n");
  r = test::run_keepwarm("run " + (dir / "f.toml").string() + " -o " + (dir / "b").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("f.toml:5:12: baseline 'rnd' is not one of the policies run (lru)"),
            std::string::npos)
      << r.output;
  // keepwarm report --log-y redraws the cold-start plot on a log axis; without it, as run drew.
  const std::string linear = test::read_text(dir / "a/plots/t-cold.svg");
  r = test::run_keepwarm("report --svg-only --log-y " + (dir / "a").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string logged = test::read_text(dir / "a/plots/t-cold.svg");
  EXPECT_NE(linear, logged);
  EXPECT_EQ(linear.find("log scale)"), std::string::npos);
  EXPECT_NE(logged.find("log scale)"), std::string::npos);
  r = test::run_keepwarm("report --svg-only " + (dir / "a").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::read_text(dir / "a/plots/t-cold.svg"), linear);
}

}  // namespace
