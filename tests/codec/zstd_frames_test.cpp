// zstd frame walk (walk_zstd_frames) and readers starting at a frame (open_zstd_at_frame) over
// files made by the zstd CLI, pzstd and libzstd, checked against `zstd -dc` and libzstd.
#include "dumpmill/codec/zstd_frames.hpp"

#include <gtest/gtest.h>

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader, to build a corrupt block header
#include <zstd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "dumpmill/codec/codec.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec {
namespace {

using testing::Bytes;
using testing::TempDir;

// Buffers at the floor (8 KiB) so frame ends and block ends fall inside reads many times.
constexpr std::size_t kSmallBuffer = kMinDecodeBufferBytes;

// `zstd <flags> -c <file>`: from a file, so the CLI knows the size and declares it unless told
// not to (from a pipe it cannot).
Bytes zstd_cli(const Bytes& data, const std::string& flags, const TempDir& dir) {
  const std::string in = dir.file("cli-in.bin");
  const std::string out = dir.file("cli-out.zst");
  testing::write_file(in, data);
  testing::run_shell("zstd -q " + flags + " -c '" + in + "' > '" + out + "'");
  return testing::read_file(out);
}

Bytes zstd_reference_decode(const std::string& path, const TempDir& dir) {
  const std::string out = dir.file("reference.bin");
  testing::run_shell("zstd -q -dc '" + path + "' > '" + out + "'");
  return testing::read_file(out);
}

Bytes skippable_frame(std::uint32_t variant, std::uint32_t payload) {
  Bytes f = {static_cast<std::uint8_t>(0x50 | variant), 0x2a, 0x4d, 0x18};
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<std::uint8_t>(payload >> (8 * i)));
  for (std::uint32_t i = 0; i < payload; ++i) f.push_back(static_cast<std::uint8_t>(i));
  return f;
}

Bytes slice(const Bytes& d, std::size_t from, std::size_t to) {
  return Bytes(d.begin() + static_cast<std::ptrdiff_t>(from),
               d.begin() + static_cast<std::ptrdiff_t>(to));
}

// Checks the walk against libzstd's own frame functions on the whole file in memory: every
// frame's compressed size (ZSTD_findFrameCompressedSize), declared size
// (ZSTD_getFrameContentSize), the tiling of the file, and the decoded offsets.
void expect_walk_matches_libzstd(const ZstdFrameIndex& index, const Bytes& file) {
  EXPECT_EQ(index.file_size, file.size());
  std::size_t off = 0;
  std::size_t data_frames = 0;
  std::uint64_t skippable = 0;
  std::uint64_t decoded = 0;
  bool sizes_known = true;
  while (off < file.size()) {
    const std::size_t csize = ZSTD_findFrameCompressedSize(file.data() + off, file.size() - off);
    ASSERT_FALSE(ZSTD_isError(csize)) << "at " << off;
    const std::uint32_t magic = static_cast<std::uint32_t>(file[off]) |
                                static_cast<std::uint32_t>(file[off + 1]) << 8 |
                                static_cast<std::uint32_t>(file[off + 2]) << 16 |
                                static_cast<std::uint32_t>(file[off + 3]) << 24;
    if ((magic & 0xfffffff0u) == 0x184d2a50u) {
      ++skippable;
    } else {
      ASSERT_LT(data_frames, index.frames.size());
      const ZstdFrame& f = index.frames[data_frames++];
      EXPECT_EQ(f.compressed_offset, off);
      EXPECT_EQ(f.compressed_size, csize);
      const unsigned long long fcs = ZSTD_getFrameContentSize(file.data() + off, csize);
      if (fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
        EXPECT_FALSE(f.decoded_size.has_value());
      } else {
        EXPECT_EQ(f.decoded_size, std::optional<std::uint64_t>(fcs));
      }
      if (sizes_known) {
        EXPECT_EQ(f.decoded_offset, std::optional<std::uint64_t>(decoded));
      } else {
        EXPECT_FALSE(f.decoded_offset.has_value());
      }
      if (fcs == ZSTD_CONTENTSIZE_UNKNOWN)
        sizes_known = false;
      else
        decoded += fcs;
    }
    off += csize;
  }
  EXPECT_EQ(data_frames, index.frames.size());
  EXPECT_EQ(skippable, index.skippable_frames);
  EXPECT_EQ(index.all_sizes_declared, sizes_known);
  if (sizes_known) {
    EXPECT_EQ(index.decoded_size, std::optional<std::uint64_t>(decoded));
  } else {
    EXPECT_FALSE(index.decoded_size.has_value());
  }
}

