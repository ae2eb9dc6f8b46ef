// Truncated, corrupt, padded and odd gzip/zstd inputs: clear InputErrors, or exact bytes.
#include <gtest/gtest.h>

#include <string>

#include "codec_test_util.hpp"
#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec {
namespace {

using testing::Bytes;

class CorruptInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    original_ = testing::clickstream_text(400'000, 5);
    gz_ = testing::compress_with_tool(original_, "gzip -6", dir_);
  }

  std::string write(const std::string& name, const Bytes& data) {
    const std::string path = dir_.file(name);
    testing::write_file(path, data);
    return path;
  }

  // Decodes the whole file; returns the InputError it threw (fails the test if none).
  std::optional<InputError> decode_error(const std::string& path, Codec codec,
                                         std::size_t buffer = kDefaultDecodeBufferBytes) {
    try {
      auto reader = open_decoded(path, codec, 0, nullptr, buffer);
      testing::read_all(*reader, 1 << 16);
    } catch (const InputError& e) {
      return e;
    }
    ADD_FAILURE() << "no InputError decoding " << path;
    return std::nullopt;
  }

  std::optional<InputError> build_error(const std::string& path) {
    try {
      build_gzip_index(path, 4096);
    } catch (const InputError& e) {
      return e;
    }
    ADD_FAILURE() << "no InputError indexing " << path;
    return std::nullopt;
  }

  testing::TempDir dir_;
  Bytes original_;
  Bytes gz_;
};

TEST_F(CorruptInputTest, TruncatedGzipFailsEverywhereWithPathAndOffset) {
  // Inside the header, the deflate data, right before the trailer, inside it, last byte.
  for (const std::size_t keep : {std::size_t{1}, std::size_t{5}, std::size_t{12}, gz_.size() / 2,
                                 gz_.size() - 8, gz_.size() - 5, gz_.size() - 1}) {
    const std::string path =
        write("cut-" + std::to_string(keep) + ".gz",
              Bytes(gz_.begin(), gz_.begin() + static_cast<std::ptrdiff_t>(keep)));
    const auto b = build_error(path);
    ASSERT_TRUE(b.has_value());
    EXPECT_NE(std::string(b->what()).find(path), std::string::npos) << b->what();
    ASSERT_TRUE(b->offset().has_value()) << b->what();
    EXPECT_LE(*b->offset(), keep) << b->what();
    EXPECT_GE(*b->offset() + 64, keep) << "offset near the cut: " << b->what();
    for (const std::size_t buffer : {kMinDecodeBufferBytes, kDefaultDecodeBufferBytes}) {
      const auto d = decode_error(path, Codec::kGzip, buffer);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->path(), path);
      EXPECT_NE(std::string(d->what()).find(path), std::string::npos) << d->what();
      ASSERT_TRUE(d->offset().has_value()) << d->what();
    }
  }
}

TEST_F(CorruptInputTest, FlippedDeflateByteFailsEverywhere) {
  for (const std::size_t at : {gz_.size() / 3, gz_.size() / 2, gz_.size() - 100}) {
    Bytes bad = gz_;
    bad[at] ^= 0x5a;
    const std::string path = write("flip-" + std::to_string(at) + ".gz", bad);
    const auto b = build_error(path);
    ASSERT_TRUE(b.has_value());
    EXPECT_NE(std::string(b->what()).find(path), std::string::npos);
    EXPECT_TRUE(b->offset().has_value());
    const auto d = decode_error(path, Codec::kGzip);
    ASSERT_TRUE(d.has_value());
    EXPECT_NE(std::string(d->what()).find(path), std::string::npos);
  }
}

TEST_F(CorruptInputTest, CorruptTrailerIsCaught) {
  Bytes bad_crc = gz_;
  bad_crc[gz_.size() - 8] ^= 1;
  Bytes bad_size = gz_;
  bad_size[gz_.size() - 4] ^= 1;
  for (const auto& [name, data] : {std::pair{"crc.gz", bad_crc}, std::pair{"isize.gz", bad_size}}) {
    const std::string path = write(name, data);
    const auto b = build_error(path);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->offset(), gz_.size() - 8) << b->what();
    const auto d = decode_error(path, Codec::kGzip);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->offset(), gz_.size() - 8) << d->what();
  }
}

TEST_F(CorruptInputTest, IsizeIsCheckedFromAMidMemberCheckpoint) {
  const std::string good = write("good.gz", gz_);
  const GzipIndex index = build_gzip_index(good, 4096);
  ASSERT_GE(index.points.size(), 2u);
  const GzipCheckpoint& mid = index.points.back();
  ASSERT_FALSE(mid.member_start);
  Bytes bad_size = gz_;
  bad_size[gz_.size() - 4] ^= 1;
  const std::string bad = write("bad-size.gz", bad_size);  // same size: the index is accepted
  try {
    auto reader = open_decoded(bad, Codec::kGzip, mid.out_offset, &index);
    testing::read_all(*reader, 1 << 16);
    ADD_FAILURE() << "ISIZE mismatch not detected";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), gz_.size() - 8) << e.what();
  }
  // The CRC cannot be checked from mid-member, so a bad CRC passes there (documented).
  Bytes bad_crc = gz_;
  bad_crc[gz_.size() - 8] ^= 1;
  const std::string crc = write("bad-crc.gz", bad_crc);
  auto reader = open_decoded(crc, Codec::kGzip, mid.out_offset, &index);
  EXPECT_TRUE(testing::read_all(*reader, 1 << 16) == testing::tail_of(original_, mid.out_offset));
}

