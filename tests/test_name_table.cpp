// The flat name table of the CSV readers (keepwarm/traces/name_table.hpp), checked against
// std::unordered_map on many names, including ones that share prefixes, lengths and bytes.
#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "keepwarm/traces/name_table.hpp"

namespace keepwarm {
namespace {

TEST(NameTable, AssignsIndicesInInsertionOrderAndFindsThem) {
  NameTable t;
  EXPECT_EQ(t.find("a"), NameTable::kAbsent);
  EXPECT_EQ(t.insert("a"), std::make_pair(0u, true));
  EXPECT_EQ(t.insert("b"), std::make_pair(1u, true));
  EXPECT_EQ(t.insert("a"), std::make_pair(0u, false));
  EXPECT_EQ(t.insert(""), std::make_pair(2u, true));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find("a"), 0u);
  EXPECT_EQ(t.find("b"), 1u);
  EXPECT_EQ(t.find(""), 2u);
  EXPECT_EQ(t.find("ab"), NameTable::kAbsent);
  EXPECT_EQ(t.name(1), "b");
}

TEST(NameTable, AgreesWithUnorderedMapOnManyNamesThroughRehashes) {
  NameTable t;  // starts small: grows many times
  std::unordered_map<std::string, uint32_t> ref;
  std::vector<std::string> names;
  for (int i = 0; i < 60000; ++i) {
    // Hex-like names of varying length with common prefixes, as in Azure's hashes.
    std::string n = "fn" + std::to_string(i * 7919 % 100003);
    if (i % 3 == 0) n = std::string(64 - n.size() % 64, 'f') + n;
    if (i % 5 == 0) n += ",app,owner";
    names.push_back(n);
    const auto [index, inserted] = t.insert(n);
    const auto [it, ref_inserted] = ref.emplace(n, static_cast<uint32_t>(ref.size()));
    ASSERT_EQ(inserted, ref_inserted) << n;
    ASSERT_EQ(index, it->second) << n;
  }
  EXPECT_EQ(t.size(), ref.size());
  for (const auto& [n, index] : ref) {
    ASSERT_EQ(t.find(n), index) << n;
    ASSERT_EQ(t.name(index), n);
  }
  for (const std::string& n : names)
    ASSERT_EQ(t.find(n + "x"), ref.count(n + "x") ? ref.at(n + "x") : NameTable::kAbsent);
}

TEST(NameTable, HashUsesEveryByte) {
  const std::string a(40, 'a');
  for (size_t i = 0; i < a.size(); ++i) {
    std::string b = a;
    b[i] = 'b';
    EXPECT_NE(NameTable::hash(a), NameTable::hash(b)) << "byte " << i;
  }
  EXPECT_NE(NameTable::hash("abc"), NameTable::hash(std::string("abc\0", 4)));
}

}  // namespace
}  // namespace keepwarm