// From every frame with a known decoded offset, at its first byte and inside it, and from
// offsets picked by zstd_frame_for_offset, the reader yields exactly the reference's tail.
void expect_reads_from_frames(const std::string& path, const ZstdFrameIndex& index,
                              const Bytes& reference) {
  for (const ZstdFrame& f : index.frames) {
    if (!f.decoded_offset) continue;
    const std::uint64_t inside = *f.decoded_offset + f.decoded_size.value_or(0) / 2 + 1;
    for (const std::uint64_t start : {*f.decoded_offset, inside}) {
      SCOPED_TRACE("frame at " + std::to_string(f.compressed_offset) + ", start " +
                   std::to_string(start));
      auto reader =
          open_zstd_at_frame(path, f.compressed_offset, *f.decoded_offset, start, kSmallBuffer);
      EXPECT_EQ(reader->position(), start);
      EXPECT_EQ(testing::read_all(*reader, 100'003), testing::tail_of(reference, start));
    }
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 6; ++i) {
    const std::uint64_t start = rng() % (reference.size() + 2);
    const auto k = zstd_frame_for_offset(index, start);
    ASSERT_TRUE(k.has_value());
    const ZstdFrame& f = index.frames[*k];
    ASSERT_TRUE(f.decoded_offset.has_value());
    EXPECT_LE(*f.decoded_offset, start);
    if (f.decoded_size && *k + 1 < index.frames.size()) {
      EXPECT_LT(start, *f.decoded_offset + *f.decoded_size) << "frame " << *k << " too early";
    }
    auto reader = open_zstd_at_frame(path, f.compressed_offset, *f.decoded_offset, start);
    EXPECT_EQ(testing::read_all(*reader, 65'536), testing::tail_of(reference, start))
        << "start " << start;
  }
}

class ZstdFramesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    text_ = new Bytes(testing::clickstream_text(3'000'000, 11));
    random_ = new Bytes(testing::random_bytes(300'000, 12));
  }
  static void TearDownTestSuite() {
    delete text_;
    delete random_;
  }
  // Writes `file`, walks it (with a window at the 64 KiB floor and with a large one, which
  // must agree), checks the walk against libzstd and every frame start against `zstd -dc`.
  ZstdFrameIndex check_file(const Bytes& file, const Bytes& original) {
    const std::string path = dir_.file("input.zst");
    testing::write_file(path, file);
    ZstdFrameIndex index = walk_zstd_frames(path, 0);
    const ZstdFrameIndex big = walk_zstd_frames(path, std::size_t{16} << 20);
    EXPECT_EQ(big.frames.size(), index.frames.size());
    for (std::size_t i = 0; i < big.frames.size() && i < index.frames.size(); ++i) {
      EXPECT_EQ(big.frames[i].compressed_size, index.frames[i].compressed_size);
    }
    expect_walk_matches_libzstd(index, file);
    const Bytes reference = zstd_reference_decode(path, dir_);
    EXPECT_EQ(reference, original);
    expect_reads_from_frames(path, index, reference);
    return index;
  }

  static Bytes* text_;
  static Bytes* random_;
  TempDir dir_;
};
Bytes* ZstdFramesTest::text_ = nullptr;
Bytes* ZstdFramesTest::random_ = nullptr;

TEST_F(ZstdFramesTest, SingleFrameFromCli) {
  const Bytes file = zstd_cli(*text_, "-3", dir_);
  const ZstdFrameIndex index = check_file(file, *text_);
  ASSERT_EQ(index.frames.size(), 1u);
  EXPECT_EQ(index.frames[0].compressed_size, file.size());
  EXPECT_EQ(index.frames[0].decoded_size, std::optional<std::uint64_t>(text_->size()));
  EXPECT_EQ(index.decoded_size, std::optional<std::uint64_t>(text_->size()));
  EXPECT_EQ(index.skippable_frames, 0u);
}

TEST_F(ZstdFramesTest, SingleFrameWithoutContentSizeOrChecksum) {
  const Bytes file = zstd_cli(*random_, "-1 --no-content-size --no-check", dir_);
  const ZstdFrameIndex index = check_file(file, *random_);
  ASSERT_EQ(index.frames.size(), 1u);
  EXPECT_FALSE(index.frames[0].decoded_size.has_value());
  EXPECT_EQ(index.frames[0].decoded_offset, std::optional<std::uint64_t>(0));
  EXPECT_FALSE(index.all_sizes_declared);
}

TEST_F(ZstdFramesTest, ConcatenatedFramesWithSizes) {
  // Five frames of uneven sizes at different levels, all declaring their size.
  const std::size_t cuts[] = {0, 1, 700'000, 700'001, 2'100'000, text_->size()};
  Bytes file;
  for (int i = 0; i + 1 < 6; ++i) {
    const Bytes frame =
        zstd_cli(slice(*text_, cuts[i], cuts[i + 1]), "-" + std::to_string(i + 1), dir_);
    file.insert(file.end(), frame.begin(), frame.end());
  }
  const ZstdFrameIndex index = check_file(file, *text_);
  ASSERT_EQ(index.frames.size(), 5u);
  EXPECT_TRUE(index.all_sizes_declared);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(index.frames[static_cast<std::size_t>(i)].decoded_offset,
              std::optional<std::uint64_t>(cuts[i]));
  }
}

TEST_F(ZstdFramesTest, MixedContentSizeSkippableAndEmptyFrames) {
  const std::size_t third = text_->size() / 3;
  const Bytes a = zstd_cli(slice(*text_, 0, third), "-3", dir_);
  const Bytes empty = zstd_cli(Bytes{}, "-3", dir_);
  const Bytes b = zstd_cli(slice(*text_, third, 2 * third), "-3 --no-content-size", dir_);
  const Bytes c = zstd_cli(slice(*text_, 2 * third, text_->size()), "-3", dir_);
  const Bytes file =
      testing::concat({empty, a, skippable_frame(0, 0), empty, skippable_frame(15, 1000), b, c});
  const ZstdFrameIndex index = check_file(file, *text_);
  ASSERT_EQ(index.frames.size(), 5u);
  EXPECT_EQ(index.skippable_frames, 2u);
  EXPECT_EQ(index.frames[0].decoded_size, std::optional<std::uint64_t>(0));
  EXPECT_EQ(index.frames[3].decoded_offset, std::optional<std::uint64_t>(third));
  EXPECT_FALSE(index.frames[3].decoded_size.has_value());
  EXPECT_FALSE(index.frames[4].decoded_offset.has_value());
  EXPECT_FALSE(index.all_sizes_declared);
  // Offsets at or past the third map to the first frame without a declared size.
  EXPECT_EQ(zstd_frame_for_offset(index, 0), std::optional<std::size_t>(1));
  EXPECT_EQ(zstd_frame_for_offset(index, third - 1), std::optional<std::size_t>(1));
  EXPECT_EQ(zstd_frame_for_offset(index, third), std::optional<std::size_t>(3));
  EXPECT_EQ(zstd_frame_for_offset(index, text_->size()), std::optional<std::size_t>(3));
}

TEST_F(ZstdFramesTest, EmptyFramesOnly) {
  const Bytes empty = zstd_cli(Bytes{}, "-3", dir_);
  const ZstdFrameIndex index = check_file(testing::concat({empty, empty, empty}), Bytes{});
  EXPECT_EQ(index.frames.size(), 3u);
  EXPECT_EQ(index.decoded_size, std::optional<std::uint64_t>(0));
  EXPECT_EQ(zstd_frame_for_offset(index, 0), std::optional<std::size_t>(2));
}

TEST_F(ZstdFramesTest, PzstdFrames) {
  // pzstd cuts its input into independent frames, each behind a 12-byte skippable frame
  // holding the frame's compressed size. 20 MB gives several frames at level 1.
  Bytes big = testing::clickstream_text(20'000'000, 13);
  const std::string in = dir_.file("pz-in.bin");
  const std::string out = dir_.file("pz.zst");
  testing::write_file(in, big);
  testing::run_shell("pzstd -q -1 -p 2 -c '" + in + "' > '" + out + "'");
  const ZstdFrameIndex index = check_file(testing::read_file(out), big);
  EXPECT_GE(index.frames.size(), 2u);
  EXPECT_EQ(index.skippable_frames, index.frames.size());
}

TEST_F(ZstdFramesTest, ManySmallFramesFromLibzstd) {
  // 300 frames of 10 KB, written by ZSTD_compress: each declares its size.
  Bytes file;
  for (std::size_t at = 0; at < 3'000'000; at += 10'000) {
    Bytes frame(ZSTD_compressBound(10'000));
    const std::size_t n = ZSTD_compress(frame.data(), frame.size(), text_->data() + at, 10'000, 1);
    ASSERT_FALSE(ZSTD_isError(n));
    file.insert(file.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
  }
  const std::string path = dir_.file("many.zst");
  testing::write_file(path, file);
  const ZstdFrameIndex index = walk_zstd_frames(path, 0);
  expect_walk_matches_libzstd(index, file);
  ASSERT_EQ(index.frames.size(), 300u);
  // The reader from a frame start agrees with the reader from the file start.
  for (const std::uint64_t start : {0ull, 10'000ull, 1'234'567ull, 2'990'000ull, 3'000'000ull}) {
    const auto k = zstd_frame_for_offset(index, start);
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(index.frames[*k].decoded_offset,
              std::optional<std::uint64_t>(std::min<std::uint64_t>(start / 10'000, 299) * 10'000));
    auto from_frame = open_zstd_at_frame(path, index.frames[*k].compressed_offset,
                                         *index.frames[*k].decoded_offset, start, kSmallBuffer);
    auto from_start = open_decoded(path, Codec::kZstd, start, nullptr, kSmallBuffer);
    EXPECT_EQ(testing::read_all(*from_frame, 4096), testing::read_all(*from_start, 4096));
  }
}

// Truncations inside the last frame: in its header, in a block, in the checksum.
TEST_F(ZstdFramesTest, TruncatedLastFrameNamesItsOffset) {
  const Bytes a = zstd_cli(slice(*text_, 0, 100'000), "-3", dir_);
  const Bytes b = zstd_cli(slice(*text_, 100'000, 400'000), "-3", dir_);
  const Bytes whole = testing::concat({a, b});
  const std::string path = dir_.file("cut.zst");
  for (const std::size_t keep : {a.size() + 2, a.size() + 5, a.size() + 9, a.size() + 1000,
                                 whole.size() - 2, whole.size() - 4, whole.size() - 5}) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    testing::write_file(path, slice(whole, 0, keep));
    try {
      walk_zstd_frames(path);
      ADD_FAILURE() << "no InputError";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), path);
      ASSERT_TRUE(e.offset().has_value());
      EXPECT_GE(*e.offset(), a.size());
      EXPECT_LE(*e.offset(), keep);
    }
    // The reader from the intact first frame reaches the cut and reports it too.
    auto reader = open_zstd_at_frame(path, 0, 0, 0, kSmallBuffer);
    EXPECT_THROW(testing::read_all(*reader, 65'536), InputError);
  }
}

TEST_F(ZstdFramesTest, GarbageIsAnErrorAtItsOffset) {
  const Bytes a = zstd_cli(slice(*text_, 0, 50'000), "-3", dir_);
  const Bytes junk = {'j', 'u', 'n', 'k', '!', '!', '!', '!'};
  const Bytes zeros(64, 0);
  const std::string path = dir_.file("garbage.zst");
  struct Case {
    Bytes file;
    std::uint64_t offset;
  };
  const std::vector<Case> cases = {
      {testing::concat({a, junk, a}), a.size()},                        // between frames
      {testing::concat({a, zeros}), a.size()},                          // zero padding after
      {testing::concat({a, Bytes{0x28, 0xb5}}), a.size()},              // 2 stray bytes
      {testing::concat({junk, a}), 0},                                  // not zstd at all
      {testing::concat({a, Bytes{0x28, 0xb5, 0x2f, 0xfd}}), a.size()},  // magic, no header
      {testing::concat({a, Bytes{0x5a, 0x2a, 0x4d, 0x18, 9, 0, 0, 0, 1}}), a.size()},  // skippable
      {Bytes{}, 0},                                                                    // empty file
  };
  for (const Case& c : cases) {
    testing::write_file(path, c.file);
    try {
      walk_zstd_frames(path);
      ADD_FAILURE() << "no InputError for a file of " << c.file.size() << " bytes";
    } catch (const InputError& e) {
      EXPECT_EQ(e.offset(), std::optional<std::uint64_t>(c.offset)) << e.what();
    }
  }
}

TEST_F(ZstdFramesTest, ReservedBlockTypeAndBadHeader) {
  Bytes a = zstd_cli(slice(*text_, 0, 50'000), "-3", dir_);
  const std::string path = dir_.file("bad.zst");
  // Frame header descriptor bit 3 is reserved: libzstd rejects it.
  Bytes bad_header = a;
  bad_header[4] |= 0x08;
  testing::write_file(path, bad_header);
  EXPECT_THROW(walk_zstd_frames(path), InputError);
  // The first block header follows the frame header: make its type reserved (3).
  ZSTD_frameHeader fh{};
  ASSERT_EQ(ZSTD_getFrameHeader(&fh, a.data(), a.size()), 0u);
  Bytes bad_block = a;
  bad_block[fh.headerSize] |= 0x06;
  testing::write_file(path, bad_block);
  try {
    walk_zstd_frames(path);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), std::optional<std::uint64_t>(fh.headerSize));
  }
}

TEST_F(ZstdFramesTest, ReaderArgumentErrors) {
  const Bytes a = zstd_cli(slice(*text_, 0, 50'000), "-3", dir_);
  const Bytes file = testing::concat({a, a});
  const std::string path = dir_.file("args.zst");
  testing::write_file(path, file);
  EXPECT_THROW(open_zstd_at_frame(path, a.size(), 50'000, 49'999), Error);
  EXPECT_THROW(open_zstd_at_frame(path, file.size() + 1, 0, 0), InputError);
  // At the end of the file: an empty stream positioned where asked.
  auto at_end = open_zstd_at_frame(path, file.size(), 100'000, 100'000);
  EXPECT_EQ(at_end->position(), 100'000u);
  char c = 0;
  EXPECT_EQ(at_end->read(&c, 1), 0u);
  // Not a frame start: the decoder refuses it.
  EXPECT_THROW(
      {
        auto r = open_zstd_at_frame(path, 3, 0, 0);
        testing::read_all(*r, 4096);
      },
      InputError);
  EXPECT_THROW(walk_zstd_frames(dir_.file("missing.zst")), InputError);
}

}  // namespace
}  // namespace dumpmill::codec
