// test_experiment.cpp: experiment TOML files: values, relative paths, and errors that point at
// file:line:column.
#include <gtest/gtest.h>

#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/experiment/runner.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

std::string config_error(const std::filesystem::path& file) {
  try {
    load_experiment(file);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Experiment, ReadsEverySetting) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", R"([experiment]
name = "quickstart"
traces = ["traces/sample", "/abs/trace"]
memory_mb = [500, 1000]
policies = ["rand", "lru"]
seeds = 3
compat = "faascache"
jobs = 2
[cold_start]
overhead_ms = 3000
overhead_pct = 0.2
[policy.lru]
[policy.ttl]
keepalive_min = 20
flag = true
)");
  const Experiment ex = load_experiment(dir / "e.toml");
  EXPECT_EQ(ex.name, "quickstart");
  ASSERT_EQ(ex.traces.size(), 2u);
  EXPECT_EQ(ex.traces[0], (dir.path() / "traces/sample").lexically_normal());
  EXPECT_EQ(ex.traces[1], std::filesystem::path("/abs/trace"));
  EXPECT_EQ(ex.memory_mb, (std::vector<uint64_t>{500, 1000}));
  ASSERT_EQ(ex.policies.size(), 2u);
  EXPECT_EQ(ex.policies[0].policy, "rand");
  EXPECT_EQ(ex.policies[1].policy, "lru");
  EXPECT_EQ(ex.seeds, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(ex.compat, Compat::faascache);
  EXPECT_EQ(ex.jobs, 2u);
  EXPECT_DOUBLE_EQ(ex.overhead_ms, 3000);
  EXPECT_DOUBLE_EQ(ex.overhead_frac, 0.2);
  EXPECT_EQ(ex.params.at("ttl").at("keepalive_min"), (std::vector<std::string>{"20"}));
  EXPECT_EQ(ex.params.at("ttl").at("flag"), (std::vector<std::string>{"true"}));
}

TEST(Experiment, CourseModeDefaultsOverheadsOnlyWhereNotGiven) {
  test::TempDir dir;
  test::write_text(dir / "a.toml", "[experiment]\ncompat = \"faascache-course\"\n");
  Experiment a = load_experiment(dir / "a.toml");
  EXPECT_EQ(a.compat, Compat::faascache_course);
  apply_mode_defaults(a);
  EXPECT_DOUBLE_EQ(a.overhead_ms, 3000);
  EXPECT_DOUBLE_EQ(a.overhead_frac, 0.2);
  test::write_text(dir / "b.toml",
                   "[experiment]\ncompat = \"faascache-course\"\n[cold_start]\noverhead_pct = 0\n");
  Experiment b = load_experiment(dir / "b.toml");
  apply_mode_defaults(b);
  EXPECT_DOUBLE_EQ(b.overhead_ms, 3000);
  EXPECT_DOUBLE_EQ(b.overhead_frac, 0);
  // Other modes keep 0 and 0.
  test::write_text(dir / "c.toml", "[experiment]\ncompat = \"faascache\"\n");
  Experiment c = load_experiment(dir / "c.toml");
  apply_mode_defaults(c);
  EXPECT_DOUBLE_EQ(c.overhead_ms, 0);
  EXPECT_DOUBLE_EQ(c.overhead_frac, 0);
}

TEST(Experiment, SyntaxErrorHasFileLineAndColumn) {
  test::TempDir dir;
  test::write_text(dir / "bad.toml", "[experiment]\nname = \"x\"\nmemory_mb = [500,\n");
  const std::string msg = config_error(dir / "bad.toml");
  EXPECT_NE(msg.find((dir / "bad.toml").string() + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.toml:3:19: "), std::string::npos) << msg;
}

TEST(Experiment, UnknownKeyPointsAtIt) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", "[experiment]\nname = \"x\"\n  memroy_mb = [500]\n");
  const std::string msg = config_error(dir / "e.toml");
  EXPECT_NE(msg.find("e.toml:3:3: unknown key 'memroy_mb'"), std::string::npos) << msg;
}

TEST(Experiment, WrongTypePointsAtTheValue) {
  test::TempDir dir;
  test::write_text(dir / "e.toml", "[experiment]\nmemory_mb = [500, \"1000\"]\n");
  const std::string msg = config_error(dir / "e.toml");
  EXPECT_NE(msg.find("e.toml:2:19: each memory size (MB) must be a whole number > 0"),
            std::string::npos)
      << msg;
  test::write_text(dir / "f.toml", "[experiment]\ncompat = \"fasscache\"\n");
  EXPECT_NE(config_error(dir / "f.toml").find("f.toml:2:10: compat must be"), std::string::npos);
  test::write_text(dir / "g.toml", "[cold_start]\noverhead_ms = \"3s\"\n");
  EXPECT_NE(config_error(dir / "g.toml").find("g.toml:2:15: overhead_ms must be a number"),
            std::string::npos);
}

TEST(Experiment, UnknownPolicyAndParameterPointAtTheirLines) {
  test::TempDir dir;
  test::write_text(dir / "e.toml",
                   "[experiment]\ntraces = [\"t\"]\nmemory_mb = [500]\npolicies = [\"lru\", "
                   "\"lur\"]\n");
  Experiment ex = load_experiment(dir / "e.toml");
  PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  try {
    resolve_policies(ex, registry);
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("e.toml:4:20: unknown policy 'lur'"), std::string::npos)
        << e.what();
  }
  test::write_text(dir / "p.toml",
                   "[experiment]\npolicies = [\"lru\"]\n[policy.lru]\nwindow = 3\n");
  ex = load_experiment(dir / "p.toml");
  try {
    resolve_policies(ex, registry);
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("p.toml:4:1: policy 'lru' has no parameter 'window'"),
              std::string::npos)
        << e.what();
  }
}

TEST(Experiment, MemoryListParsing) {
  EXPECT_EQ(parse_memory_list("500,1000, 2000"), (std::vector<uint64_t>{500, 1000, 2000}));
  EXPECT_EQ(parse_memory_list("4g"), (std::vector<uint64_t>{4096}));
  EXPECT_THROW(parse_memory_list("500,,1000"), ConfigError);
  EXPECT_THROW(parse_memory_list("-5"), ConfigError);
  EXPECT_THROW(parse_memory_list("12.5"), ConfigError);
}

}  // namespace
