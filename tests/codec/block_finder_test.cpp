// Tests for find_deflate_block: finds every true dynamic/stored block start, rejects broken
// headers, safe on any input.
#include <gtest/gtest.h>

#include <random>

#include "deflate_test_util.hpp"
#include "dumpmill/codec/deflate_block_finder.hpp"

namespace dumpmill::codec::testing {
namespace {

// Searching [bit, bit + 1) returns bit for every true non-final dynamic or stored block start
// (stored: its canonical start) and nothing for final and fixed-Huffman block starts.
void expect_all_boundaries_found(const Bytes& raw, int min_expected) {
  const auto bounds = list_boundaries(raw, -15);
  int checked = 0;
  for (const Boundary& b : bounds) {
    const std::uint64_t at = canonical_bit(raw, b.bit);
    const auto found = find_deflate_block(raw, at, at + 1);
    if (!b.final && (b.type == 2 || b.type == 0)) {
      ASSERT_TRUE(found.has_value()) << "missed block at bit " << b.bit << " type " << b.type;
      EXPECT_EQ(*found, at);
      ++checked;
      // A search from 16 Kibit before it stops at or before it.
      const std::uint64_t from = at > 16384 ? at - 16384 : 0;
      const auto first = find_deflate_block(raw, from, at + 1);
      ASSERT_TRUE(first.has_value());
      EXPECT_LE(*first, at);
    } else {
      EXPECT_FALSE(found.has_value()) << "final or fixed block reported at " << b.bit;
    }
  }
  EXPECT_GE(checked, min_expected);
}

TEST(BlockFinder, FindsEveryDynamicBlockOfZlibStreams) {
  const Bytes text = clickstream_text(1'500'000 / kScale, 11);
  for (const int level : {1, 6, 9}) {
    SCOPED_TRACE(level);
    expect_all_boundaries_found(zlib_compress(text, level), 10 / static_cast<int>(kScale));
  }
}

TEST(BlockFinder, FindsStoredBlocks) {
  // Incompressible input: zlib emits stored blocks (its dynamic code would be larger).
  const Bytes raw = zlib_compress(random_bytes(400'000, 12), 6);
  const auto bounds = list_boundaries(raw, -15);
  ASSERT_GT(
      std::count_if(bounds.begin(), bounds.end(), [](const Boundary& b) { return b.type == 0; }),
      5);
  expect_all_boundaries_found(raw, 5);
  // Level 0: stored blocks only, byte-aligned after the first.
  expect_all_boundaries_found(zlib_compress(random_bytes(300'000, 13), 0), 3);
}

TEST(BlockFinder, FixedHuffmanBlocksAreNotFound) {
  const Bytes raw = zlib_compress(clickstream_text(400'000, 14), 6, -15, Z_FIXED);
  const auto bounds = list_boundaries(raw, -15);
  ASSERT_GT(bounds.size(), 3u);
  for (const Boundary& b : bounds) {
    EXPECT_EQ(b.type, 1u);
    EXPECT_FALSE(find_deflate_block(raw, b.bit, b.bit + 1).has_value());
  }
}

// Breaking one field of a real dynamic header makes it invisible to the finder.
TEST(BlockFinder, RejectsBrokenHeaders) {
  const Bytes raw = zlib_compress(clickstream_text(300'000, 15), 6);
  const auto bounds = list_boundaries(raw, -15);
  const auto b = std::find_if(bounds.begin() + 1, bounds.end(),
                              [](const Boundary& x) { return x.type == 2 && !x.final; });
  ASSERT_NE(b, bounds.end());
  const std::uint64_t at = b->bit;
  ASSERT_EQ(find_deflate_block(raw, at, at + 1), at);
  const auto set_bits = [&](Bytes& m, std::uint64_t bit, unsigned n, unsigned value) {
    for (unsigned i = 0; i < n; ++i) {
      const std::uint64_t p = bit + i;
      m[p / 8] = static_cast<std::uint8_t>((m[p / 8] & ~(1u << (p % 8))) |
                                           (((std::uint64_t{value} >> i) & 1u) << (p % 8)));
    }
  };
  struct Mutation {
    const char* what;
    std::uint64_t offset;
    unsigned bits;
    unsigned value;
  };
  const unsigned hclen = bits_from(raw, at + 13, 4);
  for (const Mutation& mu : {Mutation{"final", 0, 1, 1}, Mutation{"reserved type", 1, 2, 3},
                             Mutation{"fixed type", 1, 2, 1}, Mutation{"HLIT 30", 3, 5, 30},
                             Mutation{"HLIT 31", 3, 5, 31}, Mutation{"HDIST 30", 8, 5, 30},
                             Mutation{"HDIST 31", 8, 5, 31},
                             // precode: lengths of symbols 16, 17, 18 all 1: over-subscribed
                             Mutation{"precode over-subscribed", 17, 9, 0111},
                             // all precode lengths 0: empty code
                             Mutation{"precode empty", 17, 3 * (hclen + 4), 0}}) {
    Bytes m = raw;
    set_bits(m, at + mu.offset, mu.bits, mu.value);
    EXPECT_FALSE(find_deflate_block(m, at, at + 1).has_value()) << mu.what;
  }
  // Cut the header off: not reported.
  const Bytes cut(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(at / 8 + 20));
  EXPECT_FALSE(find_deflate_block(cut, at, at + 1).has_value());
}

// Random bits: candidates are rare, always inside the range, increasing; any range is safe.
TEST(BlockFinder, RandomDataCandidatesAreRareAndInRange) {
  const Bytes noise = random_bytes((4u << 20) / kScale, 16);
  std::uint64_t from = 0;
  const std::uint64_t last = noise.size() * 8;
  int candidates = 0;
  while (auto c = find_deflate_block(noise, from, last)) {
    ASSERT_GE(*c, from);
    ASSERT_LT(*c, last);
    ++candidates;
    from = *c + 1;
  }
  // ~1 stored (LEN == ~NLEN: 1 in 65536 bytes) + dynamic candidates per 64 KiB of noise.
  EXPECT_LT(candidates, static_cast<int>(noise.size() / 4096));
  EXPECT_GT(candidates, 0);
  EXPECT_FALSE(find_deflate_block(noise, 100, 100).has_value());
  EXPECT_FALSE(find_deflate_block(noise, 200, 100).has_value());
  EXPECT_FALSE(find_deflate_block(Bytes{}, 0, 1000).has_value());
  EXPECT_FALSE(find_deflate_block(Bytes{0, 0}, 0, 1000).has_value());
  std::mt19937_64 rng(17);
  for (int i = 0; i < 2000; ++i) {
    const Bytes b = random_bytes(rng() % 700, rng());
    const std::uint64_t f = rng() % (b.size() * 8 + 16);
    (void)find_deflate_block(b, f, f + rng() % 5000);
  }
}

}  // namespace
}  // namespace dumpmill::codec::testing
