// test_trace_binary.cpp: the binary trace form: exact round trip, recognition by content, and
// refusal of corrupt, truncated or otherwise damaged files (never a crash or a short trace).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "keepwarm/experiment/checkpoint.hpp"
#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

Trace sample() {
  return test::make_trace(
      {{"alpha", 128, 1234.5, 100.25}, {"beta", 2048, 0, 0}, {"gamma-ü", 1, 1e9, 3}},
      {{0, "alpha"}, {0, "beta"}, {0.1, "alpha"}, {1e7, "gamma-ü"}, {1e7, "alpha"}});
}

void expect_same(const Trace& a, const Trace& b) {
  ASSERT_EQ(a.functions.size(), b.functions.size());
  for (size_t i = 0; i < a.functions.size(); ++i) {
    EXPECT_EQ(a.functions[i].id, b.functions[i].id);
    EXPECT_EQ(a.functions[i].memory_mb, b.functions[i].memory_mb);
    EXPECT_EQ(a.functions[i].cold_ms, b.functions[i].cold_ms);
    EXPECT_EQ(a.functions[i].warm_ms, b.functions[i].warm_ms);
  }
  EXPECT_EQ(a.times, b.times);
  EXPECT_EQ(a.function_of, b.function_of);
}

TEST(TraceBinary, RoundTrip) {
  test::TempDir dir;
  const Trace t = sample();
  write_binary_trace(t, dir / "t.kwt");
  expect_same(t, load_binary_trace(dir / "t.kwt"));
  // load_trace recognises it by its magic, whatever the name.
  std::filesystem::rename(dir / "t.kwt", dir / "functions.csv");
  expect_same(t, load_trace(dir / "functions.csv"));
}

TEST(TraceBinary, EmptyTraceRoundTrips) {
  Trace t;
  t.name = "empty";
  expect_same(t, decode_binary_trace(encode_binary_trace(t), "e.kwt"));
}

TEST(TraceBinary, NativeToBinaryToNativeIsExact) {
  test::TempDir dir;
  const Trace t = sample();
  write_native_trace(t, dir / "native");
  const Trace n = load_trace(dir / "native");
  write_binary_trace(n, dir / "b.kwt");
  expect_same(t, load_trace(dir / "b.kwt"));
}

TEST(TraceBinary, EveryFlippedByteIsDetected) {
  const std::string good = encode_binary_trace(sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_THROW(decode_binary_trace(bad, "flip.kwt"), TraceError) << "byte " << i;
  }
}

TEST(TraceBinary, EveryTruncationIsDetected) {
  const std::string good = encode_binary_trace(sample());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_binary_trace(good.substr(0, n), "cut.kwt"), TraceError) << n;
  EXPECT_THROW(decode_binary_trace(good + "x", "long.kwt"), TraceError);
}

