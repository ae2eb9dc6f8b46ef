// hash_bytes is XXH3-64 and owner_of spreads ranks by the high 32 bits only.
#include "dumpmill/aggregate/hashing.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <random>
#include <string>
#include <vector>

namespace dumpmill::aggregate {
namespace {

TEST(Hashing, IsXxh3WithSeedZero) {
  EXPECT_EQ(hash_bytes(""), 0x2D06800538D394C2ull);  // XXH3_64bits of no bytes
  const std::string s("Main_Page\0with NUL", 18);
  EXPECT_EQ(hash_bytes(s), XXH3_64bits(s.data(), s.size()));
  EXPECT_NE(hash_bytes("a"), hash_bytes("b"));
}

TEST(Hashing, OwnerEdgesAndRange) {
  for (int ranks = 1; ranks <= 9; ++ranks) {
    EXPECT_EQ(owner_of(0, ranks), 0);
    EXPECT_EQ(owner_of(~std::uint64_t{0}, ranks), ranks - 1);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t h = rng();
    const int o = owner_of(h, 7);
    ASSERT_GE(o, 0);
    ASSERT_LT(o, 7);
  }
}

TEST(Hashing, OwnerIgnoresLowBits) {
  // The low 32 bits are left to the table slots: changing them never moves the owner.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t h = rng();
    EXPECT_EQ(owner_of(h, 5), owner_of(h ^ 0xffffffffull, 5));
    EXPECT_EQ(owner_of(h, 5), owner_of(h & ~0xffffffffull, 5));
  }
  // ... and the high bits decide it, in order: owner = floor(hi * ranks / 2^32).
  EXPECT_EQ(owner_of(std::uint64_t{0x80000000} << 32, 2), 1);
  EXPECT_EQ(owner_of((std::uint64_t{0x80000000} << 32) - 1, 2), 0);
}

TEST(Hashing, OwnersOfRealKeysAreBalanced) {
  constexpr int kRanks = 7;
  constexpr int kKeys = 70000;
  std::vector<int> count(kRanks, 0);
  for (int i = 0; i < kKeys; ++i)
    ++count[owner_of(hash_bytes("title_" + std::to_string(i)), kRanks)];
  for (int c : count) {
    EXPECT_GT(c, kKeys / kRanks * 95 / 100);
    EXPECT_LT(c, kKeys / kRanks * 105 / 100);
  }
}

}  // namespace
}  // namespace dumpmill::aggregate
