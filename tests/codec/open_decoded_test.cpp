// open_decoded() over every codec and compressor we meet in practice, from every start point.
#include "dumpmill/codec/open_decoded.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "dumpmill/codec/codec.hpp"
#include "dumpmill/codec/gzip_index.hpp"

namespace dumpmill::codec {
namespace {

using testing::Bytes;

struct Fixture {
  std::string path;
  Codec codec = Codec::kPlain;
  std::shared_ptr<const Bytes> original;
  std::uint32_t members = 0;  // gzip members expected (0 for other codecs)
};

const char* const kContents[] = {"text", "random", "empty", "one"};
const char* const kGzipVariants[] = {"gzip1", "gzip9",       "pigz",  "pigz_indep",
                                     "igzip", "zlib_fields", "multi", "zero_padded"};

Bytes content(const std::string& kind) {
  if (kind == "text") return testing::clickstream_text(5'000'000, 42);
  if (kind == "random") return testing::random_bytes(1'000'000, 7);
  if (kind == "one") return Bytes{'x'};
  return {};
}

// A zstd skippable frame (magic 0x184D2A5A, 5-byte payload): decoders must step over it.
Bytes skippable_frame() { return {0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 'd', 'm', 'i', 'l', 'l'}; }

// All fixtures, generated once per test binary into one temp dir.
class Fixtures {
 public:
  static const Fixtures& get() {
    static const Fixtures f;
    return f;
  }
  const Fixture& at(const std::string& name) const { return map_.at(name); }

 private:
  Fixtures() {
    for (const char* kind : kContents) {
      auto original = std::make_shared<const Bytes>(content(kind));
      const Bytes& d = *original;
      const std::size_t third = d.size() / 3;
      const Bytes part0(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(third));
      const Bytes part1(d.begin() + static_cast<std::ptrdiff_t>(third),
                        d.begin() + static_cast<std::ptrdiff_t>(2 * third));
      const Bytes part2(d.begin() + static_cast<std::ptrdiff_t>(2 * third), d.end());
      const auto tool = [&](const Bytes& b, const std::string& t) {
        return testing::compress_with_tool(b, t, dir_);
      };
      add(kind, "plain", Codec::kPlain, original, d, 0);
      add(kind, "gzip1", Codec::kGzip, original, tool(d, "gzip -1 -n"), 1);
      add(kind, "gzip9", Codec::kGzip, original, tool(d, "gzip -9"), 1);
      add(kind, "pigz", Codec::kGzip, original, tool(d, "pigz -p 2 -b 128"), 1);
      add(kind, "pigz_indep", Codec::kGzip, original, tool(d, "pigz -p 2 -i -b 64"), 1);
      add(kind, "igzip", Codec::kGzip, original, tool(d, "igzip -1"), 1);
      add(kind, "zlib_fields", Codec::kGzip, original, testing::gzip_with_all_header_fields(d, 6),
          1);
      add(kind, "multi", Codec::kGzip, original,
          testing::concat({tool(part0, "gzip -1"), testing::gzip_with_all_header_fields(part1, 9),
                           tool(part2, "pigz -p 2")}),
          3);
      add(kind, "zero_padded", Codec::kGzip, original,
          testing::concat({tool(d, "gzip -6"), Bytes(1000, 0)}), 1);
      add(kind, "zstd_frames", Codec::kZstd, original,
          testing::concat({tool(part0, "zstd -q -3"), skippable_frame(), tool(part1, "zstd -q -1"),
                           tool(part2, "zstd -q -6 --no-check")}),
          0);
    }
  }

  void add(const std::string& kind, const std::string& variant, Codec codec,
           std::shared_ptr<const Bytes> original, const Bytes& file, std::uint32_t members) {
    const std::string name = kind + "_" + variant;
    Fixture f{dir_.file(name), codec, std::move(original), members};
    testing::write_file(f.path, file);
    map_.emplace(name, std::move(f));
  }