TEST_F(CorruptInputTest, TrailingGarbageFailsButZeroPaddingDoesNot) {
  const std::string garbage =
      write("garbage.gz", testing::concat({gz_, Bytes{'j', 'u', 'n', 'k'}}));
  const auto b = build_error(garbage);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->offset(), gz_.size()) << b->what();
  EXPECT_NE(std::string(b->what()).find("trailing garbage"), std::string::npos);
  const auto d = decode_error(garbage, Codec::kGzip);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->offset(), gz_.size());

  // Zeros then garbage is still garbage; the offset is the first non-zero byte.
  const std::string late = write("late.gz", testing::concat({gz_, Bytes(70'000, 0), Bytes{7}}));
  const auto l = build_error(late);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->offset(), gz_.size() + 70'000);

  const std::string padded = write("padded.gz", testing::concat({gz_, Bytes(70'000, 0)}));
  EXPECT_EQ(build_gzip_index(padded, 4096).decoded_size, original_.size());
  auto reader = open_decoded(padded, Codec::kGzip, 0, nullptr, kMinDecodeBufferBytes);
  EXPECT_TRUE(testing::read_all(*reader, 4096) == original_);
}

TEST_F(CorruptInputTest, EmptyFileIsNotGzipOrZstdButIsEmptyPlainText) {
  const std::string empty = write("empty", {});
  const auto b = build_error(empty);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->offset(), 0u);
  EXPECT_NE(std::string(b->what()).find(empty), std::string::npos);
  EXPECT_TRUE(decode_error(empty, Codec::kGzip).has_value());
  EXPECT_TRUE(decode_error(empty, Codec::kZstd).has_value());
  auto plain = open_decoded(empty, Codec::kPlain, 0);
  char c;
  EXPECT_EQ(plain->read(&c, 1), 0u);
}

TEST_F(CorruptInputTest, NotGzipAtAllIsAnInputError) {
  const std::string text = write("text.gz", original_);
  const auto b = build_error(text);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->offset(), 0u);
  EXPECT_TRUE(decode_error(text, Codec::kGzip).has_value());
}

TEST_F(CorruptInputTest, MissingFileIsAnInputErrorNamingIt) {
  const std::string missing = dir_.file("missing.gz");
  EXPECT_THROW(build_gzip_index(missing, 4096), InputError);
  for (const Codec c : {Codec::kPlain, Codec::kGzip, Codec::kZstd}) {
    try {
      open_decoded(missing, c, 0);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), missing);
    }
  }
}

TEST_F(CorruptInputTest, ManyTinyMembersAcrossRefillBoundaries) {
  // ~300 members of 0..2 KiB (some empty), like BGZF: member ends fall at every position
  // relative to the 2 KiB input window of the smallest buffer.
  Bytes file;
  Bytes expect;
  for (std::size_t i = 0, at = 0; i < 300; ++i) {
    const std::size_t len = (i % 7 == 3) ? 0 : (i * 37) % 2048;
    const Bytes part(original_.begin() + static_cast<std::ptrdiff_t>(at),
                     original_.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
    const Bytes member =
        (i % 2) ? testing::gzip_with_all_header_fields(part, static_cast<int>(1 + i % 9))
                : testing::compress_with_tool(part, "gzip -n", dir_);
    file.insert(file.end(), member.begin(), member.end());
    expect.insert(expect.end(), part.begin(), part.end());
  }
  const std::string path = write("tiny-members.gz", file);
  const GzipIndex index = build_gzip_index(path, 4096);
  EXPECT_EQ(index.members, 300u);
  EXPECT_EQ(index.decoded_size, expect.size());
  for (const std::size_t buffer :
       {kMinDecodeBufferBytes, std::size_t{12'345}, std::size_t{1} << 20}) {
    auto reader = open_decoded(path, Codec::kGzip, 0, nullptr, buffer);
    EXPECT_TRUE(testing::read_all(*reader, 999) == expect) << "buffer " << buffer;
  }
  for (const GzipCheckpoint& p : index.points) {
    auto reader = open_decoded(path, Codec::kGzip, p.out_offset, &index, kMinDecodeBufferBytes);
    ASSERT_TRUE(testing::read_all(*reader, 4096) == testing::tail_of(expect, p.out_offset));
  }
}

TEST_F(CorruptInputTest, CorruptZstdFailsWithPath) {
  const Bytes zst = testing::compress_with_tool(original_, "zstd -q -3", dir_);
  const std::string cut = write("cut.zst", Bytes(zst.begin(), zst.end() - 10));
  const auto c = decode_error(cut, Codec::kZstd);
  ASSERT_TRUE(c.has_value());
  EXPECT_NE(std::string(c->what()).find(cut), std::string::npos);
  EXPECT_TRUE(c->offset().has_value());

  const std::string junk =
      write("junk.zst", testing::concat({zst, Bytes{'j', 'u', 'n', 'k', '!'}}));
  const auto j = decode_error(junk, Codec::kZstd);
  ASSERT_TRUE(j.has_value());
  EXPECT_GE(j->offset().value_or(0), zst.size() - 1);

  Bytes flipped = zst;
  flipped[zst.size() / 2] ^= 0x20;
  const std::string flip = write("flip.zst", flipped);
  EXPECT_TRUE(decode_error(flip, Codec::kZstd).has_value()) << "zstd's content checksum";
}

}  // namespace
}  // namespace dumpmill::codec
