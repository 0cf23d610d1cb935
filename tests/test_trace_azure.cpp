// test_trace_azure.cpp: the Azure Functions 2019 importer on small files in the published
// layouts written here: FaasCache's transformation, the dropping rules, sampling, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <stdlib.h>

#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

struct AzFn {
  std::string owner, app, fn;
  std::map<int, int> minutes;  // minute (1..1440) -> invocations
  double average = 100, maximum = 1000;
  bool has_durations = true;
};

struct AzApp {
  std::string owner, app;
  double mb;
};

void write_dataset(const std::filesystem::path& dir, int day, const std::vector<AzFn>& fns,
                   const std::vector<AzApp>& apps) {
  char dd[8];
  std::snprintf(dd, sizeof dd, "d%02d", day);
  std::string inv = "HashOwner,HashApp,HashFunction,Trigger";
  for (int m = 1; m <= 1440; ++m) inv += "," + std::to_string(m);
  inv += "\n";
  std::string dur =
      "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
      "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
      "percentile_Average_99,percentile_Average_100\n";
  for (const AzFn& f : fns) {
    inv += f.owner + "," + f.app + "," + f.fn + ",http";
    for (int m = 1; m <= 1440; ++m) {
      const auto it = f.minutes.find(m);
      inv += "," + std::to_string(it == f.minutes.end() ? 0 : it->second);
    }
    inv += "\n";
    if (f.has_durations)
      dur += f.owner + "," + f.app + "," + f.fn + "," + std::to_string(f.average) + ",10,1," +
             std::to_string(f.maximum) + ",1,1,1,1,1,1,1\n";
  }
  std::string mem =
      "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
      "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
      "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
      "AverageAllocatedMb_pct100\n";
  for (const AzApp& a : apps)
    mem += a.owner + "," + a.app + ",5," + std::to_string(a.mb) + ",1,1,1,1,1,1,1,1\n";
  test::write_text(dir / ("invocations_per_function_md.anon." + std::string(dd) + ".csv"), inv);
  test::write_text(dir / ("function_durations_percentiles.anon." + std::string(dd) + ".csv"), dur);
  test::write_text(dir / ("app_memory_percentiles.anon." + std::string(dd) + ".csv"), mem);
}

TEST(TraceAzure, FaasCacheTransformation) {
  test::TempDir dir;
  std::vector<AzFn> fns = {
      {"o1", "a1", "f1", {{1, 3}, {3, 1}}, 250, 2500},
      {"o1", "a1", "f2", {{2, 1}}, 10, 20},            // invoked once: dropped
      {"o1", "a1", "f3", {{1, 1}, {1440, 1}}, 5, 50},  // kept
      {"o2", "a2", "g1", {{5, 10}}, 1, 2, false},      // no durations: dropped
      {"o3", "a3", "h1", {{1, 2}}, 1, 2},              // app without memory: dropped
  };
  write_dataset(dir.path(), 1, fns, {{"o1", "a1", 301}, {"o2", "a2", 100}});
  AzureImportOptions o;
  o.sample = AzureSample::all;
  AzureImportStats st;
  const Trace t = import_azure(dir.path(), o, &st);
  EXPECT_EQ(st.functions_in_file, 5u);
  EXPECT_EQ(st.functions_eligible, 2u);
  EXPECT_EQ(st.functions_kept, 2u);
  ASSERT_EQ(t.functions.size(), 2u);
  EXPECT_EQ(t.functions[0].id, "f1");
  // a1 has 3 functions in the durations file: ceil(301 / 3) = 101.
  EXPECT_EQ(t.functions[0].memory_mb, 101u);
  EXPECT_EQ(t.functions[0].cold_ms, 2500);
  EXPECT_EQ(t.functions[0].warm_ms, 250);
  EXPECT_EQ(t.functions[1].id, "f3");
  EXPECT_EQ(t.times, (std::vector<double>{0, 0, 20000, 40000, 120000, 1439 * 60000.0}));
  EXPECT_EQ(t.function_of, (std::vector<uint32_t>{0, 1, 0, 0, 0, 1}));
  EXPECT_NO_THROW(t.validate());
}

std::vector<AzFn> population(int n) {
  std::vector<AzFn> fns;
  for (int i = 0; i < n; ++i) {
    AzFn f{"o", "app" + std::to_string(i % 5), "fn" + std::to_string(i), {}};
    // Daily totals 2 .. n+1, spread over the day.
    for (int k = 0; k < i + 2; ++k) f.minutes[1 + (k * 37 + i) % 1440] += 1;
    fns.push_back(f);
  }
  return fns;
}

std::vector<AzApp> apps() {
  std::vector<AzApp> a;
  for (int i = 0; i < 5; ++i) a.push_back({"o", "app" + std::to_string(i), 1024});
  return a;
}

std::vector<uint64_t> totals(const Trace& t) {
  std::vector<uint64_t> c(t.functions.size(), 0);
  for (uint32_t f : t.function_of) ++c[f];
  return c;
}

