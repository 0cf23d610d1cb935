// test_sha256.cpp: the SHA-256 used to fingerprint plugins, against FIPS 180-4 / NIST vectors,
// and its appearance in results.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "keepwarm/util/sha256.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, MillionAsInUnevenChunks) {
  const std::string chunk(997, 'a');
  Sha256 h;
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55, 56 and 64 bytes straddle the length field's block boundary.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, FileHashMatchesStringHash) {
  test::TempDir dir;
  test::write_text(dir / "f", "abc");
  EXPECT_EQ(sha256_file_hex(dir / "f"), sha256_hex("abc"));
  EXPECT_THROW(sha256_file_hex(dir / "missing"), std::runtime_error);
}

TEST(Sha256, ResultsJsonRecordsEachPluginsHash) {
  test::TempDir dir;
  test::write_text(dir / "t/functions.csv", "function,memory_mb,cold_ms,warm_ms\nx,100,1000,100\n");
  test::write_text(dir / "t/invocations.csv", "time_ms,function\n0,x\n5000,x\n");
  const auto r = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                                    " --policy lru --memory 300 --out " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string json = test::read_text(dir / "out/results.json");
  const PluginPtr lru = test::builtin("lru");
  EXPECT_NE(json.find("\"sha256\": \"" + sha256_file_hex(lru->file()) + "\""), std::string::npos)
      << json;
}

}  // namespace
