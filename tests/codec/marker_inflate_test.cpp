// Tests for marker_inflate/resolve_markers: exact bytes from any block boundary, limits, bad input.
#include "dumpmill/codec/marker_inflate.hpp"

#include <gtest/gtest.h>

#include <random>

#include "deflate_test_util.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec::testing {
namespace {

Bytes symbols_to_bytes(const std::vector<std::uint16_t>& s) {
  Bytes b;
  for (const std::uint16_t x : s) {
    EXPECT_LT(x, 256) << "unexpected marker";
    b.push_back(static_cast<std::uint8_t>(x));
  }
  return b;
}

struct Variant {
  const char* name;
  int level;
  int strategy;
  bool text;
};

class WholeStream : public ::testing::TestWithParam<Variant> {};

TEST_P(WholeStream, DecodesFromTheStartExactly) {
  const Variant v = GetParam();
  const Bytes data =
      v.text ? clickstream_text(600'000 / kScale, 3) : random_bytes(300'000 / kScale, 4);
  const Bytes raw = zlib_compress(data, v.level, -15, v.strategy);
  std::vector<std::uint16_t> out;
  MarkerInflateOptions opts;
  opts.window_unknown = false;
  const MarkerInflateResult r = marker_inflate(raw, 0, out, opts);
  ASSERT_EQ(r.status, MarkerInflateStatus::kFinalBlock) << (r.error ? r.error : "");
  EXPECT_EQ((r.end_bit + 7) / 8, raw.size());
  EXPECT_EQ(r.blocks, list_boundaries(raw, -15).size());
  EXPECT_TRUE(symbols_to_bytes(out) == data);
}

INSTANTIATE_TEST_SUITE_P(Zlib, WholeStream,
                         ::testing::Values(Variant{"text1", 1, Z_DEFAULT_STRATEGY, true},
                                           Variant{"text6", 6, Z_DEFAULT_STRATEGY, true},
                                           Variant{"text9", 9, Z_DEFAULT_STRATEGY, true},
                                           Variant{"fixed", 6, Z_FIXED, true},
                                           Variant{"huffman", 6, Z_HUFFMAN_ONLY, true},
                                           Variant{"rle", 6, Z_RLE, true},
                                           Variant{"stored", 0, Z_DEFAULT_STRATEGY, true},
                                           Variant{"random6", 6, Z_DEFAULT_STRATEGY, false},
                                           Variant{"random1", 1, Z_DEFAULT_STRATEGY, false}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// From every true block boundary, with the window unknown: the symbols resolved with the real
// previous 32 KiB are exactly the reference bytes; text has markers (back-references cross).
TEST(MarkerInflate, FromEveryBoundaryWithUnknownWindow) {
  const Bytes data = clickstream_text(1'500'000, 5);
  const Bytes raw = zlib_compress(data, 6);
  Bytes decoded;
  const auto bounds = list_boundaries(raw, -15, &decoded);
  ASSERT_TRUE(decoded == data);
  ASSERT_GT(bounds.size(), 5u);
  int with_markers = 0;
  for (std::size_t i = 1; i < bounds.size(); ++i) {
    const Boundary& b = bounds[i];
    std::vector<std::uint16_t> out;
    MarkerInflateOptions opts;
    opts.max_blocks = 2;
    const MarkerInflateResult r = marker_inflate(raw, b.bit, out, opts);
    const bool last_two = i + 2 >= bounds.size();
    ASSERT_EQ(r.status,
              last_two ? MarkerInflateStatus::kFinalBlock : MarkerInflateStatus::kBoundary);
    if (!last_two) {
      EXPECT_EQ(r.end_bit, canonical_bit(raw, bounds[i + 2].bit));
    }
    with_markers += has_markers(out) ? 1 : 0;
    const std::size_t keep = std::min<std::size_t>(b.out_offset, kWindowSize);
    const Bytes window(data.begin() + static_cast<std::ptrdiff_t>(b.out_offset - keep),
                       data.begin() + static_cast<std::ptrdiff_t>(b.out_offset));
    Bytes resolved;
    resolve_markers(out, window, resolved);
    ASSERT_LE(b.out_offset + resolved.size(), data.size());
    EXPECT_TRUE(std::equal(resolved.begin(), resolved.end(),
                           data.begin() + static_cast<std::ptrdiff_t>(b.out_offset)))
        << "boundary " << i << " at bit " << b.bit;
    EXPECT_FALSE(has_markers(out));  // resolve_markers rewrites the symbols in place too
  }
  EXPECT_EQ(with_markers, static_cast<int>(bounds.size()) - 1);
}

// The limits stop at the first boundary at/after them; the start counts as a boundary.
TEST(MarkerInflate, StopsAtFirstBoundaryAtOrAfterLimits) {
  const Bytes data = clickstream_text(800'000, 6);
  const Bytes raw = zlib_compress(data, 9);
  const auto bounds = list_boundaries(raw, -15);
  ASSERT_GT(bounds.size(), 4u);
  for (std::size_t i = 1; i + 1 < bounds.size(); ++i) {
    for (const std::uint64_t stop : {bounds[i].bit - 1, bounds[i].bit, bounds[i].bit + 1}) {
      std::vector<std::uint16_t> out;
      MarkerInflateOptions opts;
      opts.window_unknown = false;
      opts.stop_after_bit = stop;
      const MarkerInflateResult r = marker_inflate(raw, 0, out, opts);
      const std::size_t expect = stop <= bounds[i].bit ? i : i + 1;
      ASSERT_EQ(r.status, MarkerInflateStatus::kBoundary);
      EXPECT_EQ(r.end_bit, bounds[expect].bit);
      EXPECT_EQ(r.blocks, expect);
      EXPECT_EQ(out.size(), bounds[expect].out_offset);
    }
  }
  std::vector<std::uint16_t> out;
  MarkerInflateOptions opts;
  opts.stop_after_bit = 0;
  EXPECT_EQ(marker_inflate(raw, 0, out, opts).blocks, 0u);
  EXPECT_TRUE(out.empty());
  opts = {};
  opts.window_unknown = false;
  opts.stop_after_symbols = bounds[2].out_offset - 1;
  const auto r = marker_inflate(raw, 0, out, opts);
  EXPECT_EQ(r.end_bit, bounds[2].bit);
  EXPECT_EQ(out.size(), bounds[2].out_offset);
}

// An input cut anywhere yields kNeedInput at the last whole block; resuming with the rest
// continues from there and gives the same bytes as one call.
TEST(MarkerInflate, NeedInputThenResume) {
  const Bytes data = clickstream_text(500'000 / kScale, 7);
  const Bytes raw = zlib_compress(data, 6);
  const auto bounds = list_boundaries(raw, -15);
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t cut = 1 + rng() % (raw.size() - 1);
    const std::span<const std::uint8_t> head(raw.data(), cut);
    std::vector<std::uint16_t> out;
    MarkerInflateOptions opts;
    opts.window_unknown = false;
    const MarkerInflateResult r = marker_inflate(head, 0, out, opts);
    ASSERT_EQ(r.status, MarkerInflateStatus::kNeedInput) << "cut " << cut;
    const auto it = std::find_if(bounds.begin(), bounds.end(),
                                 [&](const Boundary& b) { return b.bit == r.end_bit; });
    ASSERT_NE(it, bounds.end()) << "end_bit " << r.end_bit << " is not a block boundary";
    EXPECT_EQ(out.size(), it->out_offset);
    EXPECT_LE(r.end_bit, cut * 8);
    const MarkerInflateResult rest = marker_inflate(raw, r.end_bit, out, opts);
    ASSERT_EQ(rest.status, MarkerInflateStatus::kFinalBlock);
    EXPECT_TRUE(symbols_to_bytes(out) == data);
  }
}

// A hand-made stream: fixed block, stored block behind NON-zero padding, final fixed block.
TEST(MarkerInflate, StoredBlockWithOddPaddingAndCanonicalBoundary) {
  BitWriter w;
  w.put(0, 1);
  w.put(1, 2);  // fixed
  for (const char c : std::string("abcab")) put_fixed_literal(w, static_cast<std::uint8_t>(c));
  put_fixed_eob(w);
  const std::uint64_t stored_at = w.bits();
  w.put(0, 3);
  w.pad_with(1);  // legal but unusual: padding bits are not checked by decoders
  const std::uint64_t len_byte = w.bits() / 8;
  w.put(4, 16);
  w.put(~4u & 0xffffu, 16);
  for (const char c : std::string("WXYZ")) w.byte(static_cast<std::uint8_t>(c));
  const std::uint64_t final_at = w.bits();
  w.put(1, 1);
  w.put(1, 2);
  put_fixed_literal(w, '!');
  put_fixed_eob(w);
  const Bytes raw = w.bytes();
  ASSERT_EQ(stored_at % 8, 2u);  // 3 + 5 * 8 + 7 bits: the header is followed by 3 padding bits
  std::vector<std::uint16_t> out;
  MarkerInflateOptions opts;
  opts.window_unknown = false;
  ASSERT_EQ(marker_inflate(raw, 0, out, opts).status, MarkerInflateStatus::kFinalBlock);
  EXPECT_TRUE(symbols_to_bytes(out) == Bytes({'a', 'b', 'c', 'a', 'b', 'W', 'X', 'Y', 'Z', '!'}));
  // Ones in the padding: the only 3-zero-bit position at or after the header is the header.
  opts.stop_after_bit = stored_at + 1;
  out.clear();
  const auto r = marker_inflate(raw, 0, out, opts);
  EXPECT_EQ(r.status, MarkerInflateStatus::kBoundary);
  EXPECT_EQ(r.end_bit, final_at);
  opts.stop_after_bit = stored_at;
  out.clear();
  EXPECT_EQ(marker_inflate(raw, 0, out, opts).end_bit, stored_at);
  EXPECT_EQ(len_byte * 8, stored_at + 6);
  out.clear();
  const auto from = marker_inflate(raw, stored_at, out);
  EXPECT_EQ(from.status, MarkerInflateStatus::kFinalBlock);
  EXPECT_TRUE(symbols_to_bytes(out) == Bytes({'W', 'X', 'Y', 'Z', '!'}));
}

TEST(MarkerInflate, MarkersPointIntoTheWindow) {
  // Final fixed block: 'q' then a copy of length 4 from distance 3 -> [m(32766) m(32767) q
  // m(32766)]
  // ... written by hand: literal 'q', length 4 (symbol 258: 7-bit code 2), distance 3 (code 2).
  BitWriter w;
  w.put(1, 1);
  w.put(1, 2);
  put_fixed_literal(w, 'q');
  w.put_code(2, 7);  // length symbol 258 = length 4
  w.put_code(2, 5);  // distance symbol 2 = distance 3
  put_fixed_eob(w);
  std::vector<std::uint16_t> out;
  const auto r = marker_inflate(w.bytes(), 0, out);
  ASSERT_EQ(r.status, MarkerInflateStatus::kFinalBlock);
  const std::vector<std::uint16_t> expect = {'q', kMarkerBit | 32766, kMarkerBit | 32767, 'q',
                                             kMarkerBit | 32766};
  EXPECT_EQ(out, expect);
  Bytes window(kWindowSize, 0);
  window[32766] = 'A';
  window[32767] = 'B';
  Bytes resolved = {'>'};
  resolve_markers(out, window, resolved);
  EXPECT_TRUE(resolved == Bytes({'>', 'q', 'A', 'B', 'q', 'A'}));
  // A 2-byte window is the stream's whole past: index 32766 is its first byte.
  out = {kMarkerBit | 32766, 'x'};
  resolved.clear();
  resolve_markers(out, Bytes{'C', 'D'}, resolved);
  EXPECT_TRUE(resolved == Bytes({'C', 'x'}));
  out = {kMarkerBit | 32765};
  EXPECT_THROW(resolve_markers(out, Bytes{'C', 'D'}, resolved), dumpmill::Error);
  // At a member start the same stream is corrupt: nothing lies before it.
  out.clear();
  MarkerInflateOptions opts;
  opts.window_unknown = false;
  const auto bad = marker_inflate(w.bytes(), 0, out, opts);
  EXPECT_EQ(bad.status, MarkerInflateStatus::kInvalid);
  EXPECT_STREQ(bad.error, "distance too far back");
  EXPECT_TRUE(out.empty());
}

TEST(MarkerInflate, RejectsCorruptData) {
  std::vector<std::uint16_t> out;
  EXPECT_EQ(marker_inflate(Bytes{0x07, 0, 0, 0}, 0, out).status, MarkerInflateStatus::kInvalid);
  // Stored block whose NLEN is not ~LEN.
  EXPECT_EQ(marker_inflate(Bytes{0x01, 0x04, 0x00, 0xfb, 0xfe, 1, 2, 3, 4}, 0, out).status,
            MarkerInflateStatus::kInvalid);
  // Empty input, start past the end.
  EXPECT_EQ(marker_inflate(Bytes{}, 0, out).status, MarkerInflateStatus::kNeedInput);
  EXPECT_EQ(marker_inflate(Bytes{1, 2}, 99, out).status, MarkerInflateStatus::kNeedInput);
  EXPECT_TRUE(out.empty());
}

// Random and mutated input from random bit offsets: any status, but never a crash or a read
// outside the span (ASan), and kInvalid/kNeedInput leave only whole blocks in `out`.
TEST(MarkerInflate, GarbageIsSafe) {
  const Bytes raw = zlib_compress(clickstream_text(200'000, 8), 6);
  std::mt19937_64 rng(9);
  int invalid = 0;
  for (int trial = 0; trial < 3000 / static_cast<int>(kScale); ++trial) {
    Bytes b = (trial % 2 == 0) ? random_bytes(1 + rng() % 3000, rng()) : raw;
    if (trial % 2 == 1) {
      for (int k = 0; k < 3; ++k)
        b[rng() % b.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      b.resize(1 + rng() % b.size());
    }
    std::vector<std::uint16_t> out;
    const auto r = marker_inflate(b, rng() % (b.size() * 8), out);
    invalid += r.status == MarkerInflateStatus::kInvalid ? 1 : 0;
    if (r.status == MarkerInflateStatus::kInvalid) {
      EXPECT_NE(r.error, nullptr);
    }
  }
  EXPECT_GT(invalid, 100);
}

}  // namespace
}  // namespace dumpmill::codec::testing
