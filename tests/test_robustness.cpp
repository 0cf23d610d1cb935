// test_robustness.cpp: bad input gets a clear error and nothing is lost or mixed up: names that
// keepwarm writes read back (RFC 4180 quoting) or are refused at load; limits on nesting,
// non-finite and absurd numbers; special files and symbolic links given as outputs; a broken
// plugin descriptor; a plugin that shadows a built-in.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/traces/formats.hpp"
#include "keepwarm/traces/trace.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/toml_depth.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

std::string trace_error(const fs::path& p) {
  try {
    load_trace(p);
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}

std::string config_error(const fs::path& p) {
  try {
    load_experiment(p);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Names, QuotedNamesWithCommasAndQuotesRoundTrip) {
  test::TempDir dir;
  test::write_text(dir / "t/functions.csv",
                   "function,memory_mb,cold_ms,warm_ms\n\"a,b\",100,10,5\n\"say \"\"hi\"\"\",200,"
                   "20,8\nplain,50,1,1\n");
  test::write_text(dir / "t/invocations.csv",
                   "time_ms,function\n0,\"a,b\"\n1,\"say \"\"hi\"\"\"\n2,plain\n3,\"plain\"\n");
  const Trace t = load_trace(dir / "t");
  ASSERT_EQ(t.functions.size(), 3u);
  EXPECT_EQ(t.functions[0].id, "a,b");
  EXPECT_EQ(t.functions[1].id, "say \"hi\"");
  EXPECT_EQ(t.function_of[1], 1u);
  EXPECT_EQ(t.function_of[3], 2u);  // "plain" quoted or not is the same name
  // What keepwarm writes, it reads back: native (quoted) and binary.
  write_native_trace(t, dir / "copy");
  const Trace back = load_trace(dir / "copy");
  ASSERT_EQ(back.functions.size(), 3u);
  for (size_t f = 0; f < 3; ++f) EXPECT_EQ(back.functions[f].id, t.functions[f].id);
  EXPECT_EQ(back.function_of, t.function_of);
  // trace convert, through the CLI, and a run over the converted trace with functions.csv.
  auto r =
      test::run_keepwarm("trace convert " + (dir / "t").string() + " " + (dir / "conv").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_keepwarm("run -q -t " + (dir / "conv").string() + " -p lru -m 150 -o " +
                         (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(test::read_text(dir / "out/functions.csv").find(",\"say \"\"hi\"\"\","),
            std::string::npos);
}

TEST(Names, ControlCharactersAndInvalidUtf8AreRefusedWithTheirPosition) {
  test::TempDir dir;
  auto native = [&](const std::string& name) {
    test::write_text(dir / "t/functions.csv",
                     "function,memory_mb,cold_ms,warm_ms\nok,1,1,1\n" + name + ",100,10,5\n");
    test::write_text(dir / "t/invocations.csv", "time_ms,function\n0,ok\n");
    return trace_error(dir / "t");
  };
  std::string msg = native("tab\there");
  EXPECT_NE(msg.find("functions.csv:3:1: function name 'tab\there' holds a control character "
                     "(0x09) at byte 4"),
            std::string::npos)
      << msg;
  msg = native("bad\xff");
  EXPECT_NE(msg.find("functions.csv:3:1: function name 'bad\xff' is not valid UTF-8 (at byte 4)"),
            std::string::npos)
      << msg;
  msg = native("\"unterminated,100,10,5");
  EXPECT_NE(msg.find("functions.csv:3:1: unterminated quoted field"), std::string::npos) << msg;
  msg = native("mid\"quote");
  EXPECT_NE(msg.find("functions.csv:3:4: a quote inside the unquoted field"), std::string::npos)
      << msg;
  // Valid UTF-8 beyond ASCII is a name like any other.
  EXPECT_EQ(native("caf\xc3\xa9-\xe6\x97\xa5"), "");
  EXPECT_EQ(function_name_problem("\xc0\xaf"), "is not valid UTF-8 (at byte 1)");      // overlong
  EXPECT_EQ(function_name_problem("\xed\xa0\x80"), "is not valid UTF-8 (at byte 1)");  // surrogate
  EXPECT_EQ(function_name_problem(""), "is empty");
  // A binary trace holding a line break in a name (written by another tool) is refused too.
  Trace t;
  t.name = "b";
  t.functions.push_back(Function{"line\nbreak", 100, 10, 5});
  t.times.push_back(0.0);
  t.function_of.push_back(0);
  write_binary_trace(t, dir / "b.kwt");
  msg = trace_error(dir / "b.kwt");
  EXPECT_NE(msg.find("function id 'line\nbreak' holds a control character (0x0a) at byte 5"),
            std::string::npos)
      << msg;
}

TEST(Limits, DeepTomlIsRefusedWithItsPositionNotAStackOverflow) {
  test::TempDir dir;
  std::string header = "[a";
  for (int i = 0; i < 40000; ++i) header += ".a";
  test::write_text(dir / "h.toml", "[experiment]\nname = \"x\"\n" + header + "]\n");
  std::string msg = config_error(dir / "h.toml");
  EXPECT_NE(msg.find("h.toml:3:"), std::string::npos) << msg.substr(0, 200);
  EXPECT_NE(msg.find("dotted keys nested deeper than 64 levels"), std::string::npos)
      << msg.substr(0, 200);
  test::write_text(dir / "v.toml", "x = " + std::string(40000, '[') + std::string(40000, ']'));
  msg = config_error(dir / "v.toml");
  EXPECT_NE(msg.find("v.toml:1:69: arrays and tables nested deeper than 64 levels"),
            std::string::npos)
      << msg.substr(0, 200);
  // Through the CLI: exit 1 and the message, no crash.
  const auto r = test::run_keepwarm("run " + (dir / "h.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output.substr(0, 300);
  // The generator's config file is guarded the same way.
  test::write_text(dir / "g.toml", "kind = \"mix\"\n" + header + "]\n");
  MixConfig mix;
  try {
    read_generator_config(dir / "g.toml", &mix, nullptr);
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("g.toml:2:"), std::string::npos);
  }
  // Brackets, dots and quotes inside strings and comments do not count; shallow files pass.
  EXPECT_EQ(check_toml_depth("a = \"[[[[[[[[[[.......\" # [[[[[[[[[\nb = '''\n[[[[[[[[\n'''\n"
                             "[t.u.v]\nw = {x.y = [1, [2, [3]]], z = 1.5}\n",
                             8)
                .line,
            0u);
  EXPECT_EQ(check_toml_depth("[t.u.v]\n", 2).line, 1u);
  EXPECT_EQ(check_toml_depth("a = [[[1]]]\n", 2).line, 1u);
}

TEST(Limits, NonFiniteAndAbsurdNumbersAreRefusedNamingTheKeyOrFlag) {
  test::TempDir dir;
  test::write_text(dir / "a.toml", "[cold_start]\noverhead_ms = inf\n");
  EXPECT_NE(config_error(dir / "a.toml").find("a.toml:2:15: overhead_ms must be a finite number"),
            std::string::npos)
      << config_error(dir / "a.toml");
  test::write_text(dir / "b.toml", "[cold_start]\noverhead_pct = nan\n");
  EXPECT_NE(config_error(dir / "b.toml").find("overhead_pct must be a finite number"),
            std::string::npos);
  test::write_text(dir / "c.toml", "[experiment]\njobs = 4294967296\n");
  EXPECT_NE(config_error(dir / "c.toml").find("c.toml:2:8: jobs must be a whole number 0..65536"),
            std::string::npos)
      << config_error(dir / "c.toml");
  test::write_text(dir / "d.toml", "[experiment]\nseeds = 100000000000\n");
  EXPECT_NE(config_error(dir / "d.toml").find("d.toml:2:9: seeds = 100000000000 is more than"),
            std::string::npos)
      << config_error(dir / "d.toml");
  test::write_pressure_trace(dir / "t", 4, 40);
  auto r =
      test::run_keepwarm("run -t " + (dir / "t").string() + " -p rand -m 100 --seeds 100000000000");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("keepwarm run: --seeds 100000000000: more than 100000 seeds"),
            std::string::npos)
      << r.output;
  r = test::run_keepwarm("run -t " + (dir / "t").string() + " -p rand -m 100 --seeds -1,2");
  EXPECT_NE(r.output.find("bad seed '-1'"), std::string::npos) << r.output;
  // A number parameter must be finite.
  r = test::run_keepwarm("run -t " + (dir / "t").string() +
                         " -p ttl -m 100 --param ttl.keepalive_min=inf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("must be a finite number, got 'inf'"), std::string::npos) << r.output;
}

TEST(Outputs, SpecialFilesAreWrittenThroughAndSymlinksFollowed) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 4, 40);
  // The event log to /dev/null: written (discarded), and /dev/null stays a device.
  auto r = test::run_keepwarm("run -q -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                              (dir / "out").string() + " --events /dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null was replaced";
  // An output that is a symbolic link: the link stays, its target gets the new content.
  fs::create_directories(dir / "elsewhere");
  test::write_text(dir / "elsewhere/events.csv", "old\n");
  fs::create_symlink(dir / "elsewhere/events.csv", dir / "events.csv");
  r = test::run_keepwarm("run -q -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                         (dir / "out").string() + " --events " + (dir / "events.csv").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(dir / "events.csv"));
  EXPECT_EQ(test::read_text(dir / "elsewhere/events.csv").rfind("time_ms,", 0), 0u);
  // A directory where a file should go is named.
  fs::create_directories(dir / "adir");
  try {
    write_file_atomic(dir / "adir", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(Plugins, ABrokenDescriptorIsNamedAndCostsNothingElse) {
  const fs::path bad = fs::path(KEEPWARM_TEST_PLUGIN_DIR) / "bad";
  auto r = test::run_keepwarm("plugins --plugin-path " + bad.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("declares 3 parameters but its params array is NULL"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("lru"), std::string::npos) << r.output;  // the built-ins still listed
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 4, 40);
  r = test::run_keepwarm("run -q -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                         (dir / "out").string() + " --plugin-path " + bad.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(Plugins, APluginShadowingABuiltInIsAWarningNamingBothFiles) {
  test::TempDir dir;
  const fs::path builtin = fs::path(KEEPWARM_PLUGIN_DIR) / "policy-lru.so";
  fs::create_directories(dir / "mine");
  fs::copy_file(builtin, dir / "mine/my-lru.so");
  test::write_pressure_trace(dir / "t", 4, 40);
  const auto r =
      test::run_keepwarm("run -q -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                         (dir / "out").string() + " --plugin-path " + (dir / "mine").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("keepwarm run: warning: policy 'lru': using " +
                          (dir / "mine/my-lru.so").string() + ", which shadows "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("policy-lru.so"), std::string::npos) << r.output;
}

}  // namespace