// A large import's invocations go to a temporary file (KEEPWARM_SPILL_MB; 0 = always here): the
// columns are views of its mapping and equal to what memory holds.
TEST(TraceAzure, SpilledColumnsAreTheSame) {
  test::TempDir dir;
  std::vector<AzFn> fns = {{"o1", "a1", "f1", {{1, 3}, {3, 1}, {700, 40}}, 250, 2500},
                           {"o1", "a1", "f3", {{1, 1}, {700, 9}, {1440, 1}}, 5, 50}};
  write_dataset(dir.path(), 1, fns, {{"o1", "a1", 301}});
  AzureImportOptions o;
  o.sample = AzureSample::all;
  ::setenv("KEEPWARM_SPILL_MB", "off", 1);
  const Trace held = import_azure(dir.path(), o);
  ::setenv("KEEPWARM_SPILL_MB", "0", 1);
  const Trace spilled = import_azure(dir.path(), o);
  ::unsetenv("KEEPWARM_SPILL_MB");
  EXPECT_FALSE(held.times.is_view());
  EXPECT_TRUE(spilled.times.is_view());
  EXPECT_TRUE(spilled.function_of.is_view());
  EXPECT_EQ(spilled.invocation_count(), 55u);
  EXPECT_TRUE(spilled.times == held.times);
  EXPECT_TRUE(spilled.function_of == held.function_of);
}

TEST(TraceAzure, SamplingIsSeededAndFollowsTheRule) {
  test::TempDir dir;
  write_dataset(dir.path(), 2, population(40), apps());
  AzureImportOptions o;
  o.day = 2;
  o.functions = 8;
  o.seed = 1;
  // representative: 2 from each quartile of daily invocations (totals 2-11, 12-21, 22-31, 32-41).
  const Trace rep = import_azure(dir.path(), o);
  ASSERT_EQ(rep.functions.size(), 8u);
  std::map<int, int> per_quartile;
  for (uint64_t c : totals(rep)) ++per_quartile[static_cast<int>((c - 2) / 10)];
  EXPECT_EQ(per_quartile, (std::map<int, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}}));
  const Trace again = import_azure(dir.path(), o);
  EXPECT_EQ(rep.times, again.times);
  EXPECT_EQ(rep.function_of, again.function_of);
  o.seed = 2;
  const Trace other = import_azure(dir.path(), o);
  std::set<std::string> a, b;
  for (const auto& f : rep.functions) a.insert(f.id);
  for (const auto& f : other.functions) b.insert(f.id);
  EXPECT_NE(a, b);

  o.sample = AzureSample::rare;
  const Trace rare = import_azure(dir.path(), o);
  auto rc = totals(rare);
  std::sort(rc.begin(), rc.end());
  EXPECT_EQ(rc, (std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8, 9}));

  o.sample = AzureSample::random;
  EXPECT_EQ(import_azure(dir.path(), o).functions.size(), 8u);
  o.sample = AzureSample::all;
  EXPECT_EQ(import_azure(dir.path(), o).functions.size(), 40u);
  o.sample = AzureSample::representative;
  o.functions = 1000;  // more than there are: all of them
  EXPECT_EQ(import_azure(dir.path(), o).functions.size(), 40u);
}

TEST(TraceAzure, ErrorsNameFileLineAndColumn) {
  test::TempDir dir;
  write_dataset(dir.path(), 1, population(3), apps());
  const auto inv = dir / "invocations_per_function_md.anon.d01.csv";
  std::string text = test::read_text(inv);
  // Corrupt minute 2 of the second data row (line 3).
  const size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  const size_t minute2 = text.find(',', text.find("http", line3) + 5) + 1;
  text[minute2] = 'x';
  test::write_text(inv, text);
  try {
    import_azure(dir.path(), {});
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_EQ(e.line(), 3u) << e.what();
    EXPECT_GT(e.column(), 0u);
    EXPECT_NE(std::string(e.what()).find("invocations_per_function_md.anon.d01.csv:3:"),
              std::string::npos)
        << e.what();
  }
  test::write_text(dir / "app_memory_percentiles.anon.d01.csv", "HashOwner,HashApp,Bad\n");
  EXPECT_THROW(import_azure(dir.path(), {}), TraceError);
  EXPECT_THROW(import_azure(dir / "nope", {}), TraceError);
  AzureImportOptions o;
  o.day = 3;  // no such files
  EXPECT_THROW(import_azure(dir.path(), o), TraceError);
}

TEST(TraceAzure, AbsurdCountsAreRefusedBeforeAllocation) {
  test::TempDir dir;
  std::vector<AzFn> fns = population(3);
  fns[1].minutes[7] = 2000000000;  // 4e9 invocations in two minutes
  fns[1].minutes[8] = 2000000000;
  write_dataset(dir.path(), 1, fns, apps());
  AzureImportOptions o;
  o.sample = AzureSample::all;
  try {
    import_azure(dir.path(), o);
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("invocations_per_function_md.anon.d01.csv: the 3 chosen "
                                         "functions have 4000"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("more than the limit 1000000000"), std::string::npos)
        << e.what();
  }
  // Through the CLI the limit is a flag.
  const auto r =
      test::run_keepwarm("trace import-azure " + dir.path().string() +
                         " --sample all --max-invocations 10 -o " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("more than the limit 10 "), std::string::npos) << r.output;
}

TEST(TraceAzure, MemoryDayFallback) {
  test::TempDir dir;
  write_dataset(dir.path(), 1, population(4), apps());
  write_dataset(dir.path(), 9, population(4), apps());
  std::filesystem::remove(dir / "app_memory_percentiles.anon.d09.csv");
  AzureImportOptions o;
  o.day = 9;
  o.sample = AzureSample::all;
  EXPECT_THROW(import_azure(dir.path(), o), TraceError);
  o.memory_day = 1;
  EXPECT_EQ(import_azure(dir.path(), o).functions.size(), 4u);
}

}  // namespace

namespace {

TEST(TraceAzure, LoadTraceSendsDatasetsToTheImporter) {
  test::TempDir dir;
  write_dataset(dir.path(), 1, population(3), apps());
  try {
    load_trace(dir.path());
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("keepwarm trace import-azure"), std::string::npos)
        << e.what();
  }
}

}  // namespace