TEST(TraceBinary, MessagesNameFileAndProblem) {
  std::string bad = encode_binary_trace(sample());
  bad[bad.size() - 1] ^= 1;
  try {
    decode_binary_trace(bad, "dir/trace.kwt");
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("dir/trace.kwt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  std::string version = encode_binary_trace(sample());
  version[8] = 2;
  try {
    decode_binary_trace(version, "v.kwt");
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported version 2"), std::string::npos) << e.what();
  }
}

TEST(TraceBinary, ChecksumValidButInconsistentContentIsRefused) {
  // A well-checksummed file whose invocation names a function that does not exist.
  Trace t = sample();
  std::string bytes = encode_binary_trace(t);
  // Patch the last function_of entry to 99 and fix the checksum.
  bytes[bytes.size() - 4] = 99;
  const uint64_t sum = trace_checksum(std::string_view(bytes).substr(48));
  std::memcpy(bytes.data() + 40, &sum, 8);
  EXPECT_THROW(decode_binary_trace(bytes, "x.kwt"), TraceError);
}

TEST(TraceBinary, ChecksumIsPinned) {
  // FNV-1a 64 test vectors, and the lane variant on a fixed input: the format must not drift.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  std::string data;
  for (int i = 0; i < 100; ++i) data += static_cast<char>(i * 7);
  const uint64_t sum = trace_checksum(data);
  // Three 32-byte blocks through the lanes and a 4-byte tail; the value follows from the
  // algorithm in traces/README.md (computed independently of this implementation).
  EXPECT_EQ(sum, 0x9ceb6bd044387364ull);
  for (size_t i = 0; i < data.size(); ++i) {
    std::string flipped = data;
    flipped[i] ^= 1;
    EXPECT_NE(trace_checksum(flipped), sum) << i;
  }
}

TEST(TraceBinary, TruncatedFileOnDiskIsAnError) {
  test::TempDir dir;
  const std::string good = encode_binary_trace(sample());
  test::write_text(dir / "cut.kwt", good.substr(0, good.size() - 3));
  EXPECT_THROW(load_trace(dir / "cut.kwt"), TraceError);
  test::write_text(dir / "empty.kwt", "");
  EXPECT_THROW(load_trace(dir / "empty.kwt"), TraceError);
}

TEST(TraceBinary, UnrecognisedFileIsAnError) {
  test::TempDir dir;
  test::write_text(dir / "junk", "hello");
  EXPECT_THROW(load_trace(dir / "junk"), TraceError);
  EXPECT_THROW(load_trace(dir / "missing"), TraceError);
}

}  // namespace

// A mapped binary trace is a view of the file (no copy), its pages can be released behind a
// reader without changing what it reads, and a replay of it equals a replay of the same trace
// held in memory.
TEST(TraceBinary, MappedTraceIsAViewAndReplaysIdentically) {
  test::TempDir dir;
  AzureLikeSpec spec;
  spec.functions = 40;
  spec.seed = 9;
  spec.min_per_day = 20000;
  spec.duration_ms = 12 * 3600000.0;
  const Trace owned = generate_azure_like(spec);
  ASSERT_GT(owned.invocation_count(), size_t{1} << 19);  // several replay blocks
  write_binary_trace(owned, dir / "t.kwt");
  const Trace mapped = load_binary_trace(dir / "t.kwt");
  EXPECT_TRUE(mapped.times.is_view());
  EXPECT_TRUE(mapped.function_of.is_view());
  EXPECT_FALSE(owned.times.is_view());
  mapped.times.release(0, mapped.invocation_count());
  mapped.function_of.release(0, mapped.invocation_count());
  expect_same(owned, mapped);
  for (const uint64_t mb : {2000, 20000}) {
    const CellResult a = test::run(owned, test::builtin("lru"), mb);
    const CellResult b = test::run(mapped, test::builtin("lru"), mb);
    EXPECT_EQ(a.metrics.cold, b.metrics.cold);
    EXPECT_EQ(a.metrics.warm, b.metrics.warm);
    EXPECT_EQ(a.metrics.dropped, b.metrics.dropped);
    EXPECT_EQ(a.metrics.evictions, b.metrics.evictions);
    EXPECT_EQ(a.metrics.idle_mb_s, b.metrics.idle_mb_s);
  }
}

namespace {

// This process's resident memory, kB (VmRSS of /proc/self/status).
long resident_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Full passes over a mapped trace (its content hash, `trace info`'s statistics) give back what
// they read: a 4M-invocation trace (48 MB of columns) costs them no resident memory. The
// checkpoint's hash once put the whole mapping back (831 MB on a 70M-invocation trace).
TEST(TraceBinary, FullPassesReleaseTheMapping) {
  test::TempDir dir;
  Trace t;
  t.name = "big";
  for (int f = 0; f < 50; ++f) t.functions.push_back({"f" + std::to_string(f), 64, 100, 10});
  const size_t n = size_t{4} << 20;
  t.times.reserve(n);
  t.function_of.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    t.times.push_back(static_cast<double>(i));
    t.function_of.push_back(static_cast<uint32_t>((i * 7) % 50));
  }
  write_binary_trace(t, dir / "big.kwt");
  t = Trace{};
  const Trace mapped = load_binary_trace(dir / "big.kwt");
  ASSERT_TRUE(mapped.times.is_view());
  const long before = resident_kb();
  ASSERT_GT(before, 0);
  const std::string hash = trace_content_hash(mapped);
  EXPECT_FALSE(hash.empty());
  EXPECT_LT(resident_kb() - before, 16 * 1024) << "kB resident after the hash";
  const TraceSummary s = summarize_trace(mapped, 0);
  EXPECT_EQ(s.invocations, n);
  EXPECT_LT(resident_kb() - before, 16 * 1024) << "kB resident after the statistics";
}

}  // namespace
