// KeyedTable against std::unordered_map/std::map, including forced hash collisions.
#include "dumpmill/aggregate/keyed_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dumpmill/aggregate/hashing.hpp"

namespace dumpmill::aggregate {
namespace {

TEST(KeyedTable, InsertFindAndValueInit) {
  KeyedTable<std::uint64_t> t;
  EXPECT_EQ(t.find("a", hash_bytes("a")), nullptr);
  EXPECT_EQ(t.memory_bytes(), 0u);
  bool inserted = false;
  std::uint64_t& v = t.find_or_insert("a", hash_bytes("a"), inserted);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(v, 0u);
  v = 41;
  ++t.find_or_insert("a", hash_bytes("a"), inserted);
  EXPECT_FALSE(inserted);
  ASSERT_NE(t.find("a", hash_bytes("a")), nullptr);
  EXPECT_EQ(*t.find("a", hash_bytes("a")), 42u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_GT(t.memory_bytes(), 0u);
}

TEST(KeyedTable, EmptyKeysNulBytesAndSameHashDifferentKeys) {
  KeyedTable<int> t;
  bool inserted = false;
  // Every key gets hash 7: all collide, so only the key bytes tell them apart.
  const std::vector<std::string> keys = {"",  std::string(1, '\0'),  std::string(2, '\0'),
                                         "a", std::string("a\0", 2), "ab"};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    t.find_or_insert(keys[i], 7, inserted) = static_cast<int>(i) + 1;
    EXPECT_TRUE(inserted) << i;
  }
  EXPECT_EQ(t.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_NE(t.find(keys[i], 7), nullptr);
    EXPECT_EQ(*t.find(keys[i], 7), static_cast<int>(i) + 1);
    EXPECT_EQ(t.find(keys[i], 8), nullptr);  // same key, other hash: not found
  }
}

TEST(KeyedTable, MatchesUnorderedMapThroughGrowth) {
  KeyedTable<std::uint64_t> t;
  std::unordered_map<std::string, std::uint64_t> ref;
  std::mt19937_64 rng(3);
  std::vector<std::string> pool;
  for (int i = 0; i < 20000; ++i) pool.push_back("k" + std::to_string(rng() % 50000));
  pool.push_back(std::string(3 << 20, 'L'));  // bigger than an arena block
  for (int i = 0; i < 100000; ++i) {
    const std::string& k = pool[rng() % pool.size()];
    const std::uint64_t add = rng() % 100;
    bool inserted = false;
    t.find_or_insert(k, hash_bytes(k), inserted) += add;
    const bool ref_inserted = ref.find(k) == ref.end();
    ref[k] += add;
    ASSERT_EQ(inserted, ref_inserted);
    // Max load 0.7 and power-of-two capacity hold at every step.
    ASSERT_LE(t.size() * 10, t.capacity() * 7);
    ASSERT_EQ(t.capacity() & (t.capacity() - 1), 0u);
  }
  EXPECT_EQ(t.size(), ref.size());
  std::size_t seen = 0;
  t.for_each([&](std::string_view k, const std::uint64_t& v) {
    ++seen;
    auto it = ref.find(std::string(k));
    ASSERT_NE(it, ref.end());
    EXPECT_EQ(v, it->second);
  });
  EXPECT_EQ(seen, ref.size());
  EXPECT_GE(t.memory_bytes(), t.capacity() * 24 + (3u << 20));
}

TEST(KeyedTable, SortedEntriesFollowKeyBytes) {
  KeyedTable<int> t;
  std::map<std::string, int> ref;
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::string k(rng() % 6, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 256);  // bytes >= 0x80 sort after ASCII
    bool inserted = false;
    t.find_or_insert(k, hash_bytes(k), inserted) = i;
    ref[k] = i;
  }
  const auto sorted = t.sorted_entries();
  ASSERT_EQ(sorted.size(), ref.size());
  auto it = ref.begin();
  for (const auto& [k, v] : sorted) {
    EXPECT_EQ(k, it->first);  // std::string compares as unsigned bytes too
    EXPECT_EQ(*v, it->second);
    ++it;
  }
}

TEST(KeyedTable, ClearKeepsCapacityReleaseFreesAll) {
  KeyedTable<int> t;
  bool inserted = false;
  for (int i = 0; i < 5000; ++i)
    t.find_or_insert(std::to_string(i), hash_bytes(std::to_string(i)), inserted) = i;
  const std::size_t capacity = t.capacity();
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.capacity(), capacity);
  EXPECT_GT(t.memory_bytes(), capacity * 16);
  EXPECT_EQ(t.find("42", hash_bytes("42")), nullptr);
  int n = 0;
  t.for_each([&](std::string_view, const int&) { ++n; });
  EXPECT_EQ(n, 0);
  // Refilled after clear: values start from zero again and keys are stored afresh.
  EXPECT_EQ(t.find_or_insert("42", hash_bytes("42"), inserted), 0);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(t.sorted_entries().front().first, "42");
  t.release();
  EXPECT_EQ(t.memory_bytes(), 0u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find_or_insert("x", hash_bytes("x"), inserted), 0);
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace dumpmill::aggregate

namespace dumpmill::aggregate {
namespace {

TEST(KeyedTableMove, MovedFromTableIsEmptyAndUsable) {
  KeyedTable<std::uint64_t> a;
  bool inserted = false;
  for (int i = 0; i < 1000; ++i) {
    const std::string k = "key" + std::to_string(i);
    a.find_or_insert(k, hash_bytes(k), inserted) = static_cast<std::uint64_t>(i);
  }
  KeyedTable<std::uint64_t> b = std::move(a);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_EQ(*b.find("key7", hash_bytes("key7")), 7u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(a.memory_bytes(), 0u);
  a.clear();
  a.find_or_insert("x", hash_bytes("x"), inserted) = 1;
  EXPECT_TRUE(inserted);
  EXPECT_EQ(a.size(), 1u);
  KeyedTable<std::uint64_t> c;
  c = std::move(b);
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
  b.clear();
  EXPECT_EQ(*c.find("key999", hash_bytes("key999")), 999u);
}

}  // namespace
}  // namespace dumpmill::aggregate
