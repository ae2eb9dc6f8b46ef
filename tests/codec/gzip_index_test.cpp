// gzip checkpoint index: persistence, staleness, corruption and cache placement.
#include "dumpmill/codec/gzip_index.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <string>

#include "codec_test_util.hpp"
#include "dumpmill/codec/fingerprint.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec {
namespace {

using testing::Bytes;

class GzipIndexTest : public ::testing::Test {
 protected:
  // Generating and compressing 3 MB takes ~0.6 s: once per suite, not per test.
  static void SetUpTestSuite() {
    testing::TempDir scratch;
    shared_original_ = new Bytes(testing::clickstream_text(3'000'000, 3));
    shared_gz_ = new Bytes(testing::compress_with_tool(*shared_original_, "gzip -6", scratch));
  }
  static void TearDownTestSuite() {
    delete shared_original_;
    delete shared_gz_;
  }
  void SetUp() override {
    original_ = *shared_original_;
    gz_ = *shared_gz_;
    input_ = dir_.file("clicks.tsv.gz");
    testing::write_file(input_, gz_);
  }

  static inline Bytes* shared_original_ = nullptr;
  static inline Bytes* shared_gz_ = nullptr;

  // Sets the input's mtime to a fixed value so tests can restore it after editing content.
  void set_mtime(const std::string& path, std::int64_t sec) {
    const struct timespec times[2] = {{sec, 0}, {sec, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  testing::TempDir dir_;
  Bytes original_;
  Bytes gz_;
  std::string input_;
};

TEST_F(GzipIndexTest, SaveLoadRoundTripKeepsEveryField) {
  const GzipIndex built = build_gzip_index(input_, 64 << 10);
  ASSERT_GT(built.points.size(), 5u);
  EXPECT_EQ(built.fingerprint, file_fingerprint(input_));
  const std::string path = dir_.file("idx.dmidx");
  save_gzip_index(built, path);
  const std::optional<GzipIndex> loaded = load_gzip_index(path, input_);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(*loaded == built);
  // Windows of text compress: the index must be well below raw 32 KiB per point.
  EXPECT_LT(std::filesystem::file_size(path), built.points.size() * 20'000);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    files += e.path().string().find(".tmp.") != std::string::npos;
  }
  EXPECT_EQ(files, 0);
}

TEST_F(GzipIndexTest, IncompressibleWindowsRoundTrip) {
  const Bytes random = testing::random_bytes(300'000, 11);
  const std::string in = dir_.file("random.gz");
  testing::write_file(in, testing::compress_with_tool(random, "gzip -1", dir_));
  const GzipIndex built = build_gzip_index(in, 4096);
  ASSERT_GT(built.points.size(), 2u);
  save_gzip_index(built, dir_.file("random.dmidx"));
  const auto loaded = load_gzip_index(dir_.file("random.dmidx"), in);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(*loaded == built);
}

TEST_F(GzipIndexTest, MissingOrForeignIndexIsNullopt) {
  EXPECT_FALSE(load_gzip_index(dir_.file("nope.dmidx"), input_).has_value());
  EXPECT_FALSE(load_gzip_index(input_, input_).has_value()) << "a gzip file is not an index";
  testing::write_file(dir_.file("empty.dmidx"), {});
  EXPECT_FALSE(load_gzip_index(dir_.file("empty.dmidx"), input_).has_value());
  EXPECT_FALSE(load_gzip_index(dir_.path().string(), input_).has_value()) << "a directory";
  // An intact index of another file is stale for this one.
  const std::string other = dir_.file("other.gz");
  testing::write_file(other, testing::compress_with_tool(Bytes(1000, 'a'), "gzip", dir_));
  save_gzip_index(build_gzip_index(other, 4096), dir_.file("other.dmidx"));
  EXPECT_TRUE(load_gzip_index(dir_.file("other.dmidx"), other).has_value());
  EXPECT_FALSE(load_gzip_index(dir_.file("other.dmidx"), input_).has_value());
  // ... and an index whose input vanished is useless.
  std::filesystem::remove(other);
  EXPECT_FALSE(load_gzip_index(dir_.file("other.dmidx"), other).has_value());
}

TEST_F(GzipIndexTest, CorruptOrTruncatedIndexIsNullopt) {
  const std::string path = dir_.file("idx.dmidx");
  save_gzip_index(build_gzip_index(input_, 256 << 10), path);
  const Bytes good = testing::read_file(path);
  ASSERT_TRUE(load_gzip_index(path, input_).has_value());
  for (const std::size_t at : {std::size_t{0}, std::size_t{9}, std::size_t{30}, good.size() / 2,
                               good.size() - 9, good.size() - 1}) {
    Bytes bad = good;
    bad[at] ^= 0x10;
    testing::write_file(path, bad);
    EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "flipped byte " << at;
  }
  for (const std::size_t len :
       {std::size_t{4}, std::size_t{40}, good.size() / 3, good.size() - 1}) {
    testing::write_file(path, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)));
    EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "truncated to " << len;
  }
  Bytes longer = good;
  longer.push_back(0);
  testing::write_file(path, longer);
  EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "extra byte";
}

TEST_F(GzipIndexTest, StaleWhenContentOrMtimeChanges) {
  set_mtime(input_, 1'700'000'000);
  const std::string path = dir_.file("idx.dmidx");
  save_gzip_index(build_gzip_index(input_, 256 << 10), path);
  ASSERT_TRUE(load_gzip_index(path, input_).has_value());

  // Same size, same mtime, different content: only the fingerprint can tell.
  Bytes edited = gz_;
  edited[100] ^= 0xff;
  testing::write_file(input_, edited);
  set_mtime(input_, 1'700'000'000);
  EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "content changed";

  // Original content back, but a new mtime.
  testing::write_file(input_, gz_);
  set_mtime(input_, 1'700'000'000);
  ASSERT_TRUE(load_gzip_index(path, input_).has_value());
  set_mtime(input_, 1'700'000'001);
  EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "mtime changed";

  // Different size.
  testing::write_file(input_, testing::concat({gz_, gz_}));
  EXPECT_FALSE(load_gzip_index(path, input_).has_value()) << "size changed";
}

TEST_F(GzipIndexTest, IndexPathBesideInputOrInCacheDir) {
  const std::string cache = dir_.file("cache");
  EXPECT_EQ(gzip_index_path(input_, cache, IndexPlacement::kBesideInput), input_ + ".dmidx");
  EXPECT_EQ(gzip_index_path(input_, cache, IndexPlacement::kAuto), input_ + ".dmidx")
      << "the temp dir is writable";
  const std::string abs = std::filesystem::absolute(input_).lexically_normal().string();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(abs.data(), abs.size())));
  EXPECT_EQ(gzip_index_path(input_, cache, IndexPlacement::kCacheDir),
            cache + "/clicks.tsv.gz." + hex + ".dmidx");
  // Two inputs with the same basename in different directories do not collide in the cache.
  EXPECT_NE(gzip_index_path(dir_.file("a/clicks.tsv.gz"), cache, IndexPlacement::kCacheDir),
            gzip_index_path(input_, cache, IndexPlacement::kCacheDir));
  // access(W_OK) decides kAuto; as non-root a 0555 directory sends the index to the cache.
  if (::geteuid() != 0) {
    const std::string ro = dir_.file("ro");
    std::filesystem::create_directory(ro);
    testing::write_file(ro + "/x.gz", gz_);
    std::filesystem::permissions(ro, std::filesystem::perms(0555));
    EXPECT_EQ(gzip_index_path(ro + "/x.gz", cache).rfind(cache, 0), 0u);
  }
}

TEST_F(GzipIndexTest, LoadOrBuildCachesAndRebuilds) {
  bool built = false;
  const GzipIndex first = load_or_build_gzip_index(input_, 1 << 20, "unused-cache", &built);
  EXPECT_TRUE(built);
  EXPECT_TRUE(std::filesystem::exists(input_ + ".dmidx"));
  EXPECT_FALSE(std::filesystem::exists("unused-cache"));

  const GzipIndex second = load_or_build_gzip_index(input_, 1 << 20, "unused-cache", &built);
  EXPECT_FALSE(built);
  EXPECT_TRUE(second == first);

  const GzipIndex third = load_or_build_gzip_index(input_, 64 << 10, "unused-cache", &built);
  EXPECT_TRUE(built) << "a different spacing rebuilds";
  EXPECT_EQ(third.spacing, 64u << 10);
  EXPECT_GT(third.points.size(), first.points.size());

  // A stale index on disk is replaced.
  testing::write_file(input_, testing::concat({gz_, gz_}));
  const GzipIndex fourth = load_or_build_gzip_index(input_, 64 << 10, "unused-cache", &built);
  EXPECT_TRUE(built);
  EXPECT_EQ(fourth.members, 2u);
  EXPECT_EQ(fourth.decoded_size, 2 * original_.size());
}

TEST_F(GzipIndexTest, LoadOrBuildUsesTheCacheDirWhenTheInputDirIsNotWritable) {
  // Root ignores mode bits, so the decision is injected; kAuto's access(W_OK) rule is
  // covered in IndexPathBesideInputOrInCacheDir.
  const std::string cache = dir_.file("cache/nested");
  bool built = false;
  const GzipIndex a =
      load_or_build_gzip_index(input_, 128 << 10, cache, &built, IndexPlacement::kCacheDir);
  EXPECT_TRUE(built);
  EXPECT_FALSE(std::filesystem::exists(input_ + ".dmidx"));
  const std::string expected = gzip_index_path(input_, cache, IndexPlacement::kCacheDir);
  EXPECT_TRUE(std::filesystem::exists(expected)) << expected;
  const GzipIndex b =
      load_or_build_gzip_index(input_, 128 << 10, cache, &built, IndexPlacement::kCacheDir);
  EXPECT_FALSE(built);
  EXPECT_TRUE(a == b);
}

TEST_F(GzipIndexTest, UnwritableCacheIsAnOutputError) {
  const std::string blocker = dir_.file("blocker");
  testing::write_file(blocker, {1});
  EXPECT_THROW(load_or_build_gzip_index(input_, 128 << 10, blocker + "/cache", nullptr,
                                        IndexPlacement::kCacheDir),
               OutputError);
  EXPECT_THROW(save_gzip_index(build_gzip_index(input_, 1 << 20), blocker + "/x.dmidx"),
               OutputError);
}

TEST_F(GzipIndexTest, ZeroSpacingIsAConfigError) {
  EXPECT_THROW(build_gzip_index(input_, 0), ConfigError);
}

TEST_F(GzipIndexTest, IndexOfAnotherFileIsRejectedByTheReader) {
  const std::string other = dir_.file("other.gz");
  testing::write_file(other, testing::compress_with_tool(Bytes(5000, 'z'), "gzip", dir_));
  const GzipIndex wrong = build_gzip_index(other, 4096);
  EXPECT_THROW(open_decoded(input_, Codec::kGzip, 0, &wrong), InputError);
}

}  // namespace
}  // namespace dumpmill::codec
