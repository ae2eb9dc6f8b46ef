// Codec sniffing and file fingerprints.
#include "dumpmill/codec/codec.hpp"

#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "dumpmill/codec/fingerprint.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec {
namespace {

using testing::Bytes;

TEST(CodecName, NamesEveryCodec) {
  EXPECT_EQ(codec_name(Codec::kPlain), "plain");
  EXPECT_EQ(codec_name(Codec::kGzip), "gzip");
  EXPECT_EQ(codec_name(Codec::kZstd), "zstd");
}

TEST(SniffCodec, ReadsMagicBytes) {
  testing::TempDir dir;
  const auto sniff = [&](const Bytes& b) {
    testing::write_file(dir.file("f"), b);
    return sniff_codec(dir.file("f"));
  };
  EXPECT_EQ(sniff({}), Codec::kPlain);
  EXPECT_EQ(sniff({0x1f}), Codec::kPlain);
  EXPECT_EQ(sniff({0x1f, 0x8b}), Codec::kGzip);
  EXPECT_EQ(sniff({0x1f, 0x8b, 8, 0, 0, 0}), Codec::kGzip);
  EXPECT_EQ(sniff({0x28, 0xb5, 0x2f, 0xfd, 0}), Codec::kZstd);
  EXPECT_EQ(sniff({0x28, 0xb5, 0x2f}), Codec::kPlain);
  EXPECT_EQ(sniff({0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}), Codec::kZstd) << "skippable frame";
  EXPECT_EQ(sniff({'a', '\t', 'b', '\n'}), Codec::kPlain);
  EXPECT_EQ(sniff(testing::compress_with_tool(Bytes(100, 'a'), "gzip", dir)), Codec::kGzip);
  EXPECT_EQ(sniff(testing::compress_with_tool(Bytes(100, 'a'), "zstd -q", dir)), Codec::kZstd);
}

TEST(SniffCodec, MissingFileOrDirectoryIsAnInputError) {
  testing::TempDir dir;
  try {
    sniff_codec(dir.file("missing.gz"));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), dir.file("missing.gz"));
    EXPECT_NE(std::string(e.what()).find("missing.gz"), std::string::npos);
  }
  EXPECT_THROW(sniff_codec(dir.path().string()), InputError);
}

TEST(FileFingerprint, SeesSizeHeadAndTailButNotTheMiddle) {
  testing::TempDir dir;
  const std::string path = dir.file("f");
  const Bytes base = testing::random_bytes(3 << 20, 9);
  testing::write_file(path, base);
  const std::uint64_t fp = file_fingerprint(path);
  EXPECT_EQ(file_fingerprint(path), fp) << "deterministic";

  const auto with_change = [&](std::size_t at) {
    Bytes b = base;
    b[at] ^= 1;
    testing::write_file(path, b);
    return file_fingerprint(path);
  };
  EXPECT_NE(with_change(0), fp);
  EXPECT_NE(with_change((1 << 20) - 1), fp) << "last byte of the head";
  EXPECT_NE(with_change(base.size() - (1 << 20)), fp) << "first byte of the tail";
  EXPECT_NE(with_change(base.size() - 1), fp);
  EXPECT_EQ(with_change(1 << 20), fp) << "documented blind spot: the middle";

  testing::write_file(path, Bytes(base.begin(), base.end() - 1));
  EXPECT_NE(file_fingerprint(path), fp) << "size";

  // Small files are hashed whole; the empty file has a fingerprint too.
  testing::write_file(path, {});
  const std::uint64_t empty = file_fingerprint(path);
  testing::write_file(path, {0});
  EXPECT_NE(file_fingerprint(path), empty) << "a zero byte differs from nothing";
  EXPECT_THROW(file_fingerprint(dir.file("missing")), InputError);
}

}  // namespace
}  // namespace dumpmill::codec