  testing::TempDir dir_;
  std::map<std::string, Fixture> map_;
};

std::vector<std::string> names(bool gzip_only) {
  std::vector<std::string> out;
  for (const char* kind : kContents) {
    for (const char* v : kGzipVariants) out.push_back(std::string(kind) + "_" + v);
    if (!gzip_only) {
      out.push_back(std::string(kind) + "_plain");
      out.push_back(std::string(kind) + "_zstd_frames");
    }
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class DecodeAnyCodec : public ::testing::TestWithParam<std::string> {
 protected:
  const Fixture& fx() const { return Fixtures::get().at(GetParam()); }
};

TEST_P(DecodeAnyCodec, SniffsTheCodec) {
  const Fixture& f = fx();
  const bool empty_plain = f.codec == Codec::kPlain;
  EXPECT_EQ(sniff_codec(f.path), empty_plain ? Codec::kPlain : f.codec) << codec_name(f.codec);
}

TEST_P(DecodeAnyCodec, ReadsTheWholeStreamAtTwoBufferSizes) {
  const Fixture& f = fx();
  for (const std::size_t buffer : {kMinDecodeBufferBytes, kDefaultDecodeBufferBytes}) {
    auto reader = open_decoded(f.path, f.codec, 0, nullptr, buffer);
    EXPECT_EQ(reader->position(), 0u);
    const Bytes got = testing::read_all(*reader, 64 << 10);
    ASSERT_EQ(got.size(), f.original->size()) << "buffer " << buffer;
    EXPECT_TRUE(got == *f.original) << "buffer " << buffer;
    EXPECT_EQ(reader->position(), f.original->size());
    char c;
    EXPECT_EQ(reader->read(&c, 1), 0u) << "a reader at its end stays at its end";
  }
}

TEST_P(DecodeAnyCodec, OddReadCapacitiesReturnTheSameBytes) {
  const Fixture& f = fx();
  for (const std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    auto reader = open_decoded(f.path, f.codec, 0, nullptr, kMinDecodeBufferBytes);
    const Bytes got = testing::read_all(*reader, capacity);
    ASSERT_EQ(got.size(), f.original->size()) << "capacity " << capacity;
    EXPECT_TRUE(got == *f.original) << "capacity " << capacity;
  }
}

TEST_P(DecodeAnyCodec, StartsAtAnyOffsetWithoutAnIndex) {
  const Fixture& f = fx();
  const std::uint64_t size = f.original->size();
  std::mt19937_64 rng(size);
  std::vector<std::uint64_t> starts = {0, size / 2, size, size + 10};
  for (int i = 0; i < 6 && size > 0; ++i) starts.push_back(rng() % size);
  for (const std::uint64_t start : starts) {
    auto reader = open_decoded(f.path, f.codec, start);
    EXPECT_EQ(reader->position(), start);
    const Bytes got = testing::read_all(*reader, 100'003);
    EXPECT_TRUE(got == testing::tail_of(*f.original, start)) << "start " << start;
    EXPECT_EQ(reader->position(), std::max(start, size));
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DecodeAnyCodec, ::testing::ValuesIn(names(false)), param_name);

class DecodeGzipWithIndex : public DecodeAnyCodec {};

TEST_P(DecodeGzipWithIndex, IndexHasExactWindowsAndMembers) {
  const Fixture& f = fx();
  const Bytes& orig = *f.original;
  const GzipIndex index = build_gzip_index(f.path, 4096);
  EXPECT_EQ(index.decoded_size, orig.size());
  EXPECT_EQ(index.members, f.members);
  EXPECT_EQ(index.spacing, 4096u);
  EXPECT_EQ(index.file_size, std::filesystem::file_size(f.path));
  ASSERT_FALSE(index.points.empty());
  EXPECT_EQ(index.points[0], (GzipCheckpoint{0, 0, true, {}}));
  std::uint32_t member_starts = 0;
  std::uint64_t member_begin = 0;
  for (std::size_t i = 0; i < index.points.size(); ++i) {
    const GzipCheckpoint& p = index.points[i];
    ASSERT_LE(p.out_offset, orig.size());
    if (i > 0) {
      EXPECT_GE(p.out_offset, index.points[i - 1].out_offset);
      EXPECT_GT(p.in_bit_offset, index.points[i - 1].in_bit_offset);
    }
    if (p.member_start) {
      ++member_starts;
      member_begin = p.out_offset;
      EXPECT_TRUE(p.window.empty());
      EXPECT_EQ(p.in_bit_offset % 8, 0u);
      continue;
    }
    // The window is exactly the member's last min(32 KiB, bytes so far) decoded bytes.
    const std::uint64_t expect_len = std::min<std::uint64_t>(32768, p.out_offset - member_begin);
    ASSERT_EQ(p.window.size(), expect_len) << "point " << i;
    EXPECT_TRUE(std::equal(p.window.begin(), p.window.end(),
                           orig.begin() + static_cast<std::ptrdiff_t>(p.out_offset - expect_len)))
        << "point " << i;
  }
  EXPECT_EQ(member_starts, f.members);
  if (orig.size() >= 1'000'000) {
    EXPECT_GT(index.points.size(), f.members + 10u) << "mid-member checkpoints expected";
  }
}

TEST_P(DecodeGzipWithIndex, ReadsFromEveryCheckpointAndRandomOffsets) {
  const Fixture& f = fx();
  const Bytes& orig = *f.original;
  const GzipIndex index = build_gzip_index(f.path, 4096);
  std::vector<std::uint64_t> starts;
  for (const GzipCheckpoint& p : index.points) starts.push_back(p.out_offset);
  std::mt19937_64 rng(orig.size() + 1);
  for (int i = 0; i < 50 && !orig.empty(); ++i) starts.push_back(rng() % orig.size());
  starts.push_back(orig.size());
  starts.push_back(orig.size() + 1);
  std::size_t n = 0;
  for (const std::uint64_t start : starts) {
    // Alternate buffer sizes so refills fall at different places relative to blocks.
    const std::size_t buffer = (n++ % 2) ? kMinDecodeBufferBytes : kDefaultDecodeBufferBytes;
    auto reader = open_decoded(f.path, Codec::kGzip, start, &index, buffer);
    ASSERT_EQ(reader->position(), start);
    const Bytes got = testing::read_all(*reader, 65'521);
    ASSERT_EQ(got.size(), testing::tail_of(orig, start).size()) << "start " << start;
    ASSERT_TRUE(got == testing::tail_of(orig, start)) << "start " << start;
  }
}

TEST_P(DecodeGzipWithIndex, PartialIndexesStartFromTheirOwnPoints) {
  // The plan stage ships each range only its checkpoint (and that member's start).
  const Fixture& f = fx();
  const Bytes& orig = *f.original;
  const GzipIndex full = build_gzip_index(f.path, 4096);
  for (std::size_t i = 0; i < full.points.size(); i += 3) {
    const GzipCheckpoint& cp = full.points[i];
    GzipIndex alone = full;
    alone.points = {cp};
    GzipIndex with_member = full;
    with_member.points.clear();
    for (std::size_t m = i; m-- > 0;) {
      if (full.points[m].member_start) {
        with_member.points.push_back(full.points[m]);
        break;
      }
    }
    with_member.points.push_back(cp);
    for (const GzipIndex* idx : {&alone, &with_member}) {
      const std::uint64_t start = std::min<std::uint64_t>(cp.out_offset + 1000, orig.size());
      auto reader = open_decoded(f.path, Codec::kGzip, start, idx, kMinDecodeBufferBytes);
      ASSERT_EQ(reader->position(), start);
      ASSERT_TRUE(testing::read_all(*reader, 8192) == testing::tail_of(orig, start))
          << "point " << i << " of " << full.points.size();
    }
    // A start before the only point decodes from the file start.
    if (cp.out_offset > 0) {
      auto reader = open_decoded(f.path, Codec::kGzip, cp.out_offset - 1, &alone);
      ASSERT_TRUE(testing::read_all(*reader, 8192) == testing::tail_of(orig, cp.out_offset - 1));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DecodeGzipWithIndex, ::testing::ValuesIn(names(true)),
                         param_name);

}  // namespace
}  // namespace dumpmill::codec
