// test_portability.cpp: what makes an experiment publishable: shipped and installed traces are
// found by name on the trace search path, new-policy writes paths relative to its experiment
// file and prints commands that work from where the user is, and .kwt means binary everywhere.
#include <gtest/gtest.h>

#include <cstdlib>

#include "keepwarm/traces/trace.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

const std::string kExe = std::string("'") + KEEPWARM_EXE + "'";

TEST(TraceSearchPath, ShippedTracesAreFoundByName) {
  test::TempDir dir;
  // From a directory with no trace called "sample": the shipped one.
  auto r = test::run_command("cd '" + dir.path().string() + "' && " + kExe + " trace info sample");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("invocations  21076"), std::string::npos) << r.output;
  r = test::run_command("cd '" + dir.path().string() + "' && " + kExe +
                        " run -q -t azure-small -p lru -m 5000 -o out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_text(dir / "out/results.csv").find("\nazure-small,lru,5000,"),
            std::string::npos);
  // An experiment file names it the same way.
  test::write_text(dir / "e.toml",
                   "[experiment]\ntraces = [\"sample\"]\nmemory_mb = [3000]\npolicies = "
                   "[\"lru\"]\n");
  r = test::run_keepwarm("run -q " + (dir / "e.toml").string() + " -o " + (dir / "e").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_text(dir / "e/results.csv").find("\nsample,lru,3000,"), std::string::npos);
}

TEST(TraceSearchPath, KeepwarmTracePathComesFirstAndUnknownNamesListWhatIsThere) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "lib" / "mine", 4, 40);
  const std::string env = "KEEPWARM_TRACE_PATH='" + (dir / "lib").string() + "' ";
  auto r = test::run_command(env + kExe + " trace info mine");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("invocations  40"), std::string::npos) << r.output;
  r = test::run_command(env + kExe + " run -t nosuchtrace -p lru -m 100");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("keepwarm run: nosuchtrace: no such file or directory, and no trace of "
                          "that name on the trace search path ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find((dir / "lib").string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("traces there: azure-small, mine, sample"), std::string::npos)
      << r.output;
  // A path is never looked up by name.
  r = test::run_keepwarm("trace info ./sample");
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Kwt, GenerateAndImportWriteBinaryForKwtNames) {
  test::TempDir dir;
  const auto r = test::run_keepwarm("trace generate mix --functions 3 --duration-h 0.1 -o " +
                                    (dir / "g.kwt").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(dir / "g.kwt")) << r.output;
  EXPECT_NE(r.output.find("(binary)"), std::string::npos) << r.output;
  EXPECT_EQ(load_trace(dir / "g.kwt").functions.size(), 3u);
  // Without .kwt: the native directory; --format still wins.
  auto n = test::run_keepwarm("trace generate mix --functions 3 --duration-h 0.1 -o " +
                              (dir / "g").string());
  ASSERT_EQ(n.exit_code, 0) << n.output;
  EXPECT_TRUE(fs::is_directory(dir / "g"));
  n = test::run_keepwarm("trace generate mix --functions 3 --duration-h 0.1 --format native -o " +
                         (dir / "h.kwt").string());
  ASSERT_EQ(n.exit_code, 0) << n.output;
  EXPECT_TRUE(fs::is_directory(dir / "h.kwt"));
}

TEST(NewPolicy, ExperimentPathsAreRelativeAndTheCommandWorksFromHere) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "data" / "mytrace", 4, 40);
  auto r = test::run_command("cd '" + dir.path().string() + "' && " + kExe +
                             " new-policy pol --trace data/mytrace");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string toml = test::read_text(dir / "pol/experiment.toml");
  EXPECT_NE(toml.find("traces = [\"../data/mytrace\"]"), std::string::npos) << toml;
  EXPECT_EQ(toml.find(dir.path().string()), std::string::npos) << "an absolute path:\n" << toml;
  // The printed run command is not a bare `keepwarm` unless that is on PATH: here it is the
  // executable's path, and running it from here works (the plugin is not built, so its policy
  // is unknown, but the command and the experiment file are found).
  const size_t at = r.output.find(" run pol/experiment.toml");
  ASSERT_NE(at, std::string::npos) << r.output;
  const size_t line = r.output.rfind('\n', at) + 1;
  const std::string command = r.output.substr(line, at - line);
  EXPECT_NE(command.find("keepwarm"), std::string::npos) << command;
  const std::string run = command.substr(command.find_first_not_of(' '));
  EXPECT_NE(run, "keepwarm") << "keepwarm is not on this test's PATH";
  const auto ran =
      test::run_command("cd '" + dir.path().string() + "' && " + run + " run pol/experiment.toml");
  EXPECT_NE(ran.output.find("unknown policy 'pol'"), std::string::npos) << ran.output;
  // The shipped sample is named, not pathed.
  r = test::run_command("cd '" + dir.path().string() + "' && " + kExe + " new-policy other");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_text(dir / "other/experiment.toml").find("traces = [\"sample\"]"),
            std::string::npos);
}

}  // namespace
