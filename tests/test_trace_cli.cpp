// test_trace_cli.cpp: `keepwarm trace ...` end to end: generate, convert, info, and errors.
#include <gtest/gtest.h>

#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

TEST(TraceCli, GenerateIsDeterministicAndConvertsToBinary) {
  test::TempDir dir;
  const std::string a = (dir / "a").string(), b = (dir / "b").string();
  auto r =
      test::run_keepwarm("trace generate mix --functions 5 --duration-h 1 --seed 4 -o '" + a + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_keepwarm("trace generate mix --functions 5 --duration-h 1 --seed 4 -o '" + b + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::read_text(dir / "a" / "invocations.csv"),
            test::read_text(dir / "b" / "invocations.csv"));
  r = test::run_keepwarm("trace convert '" + a + "' '" + (dir / "a.kwt").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Trace native = load_trace(dir / "a"), binary = load_trace(dir / "a.kwt");
  EXPECT_EQ(native.times, binary.times);
  r = test::run_keepwarm("trace info '" + (dir / "a.kwt").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("invocations  " + std::to_string(native.invocation_count())),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("peak concurrency"), std::string::npos);
}

TEST(TraceCli, ConvertWritesTheNativeFormUnlessOutEndsInKwt) {
  test::TempDir dir;
  const std::string src = (dir / "src").string();
  ASSERT_EQ(test::run_keepwarm("trace generate mix --functions 3 --duration-h 1 -o '" + src + "'")
                .exit_code,
            0);
  // From a binary file to a directory: native text, as `keepwarm trace convert IN OUT` says.
  ASSERT_EQ(test::run_keepwarm("trace convert '" + src + "' '" + (dir / "b.kwt").string() + "'")
                .exit_code,
            0);
  const auto r = test::run_keepwarm("trace convert '" + (dir / "b.kwt").string() + "' '" +
                                    (dir / "n").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(native)"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_text(dir / "n" / "invocations.csv"),
            test::read_text(dir / "src" / "invocations.csv"));
  // The FaasCache pickle, when the reference data is there.
  const auto ref = test::shared_reference_dir();
  if (ref.empty())
    GTEST_SKIP()
        << "../shared/reference (or $KEEPWARM_REFERENCE_DIR) absent: pickle conversion not checked";
  const auto p = test::run_keepwarm("trace convert '" + (ref / "20-c.pckl").string() + "' '" +
                                    (dir / "20-c").string() + "'");
  ASSERT_EQ(p.exit_code, 0) << p.output;
  EXPECT_EQ(load_trace(dir / "20-c").invocation_count(), 17808u);
}

TEST(TraceCli, GenerateAzureWithConfigAndFlagOverride) {
  test::TempDir dir;
  test::write_text(dir / "gen.toml", "functions = 7\nduration_h = 2\nmax_per_day = 1000\n");
  const auto r =
      test::run_keepwarm("trace generate azure --config '" + (dir / "gen.toml").string() +
                         "' --functions 9 --format binary -o '" + (dir / "az.kwt").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Trace t = load_trace(dir / "az.kwt");
  EXPECT_EQ(t.functions.size(), 9u);
  EXPECT_LT(t.times.back(), 2 * 3600000.0);
}

TEST(TraceCli, ErrorsNameTheFileAndLine) {
  test::TempDir dir;
  test::write_text(dir / "t" / "functions.csv", "function,memory_mb,cold_ms,warm_ms\nf,1,1,1\n");
  test::write_text(dir / "t" / "invocations.csv", "time_ms,function\n0,f\n1,g\n");
  const auto r = test::run_keepwarm("trace info '" + (dir / "t").string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("invocations.csv:3:3: unknown function 'g'"), std::string::npos)
      << r.output;
  const auto h = test::run_keepwarm("trace --help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.output.find("import-azure"), std::string::npos) << h.output;
}

}  // namespace
