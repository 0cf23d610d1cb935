// test_trace_native.cpp: the native text form's error positions (file:line:column) and its
// round trip through write_native_trace.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

const char* kFunctions = "function,memory_mb,cold_ms,warm_ms\nf,128,1000,100\ng,256,2000,200\n";

// Loads a trace made of the given files and returns the error message ("" if it loaded).
std::string load_error(const std::string& functions, const std::string& invocations,
                       TraceError* out = nullptr) {
  test::TempDir dir;
  test::write_text(dir / "t" / "functions.csv", functions);
  test::write_text(dir / "t" / "invocations.csv", invocations);
  try {
    load_trace(dir / "t");
  } catch (const TraceError& e) {
    if (out) *out = e;
    std::string what = e.what();
    // Keep the part after the temporary directory.
    const size_t t = what.find("/t/");
    return t == std::string::npos ? what : what.substr(t + 3);
  }
  return "";
}

TEST(TraceNative, UnknownFunction) {
  EXPECT_EQ(load_error(kFunctions, "time_ms,function\n0,f\n5,nope\n"),
            "invocations.csv:3:3: unknown function 'nope'");
}

TEST(TraceNative, BadNumber) {
  EXPECT_EQ(load_error(kFunctions, "time_ms,function\n0,f\n1x5,g\n"),
            "invocations.csv:3:1: bad number for time_ms: '1x5'");
  EXPECT_EQ(load_error("function,memory_mb,cold_ms,warm_ms\nf,128,abc,100\n", "time_ms,function\n"),
            "functions.csv:2:7: bad number for cold_ms: 'abc'");
}

TEST(TraceNative, TimeGoingBackwards) {
  const std::string e = load_error(kFunctions, "time_ms,function\n10,f\n5,g\n");
  EXPECT_EQ(e.rfind("invocations.csv:3:1: time goes backwards", 0), 0u) << e;
}

TEST(TraceNative, MemoryNotPositive) {
  const std::string e = load_error("function,memory_mb,cold_ms,warm_ms\nf,128,1,1\ngee,0,1,1\n",
                                   "time_ms,function\n");
  EXPECT_EQ(e.rfind("functions.csv:3:5: memory_mb must be a whole number > 0", 0), 0u) << e;
  const std::string n =
      load_error("function,memory_mb,cold_ms,warm_ms\nf,-4,1,1\n", "time_ms,function\n");
  EXPECT_EQ(n.rfind("functions.csv:2:3: memory_mb", 0), 0u) << n;
}

TEST(TraceNative, NegativeTimesPointAtTheirColumn) {
  const std::string c =
      load_error("function,memory_mb,cold_ms,warm_ms\nf,128,-100,10\n", "time_ms,function\n");
  EXPECT_EQ(c.rfind("functions.csv:2:7: cold_ms must be >= 0, got -100", 0), 0u) << c;
  const std::string w =
      load_error("function,memory_mb,cold_ms,warm_ms\nf,128,100,-1.5\n", "time_ms,function\n");
  EXPECT_EQ(w.rfind("functions.csv:2:11: warm_ms must be >= 0, got -1.5", 0), 0u) << w;
}

TEST(TraceNative, DuplicateFunction) {
  TraceError err("", 0, 0, "");
  const std::string e =
      load_error("function,memory_mb,cold_ms,warm_ms\nf,1,1,1\ng,1,1,1\nf,2,2,2\n",
                 "time_ms,function\n", &err);
  EXPECT_EQ(e, "functions.csv:4:1: duplicate function 'f' (first defined as function #1)");
  EXPECT_EQ(err.line(), 4u);
  EXPECT_EQ(err.column(), 1u);
}

TEST(TraceNative, ExtraFieldAndBadHeader) {
  EXPECT_EQ(load_error(kFunctions, "time_ms,function\n0,f,zzz\n"),
            "invocations.csv:2:5: unexpected extra field 'zzz'");
  const std::string h = load_error(kFunctions, "time,function\n");
  EXPECT_EQ(h.rfind("invocations.csv:1:1: expected header", 0), 0u) << h;
}

TEST(TraceNative, RoundTripIsExact) {
  test::TempDir dir;
  const Trace t = generate_mix(default_mix(5, 600000, 3));
  write_native_trace(t, dir / "n");
  const Trace back = load_trace(dir / "n");
  EXPECT_EQ(back.times, t.times);
  EXPECT_EQ(back.function_of, t.function_of);
  ASSERT_EQ(back.functions.size(), t.functions.size());
  for (size_t i = 0; i < t.functions.size(); ++i) {
    EXPECT_EQ(back.functions[i].id, t.functions[i].id);
    EXPECT_EQ(back.functions[i].cold_ms, t.functions[i].cold_ms);
  }
}

}  // namespace

namespace {

// A native trace too large to hold (KEEPWARM_SPILL_MB; 0 = every trace here) is read into a
// temporary file whose mapping the columns view: the same values, the same results, and a clear
// error when the spill directory cannot be written.
class SpillEnv {
 public:
  SpillEnv(const char* mb, const char* dir) {
    ::setenv("KEEPWARM_SPILL_MB", mb, 1);
    if (dir != nullptr) ::setenv("KEEPWARM_SPILL_DIR", dir, 1);
  }
  ~SpillEnv() {
    ::unsetenv("KEEPWARM_SPILL_MB");
    ::unsetenv("KEEPWARM_SPILL_DIR");
  }
};

TEST(TraceNative, SpilledColumnsAreTheSame) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 30, 50000);
  Trace held, spilled;
  {
    SpillEnv env("off", nullptr);
    held = load_trace(dir / "t");
  }
  {
    SpillEnv env("0", dir.path().c_str());
    spilled = load_trace(dir / "t");
  }
  EXPECT_FALSE(held.times.is_view());
  ASSERT_TRUE(spilled.times.is_view());
  ASSERT_TRUE(spilled.function_of.is_view());
  EXPECT_EQ(spilled.invocation_count(), 50000u);
  EXPECT_TRUE(spilled.times == held.times);
  EXPECT_TRUE(spilled.function_of == held.function_of);
  // The temporary file is unlinked at once: nothing is left in the spill directory.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 0u);
  // Replays agree cell for cell.
  for (uint64_t mb : {300, 1000}) {
    const CellResult a = test::run(held, test::builtin("lru"), mb);
    const CellResult b = test::run(spilled, test::builtin("lru"), mb);
    EXPECT_EQ(a.metrics.cold, b.metrics.cold);
    EXPECT_EQ(a.metrics.dropped, b.metrics.dropped);
    EXPECT_EQ(a.metrics.evictions, b.metrics.evictions);
  }
}

TEST(TraceNative, AnUnwritableSpillDirectoryIsNamed) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 100);
  SpillEnv env("0", "/nonexistent/spill");
  try {
    load_trace(dir / "t");
    FAIL() << "loaded";
  } catch (const TraceError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("invocations.csv"), std::string::npos) << what;
    EXPECT_NE(what.find("/nonexistent/spill"), std::string::npos) << what;
    EXPECT_NE(what.find("KEEPWARM_SPILL_DIR"), std::string::npos) << what;
  }
}

}  // namespace
