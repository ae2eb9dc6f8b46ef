// Tests for chunked decoding of single-member gzip files: many compressors, many cuts, bytes
// identical every time.
#include "dumpmill/codec/chunk_decode.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "deflate_test_util.hpp"
#include "dumpmill/codec/deflate_block_finder.hpp"
#include "dumpmill/codec/marker_inflate.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec::testing {
namespace {

struct Compressor {
  const char* name;
  const char* tool;  // shell command reading stdin; nullptr: zlib deflateInit2(windowBits 31)
  int zlib_level;
};

const Compressor kCompressors[] = {
    {"gzip1", "gzip -1", 0},     {"gzip6", "gzip -6", 0},   {"gzip9", "gzip -9", 0},
    {"pigz", "pigz -6 -p 2", 0}, {"zlib1", nullptr, 1},     {"zlib9", nullptr, 9},
    {"igzip0", "igzip -0", 0},   {"igzip1", "igzip -1", 0}, {"igzip2", "igzip -2", 0},
    {"igzip3", "igzip -3", 0},
};

bool have_tool(const std::string& tool) {
  const std::string name = tool.substr(0, tool.find(' '));
  return std::system(("command -v " + name + " > /dev/null 2>&1").c_str()) == 0;
}

// Cut sets at "arbitrary" compressed offsets: 2, 3, 4 and 7 chunks at random points, and
// every 4 KiB.
std::vector<std::vector<std::uint64_t>> cut_sets(std::uint64_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::uint64_t>> sets;
  for (const int chunks : {2, 3, 4, 7}) {
    std::vector<std::uint64_t> cuts;
    for (int i = 1; i < chunks; ++i) cuts.push_back(rng() % size);
    sets.push_back(cuts);
  }
  std::vector<std::uint64_t> every4k;
  for (std::uint64_t c = 4096; c < size; c += 4096) every4k.push_back(c);
  sets.push_back(every4k);
  return sets;
}

class ChunkMatrix : public ::testing::TestWithParam<std::tuple<Compressor, bool>> {};

TEST_P(ChunkMatrix, ChainedChunksReproduceTheFile) {
  const auto [comp, text] = GetParam();
  if (comp.tool != nullptr && !have_tool(comp.tool)) GTEST_SKIP() << comp.tool << " not installed";
  TempDir dir;
  // >= 2 MB per the issue; a quarter under the sanitizers.
  const Bytes data =
      text ? clickstream_text((2'500'000) / kScale, 21) : random_bytes(2'100'000 / kScale, 22);
  const Bytes gz = comp.tool ? compress_with_tool(data, comp.tool, dir)
                             : zlib_compress(data, comp.zlib_level, 31);
  const std::string path = dir.file("in.gz");
  write_file(path, gz);
  const auto sets = cut_sets(gz.size(), gz.size());
  for (const auto& cuts : sets) {
    const ChunkedGzipDecode d = decode_gzip_in_chunks(path, cuts);
    ASSERT_TRUE(d.bytes == data) << comp.name << " with " << cuts.size() << " cuts";
    ASSERT_TRUE(std::is_sorted(d.chunk_starts.begin(), d.chunk_starts.end()));
    if (&cuts != &sets.back()) continue;
    // Cut every 4 KiB, a chunk must start in each 4 KiB window holding a block start the
    // finder can see (non-final dynamic or stored), and nowhere else: otherwise the test
    // would pass without splitting anything (igzip -0 writes one block: one chunk).
    std::set<std::uint64_t> windows;
    for (const Boundary& b : list_boundaries(gz, 31)) {
      if (b.final || (b.type != 0 && b.type != 2)) continue;
      const std::uint64_t w = canonical_bit(gz, b.bit) / 8 / 4096;
      if (w > 0) windows.insert(w);
    }
    EXPECT_EQ(d.chunk_starts.size(), windows.size() + 1) << comp.name;
    RecordProperty("chunks_at_4k", static_cast<int>(d.chunk_starts.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(Compressors, ChunkMatrix,
                         ::testing::Combine(::testing::ValuesIn(kCompressors), ::testing::Bool()),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param).name) +
                                  (std::get<1>(param_info.param) ? "_text" : "_random");
                         });

// What one rank does: decode_chunk_from over its range; the start is a true boundary at or
// after the range start, the end the first boundary at or after the range end, and the
// symbols resolved with the true window are exactly the reference bytes there.
TEST(ChunkDecode, RankRangesMatchReference) {
  TempDir dir;
  const Bytes data = clickstream_text(2'000'000, 23);
  const Bytes gz = zlib_compress(data, 6, 31);
  const std::string path = dir.file("in.gz");
  write_file(path, gz);
  const auto bounds = list_boundaries(gz, 31);
  const std::uint64_t header_bits = gzip_deflate_start_bit(path);
  ASSERT_EQ(header_bits, 80u);  // zlib writes a 10-byte header
  ASSERT_EQ(bounds.front().bit, header_bits);
  const std::uint64_t ranks = 5;
  int with_markers = 0;
  for (std::uint64_t r = 0; r < ranks; ++r) {
    const std::uint64_t from = gz.size() * 8 * r / ranks;
    const std::uint64_t to = gz.size() * 8 * (r + 1) / ranks;
    const ChunkDecode c = decode_chunk_from(path, from, r + 1 == ranks ? UINT64_MAX : to);
    ASSERT_TRUE(c.found) << "rank " << r;
    EXPECT_EQ(c.member_start, r == 0);
    EXPECT_GE(c.start_bit, std::max(from, header_bits));
    const auto at = std::find_if(bounds.begin(), bounds.end(),
                                 [&](const Boundary& b) { return b.bit == c.start_bit; });
    ASSERT_NE(at, bounds.end()) << "start is not a true block boundary";
    // zlib never writes fixed blocks for this text, so the first boundary >= from is found.
    EXPECT_TRUE(at == bounds.begin() || std::prev(at)->bit < from);
    if (r + 1 < ranks) {
      EXPECT_FALSE(c.final_block);
      const auto end = std::find_if(bounds.begin(), bounds.end(),
                                    [&](const Boundary& b) { return b.bit >= to; });
      ASSERT_NE(end, bounds.end());
      EXPECT_EQ(c.end_bit, end->bit);
    } else {
      EXPECT_TRUE(c.final_block);
    }
    with_markers += c.has_markers ? 1 : 0;
    const std::uint64_t out = at->out_offset;
    const std::size_t keep = std::min<std::size_t>(out, kWindowSize);
    const Bytes window(data.begin() + static_cast<std::ptrdiff_t>(out - keep),
                       data.begin() + static_cast<std::ptrdiff_t>(out));
    std::vector<std::uint16_t> symbols = c.symbols;
    Bytes resolved;
    resolve_markers(symbols, window, resolved);
    ASSERT_LE(out + resolved.size(), data.size());
    EXPECT_TRUE(std::equal(resolved.begin(), resolved.end(),
                           data.begin() + static_cast<std::ptrdiff_t>(out)));
  }
  EXPECT_EQ(with_markers, static_cast<int>(ranks) - 1);
}

// Several MB of random bits behind a gzip header: the finder proposes candidates, and
// confirmation rejects every one of them: no chunk, no output.
TEST(ChunkDecode, RandomBitsYieldNothing) {
  TempDir dir;
  Bytes file = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  const Bytes noise = random_bytes((16u << 20) / kScale, 24);
  file.insert(file.end(), noise.begin(), noise.end());
  const std::string path = dir.file("noise.gz");
  write_file(path, file);
  int candidates = 0;
  std::uint64_t from = 0;
  while (const auto c = find_deflate_block(file, from, file.size() * 8)) {
    ++candidates;
    from = *c + 1;
  }
  // Confirmation really had work to do: ~4 candidates per MB of noise.
  EXPECT_GT(candidates, static_cast<int>(noise.size() >> 19));
  EXPECT_FALSE(find_chunk_start(path, 81).has_value());
  const ChunkDecode c = decode_chunk_from(path, 81, file.size() * 8 / 2);
  EXPECT_FALSE(c.found);
  EXPECT_TRUE(c.symbols.empty());
}

// Fixed-Huffman-only streams: no boundary can be found, so every range reports "not found"
// and the chain falls back to one chunk - with the right bytes.
TEST(ChunkDecode, FixedHuffmanFallsBackToOneChunk) {
  TempDir dir;
  const Bytes data = clickstream_text(1'000'000, 25);
  const Bytes gz = zlib_compress(data, 6, 31, Z_FIXED);
  const std::string path = dir.file("fixed.gz");
  write_file(path, gz);
  ASSERT_GT(list_boundaries(gz, 31).size(), 3u);
  std::vector<std::uint64_t> cuts;
  for (std::uint64_t c = 4096; c < gz.size(); c += 4096) {
    cuts.push_back(c);
    EXPECT_FALSE(decode_chunk_from(path, c * 8, (c + 4096) * 8).found) << "cut " << c;
  }
  const ChunkedGzipDecode d = decode_gzip_in_chunks(path, cuts);
  EXPECT_EQ(d.chunk_starts.size(), 1u);
  EXPECT_TRUE(d.bytes == data);
}

// Ranges smaller than a block, ranges in the trailer, a file of one tiny block.
TEST(ChunkDecode, TinyFilesAndEmptyRanges) {
  TempDir dir;
  const std::string path = dir.file("tiny.gz");
  const Bytes data = {'a', '\t', 'b', '\n'};
  write_file(path, zlib_compress(data, 9, 31));
  const ChunkedGzipDecode d = decode_gzip_in_chunks(path, std::vector<std::uint64_t>{1, 5, 11, 15});
  EXPECT_TRUE(d.bytes == data);
  EXPECT_EQ(d.chunk_starts.size(), 1u);
  EXPECT_FALSE(decode_chunk_from(path, 12 * 8, 20 * 8).found);
  const ChunkDecode whole = decode_chunk_from(path, 0);
  EXPECT_TRUE(whole.found && whole.member_start && whole.final_block);
  EXPECT_EQ(whole.symbols.size(), data.size());
}

// Corrupt and truncated members end in InputError naming the file, never in wrong bytes.
TEST(ChunkDecode, CorruptOrTruncatedThrows) {
  TempDir dir;
  const Bytes data = clickstream_text(600'000 / kScale, 26);
  const Bytes gz = zlib_compress(data, 6, 31);
  const std::string path = dir.file("bad.gz");
  const std::vector<std::uint64_t> cuts = {gz.size() / 3, gz.size() * 2 / 3};
  std::mt19937_64 rng(27);
  for (int trial = 0; trial < 12; ++trial) {
    Bytes bad = gz;
    if (trial % 3 == 0) {
      bad.resize(20 + rng() % (gz.size() - 20));
    } else {
      bad[20 + rng() % (gz.size() - 28)] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    }
    write_file(path, bad);
    try {
      const ChunkedGzipDecode d = decode_gzip_in_chunks(path, cuts);
      // A flipped bit in the final block's padding bits changes nothing: then the bytes
      // must still be right.
      EXPECT_TRUE(d.bytes == data) << "trial " << trial;
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_TRUE(e.offset().has_value());
    }
  }
  write_file(path, gz);
  EXPECT_THROW(decode_chunk(path, 8), InputError);  // inside the header
  EXPECT_THROW(gzip_deflate_start_bit(dir.file("missing.gz")), InputError);
}

}  // namespace
}  // namespace dumpmill::codec::testing
