// test_cli_messages.cpp: what the command line says when it is used wrongly: unknown commands
// and options are named first with "did you mean", every error starts with the command it
// belongs to, numeric flags get short messages; --version / version; -q; a run given by flags
// alone writes to a directory named after its settings and does not overwrite an earlier one.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

// The first line of a command's output.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST(CliMessages, UnknownOptionsAreNamedFirstWithASuggestion) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 50);
  // The typo is named, not the positional argument it would have shifted into.
  auto r = test::run_keepwarm("run --trce " + (dir / "t").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output), "keepwarm run: unknown option '--trce' (did you mean '--trace'?)")
      << r.output;
  r = test::run_keepwarm("run --seed 3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output), "keepwarm run: unknown option '--seed' (did you mean '--seeds'?)")
      << r.output;
  r = test::run_keepwarm("plugins --detials");
  EXPECT_EQ(first_line(r.output),
            "keepwarm plugins: unknown option '--detials' (did you mean '--details'?)")
      << r.output;
  // Nothing close: no suggestion, but still named.
  r = test::run_keepwarm("run --zzzzzzzz");
  EXPECT_EQ(first_line(r.output), "keepwarm run: unknown option '--zzzzzzzz'") << r.output;
}

TEST(CliMessages, UnknownCommandsAreNamedWithASuggestion) {
  auto r = test::run_keepwarm("rnu");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output).rfind("keepwarm: unknown command 'rnu' (did you mean 'run'?)", 0),
            0u)
      << r.output;
  r = test::run_keepwarm("trace infp x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output).rfind(
                "keepwarm trace: unknown command 'infp' (did you mean 'info'?)", 0),
            0u)
      << r.output;
}

TEST(CliMessages, VersionFlagAndCommand) {
  for (const char* args : {"--version", "-V", "version"}) {
    const auto r = test::run_keepwarm(args);
    EXPECT_EQ(r.exit_code, 0) << args;
    EXPECT_EQ(r.output, std::string(KEEPWARM_VERSION) + "\n") << args;
  }
}

TEST(CliMessages, ErrorsStartWithTheirCommand) {
  auto r = test::run_keepwarm("trace info");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output), "keepwarm trace info: PATH is required") << r.output;
  r = test::run_keepwarm("report");
  EXPECT_EQ(first_line(r.output), "keepwarm report: DIR is required") << r.output;
  r = test::run_keepwarm("trace info /nonexistent/trace");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output).rfind("keepwarm trace info: ", 0), 0u) << r.output;
}

TEST(CliMessages, NumericFlagsGetShortMessages) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 50);
  const std::string base = "run -t " + (dir / "t").string() + " -p lru -m 100 ";
  auto r = test::run_keepwarm(base + "--jobs abc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(first_line(r.output), "keepwarm run: --jobs: 'abc' is not a whole number 0..65536")
      << r.output;
  EXPECT_LT(r.output.size(), 200u) << r.output;
  r = test::run_keepwarm(base + "--jobs 4294967296");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--jobs: '4294967296' is out of range"), std::string::npos) << r.output;
  r = test::run_keepwarm(base + "--overhead-ms nan");
  EXPECT_EQ(first_line(r.output), "keepwarm run: --overhead-ms: 'nan' is not a finite number")
      << r.output;
  r = test::run_keepwarm(base + "--overhead-pct inf");
  EXPECT_EQ(first_line(r.output), "keepwarm run: --overhead-pct: 'inf' is not a finite number")
      << r.output;
  r = test::run_keepwarm(base + "--overhead-ms -1");
  EXPECT_EQ(first_line(r.output), "keepwarm run: --overhead-ms: '-1' must be >= 0") << r.output;
}

TEST(CliMessages, QuietPrintsNothing) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 50);
  const auto r = test::run_keepwarm("run -q -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                                    (dir / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  EXPECT_TRUE(fs::exists(dir / "out/results.csv"));
}

TEST(CliMessages, AFlagOnlyRunWritesToADirectoryNamedAfterItsSettings) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "tiny", 5, 50);
  // Run from inside the temporary directory, so results/ lands there.
  const std::string cd = "cd '" + dir.path().string() + "' && ";
  const std::string exe = std::string("'") + KEEPWARM_EXE + "'";
  auto run = [&](const std::string& args) { return test::run_command(cd + exe + " " + args); };
  auto r = run("run -t tiny -p lru -m 100,200");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path first = dir / "results/tiny_lru_100+200MB";
  EXPECT_TRUE(fs::exists(first / "results.csv")) << r.output;
  EXPECT_NE(r.output.find("results/tiny_lru_100+200MB"), std::string::npos) << r.output;
  // Other settings, another directory.
  r = run("run -t tiny -p lru,rand -m 100");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "results/tiny_lru+rand_100MB/results.csv")) << r.output;
  // Parameters change results: they go into the name as a hash.
  r = run("run -t tiny -p ttl -m 100 --param ttl.keepalive_min=1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t ttl_dirs = 0;
  for (const auto& e : fs::directory_iterator(dir / "results"))
    if (e.path().filename().string().rfind("tiny_ttl_100MB_", 0) == 0) ++ttl_dirs;
  EXPECT_EQ(ttl_dirs, 1u);
  // The same settings again: refused without --force, naming the directory.
  r = run("run -t tiny -p lru -m 100,200");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("keepwarm run: results/tiny_lru_100+200MB already holds"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
  r = run("run -t tiny -p lru -m 100,200 --force");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace

namespace {

TEST(CliMessages, HelpShowsNoInternalTypeNames) {
  for (const char* cmd :
       {"run", "report", "plugins", "trace info", "trace convert", "trace import-azure",
        "trace generate mix", "trace generate azure", "new-policy"}) {
    const auto r = test::run_keepwarm(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    for (const char* internal : {" TEXT", "FLOAT", " INT", " UINT", ":FILE", ":DIR", "FILE:FILE"})
      EXPECT_EQ(r.output.find(internal), std::string::npos)
          << "keepwarm " << cmd << " --help shows '" << internal << "':\n"
          << r.output;
  }
}

}  // namespace
