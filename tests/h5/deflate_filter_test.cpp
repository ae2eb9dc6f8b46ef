// Unit tests of the libdeflate deflate filter function and its registration (no MPI, no file).
#include "dumpmill/h5/deflate_filter.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "deflate_test_data.hpp"

namespace dumpmill::h5 {
namespace {

using Bytes = std::vector<unsigned char>;

// A buffer owned the way HDF5 hands one to a filter (H5allocate_memory), freed on scope exit.
class FilterBuffer {
 public:
  explicit FilterBuffer(const Bytes& content)
      : size_(std::max<std::size_t>(content.size(), 1)),
        data_(H5allocate_memory(size_, false)),
        valid_(content.size()) {
    if (!content.empty()) std::memcpy(data_, content.data(), content.size());
  }
  ~FilterBuffer() { H5free_memory(data_); }
  FilterBuffer(const FilterBuffer&) = delete;
  FilterBuffer& operator=(const FilterBuffer&) = delete;

  // Runs the filter; on success the buffer holds its output.
  std::size_t run(unsigned flags, unsigned level) {
    const unsigned cd[1] = {level};
    const std::size_t n = detail::libdeflate_filter(flags, 1, cd, valid_, &size_, &data_);
    if (n != 0) valid_ = n;
    return n;
  }
  Bytes content() const {
    const auto* p = static_cast<const unsigned char*>(data_);
    return Bytes(p, p + valid_);
  }
  std::size_t size() const { return size_; }
  void* data() const { return data_; }

 private:
  std::size_t size_;
  void* data_;
  std::size_t valid_;
};

Bytes text_bytes(std::size_t n) {
  Bytes out;
  for (std::uint64_t g = 0; out.size() < n; ++g) {
    const std::string t = test::title_at(g);
    out.insert(out.end(), t.begin(), t.end());
  }
  out.resize(n);
  return out;
}

Bytes noise_bytes(std::size_t n) {
  Bytes out(n);
  std::uint64_t h = 99;
  for (unsigned char& c : out) c = static_cast<unsigned char>((h = test::mix64(h)) & 0xFF);
  return out;
}

// What zlib (not libdeflate) makes of a stream: the independent check that it is standard.
Bytes zlib_inflate(const Bytes& stream, std::size_t expected_size) {
  Bytes out(expected_size + 1);  // one spare byte: a longer result must not fit silently
  uLongf size = static_cast<uLongf>(out.size());
  const int rc = uncompress(out.data(), &size, stream.data(), static_cast<uLong>(stream.size()));
  EXPECT_EQ(rc, Z_OK);
  out.resize(rc == Z_OK ? size : 0);
  return out;
}

Bytes zlib_deflate(const Bytes& in, int level) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, in.data(), static_cast<uLong>(in.size()), level), Z_OK);
  out.resize(size);
  return out;
}

Bytes libdeflate_deflate(const Bytes& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  Bytes out(libdeflate_zlib_compress_bound(c, in.size()));
  out.resize(libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

TEST(DeflateFilter, RegistersOverHdf5sBuiltInAndCanGoBack) {
  ASSERT_TRUE(use_libdeflate_for_deflate()) << "this HDF5 does not export H5Z_register";
  EXPECT_TRUE(use_libdeflate_for_deflate());  // idempotent
  EXPECT_TRUE(libdeflate_serves_deflate());
  EXPECT_GT(H5Zfilter_avail(H5Z_FILTER_DEFLATE), 0);
  ASSERT_TRUE(detail::select_deflate(false));
  EXPECT_FALSE(libdeflate_serves_deflate());
  EXPECT_GT(H5Zfilter_avail(H5Z_FILTER_DEFLATE), 0);
  ASSERT_TRUE(detail::select_deflate(true));
  EXPECT_TRUE(libdeflate_serves_deflate());
  unsigned config = 0;
  ASSERT_GE(H5Zget_filter_info(H5Z_FILTER_DEFLATE, &config), 0);
  EXPECT_NE(config & H5Z_FILTER_CONFIG_ENCODE_ENABLED, 0U);
  EXPECT_NE(config & H5Z_FILTER_CONFIG_DECODE_ENABLED, 0U);
}

// Sizes: one byte, odd, a 64 KiB-ish odd chunk, exactly 512 KiB (the writer's default chunk).
TEST(DeflateFilter, ForwardWritesLibdeflatesZlibStreamThatZlibInflates) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{4099}, std::size_t{65537}, std::size_t{512} << 10}) {
    for (const unsigned level : {0U, 1U, 6U, 9U}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " level=" + std::to_string(level));
      const Bytes input = text_bytes(n);
      FilterBuffer buf(input);
      const std::size_t packed = buf.run(0, level);
      ASSERT_GT(packed, 0U);
      EXPECT_GE(buf.size(), packed);  // *buf_size is the allocation, at least the valid bytes
      const Bytes stream = buf.content();
      // Exactly libdeflate's output at that level (and so not zlib's, for real text).
      EXPECT_EQ(stream, libdeflate_deflate(input, static_cast<int>(level)));
      if (level == 1 && n > 4096) {
        EXPECT_NE(stream, zlib_deflate(input, 1));
      }
      if (level > 0 && n > 4096) {
        EXPECT_LT(packed, n * 6 / 10);  // it did compress
      }
      EXPECT_EQ(zlib_inflate(stream, n), input);
    }
  }
}

TEST(DeflateFilter, IncompressibleDataGrowsSlightlyAndRoundTrips) {
  const Bytes input = noise_bytes(100'003);
  FilterBuffer buf(input);
  const std::size_t packed = buf.run(0, 1);
  ASSERT_GT(packed, input.size());       // stored blocks: a little larger than the input,
  EXPECT_LT(packed, input.size() + 64);  // as with HDF5's own zlib filter
  EXPECT_EQ(zlib_inflate(buf.content(), input.size()), input);
  ASSERT_EQ(buf.run(H5Z_FLAG_REVERSE, 1), input.size());
  EXPECT_EQ(buf.content(), input);
}

// Reverse must read any zlib stream (HDF5's zlib filter, other writers), whatever the size
// ratio: 1 MiB of zeros deflates ~1000:1, far beyond the first guess, so the buffer grows;
// then a small chunk after a big one (a large size hint) must still come back exact.
TEST(DeflateFilter, ReverseInflatesZlibStreamsOfAnyRatio) {
  const Bytes zeros(std::size_t{1} << 20, 0);
  const Bytes text = text_bytes(300'001);
  const Bytes small = text_bytes(17);
  for (const Bytes* input : {&zeros, &text, &small, &zeros, &small}) {
    for (const int level : {1, 6, 9}) {
      SCOPED_TRACE("n=" + std::to_string(input->size()) + " level=" + std::to_string(level));
      FilterBuffer buf(zlib_deflate(*input, level));
      ASSERT_EQ(buf.run(H5Z_FLAG_REVERSE, static_cast<unsigned>(level)), input->size());
      EXPECT_GE(buf.size(), input->size());
      EXPECT_EQ(buf.content(), *input);
    }
  }
}

// On failure: 0, the buffer and its size untouched (HDF5 still owns and frees them), and the
// reason on HDF5's error stack for the H5Error message.
void expect_failure_leaves_buffer(const Bytes& content, unsigned flags, std::size_t cd_nelmts,
                                  unsigned level, const char* why) {
  SCOPED_TRACE(why);
  FilterBuffer buf(content);
  void* before = buf.data();
  const std::size_t size_before = buf.size();
  std::size_t size = size_before;
  void* data = before;
  const unsigned cd[1] = {level};
  H5Eclear2(H5E_DEFAULT);
  EXPECT_EQ(detail::libdeflate_filter(flags, cd_nelmts, cd, content.size(), &size, &data), 0U);
  EXPECT_EQ(data, before);
  EXPECT_EQ(size, size_before);
  EXPECT_GT(H5Eget_num(H5E_DEFAULT), 0);
  H5Eclear2(H5E_DEFAULT);
}

TEST(DeflateFilter, FailsCleanlyOnCorruptTruncatedOrBadArguments) {
  const Bytes input = text_bytes(50'000);
  const Bytes stream = zlib_deflate(input, 1);
  Bytes corrupt = stream;
  corrupt[0] ^= 0x0F;  // zlib header: compression method no longer 8
  expect_failure_leaves_buffer(corrupt, H5Z_FLAG_REVERSE, 1, 1, "corrupt header");
  Bytes flipped = stream;
  flipped[flipped.size() - 2] ^= 0xFF;  // Adler-32 trailer mismatch
  expect_failure_leaves_buffer(flipped, H5Z_FLAG_REVERSE, 1, 1, "bad checksum");
  const Bytes truncated(stream.begin(), stream.begin() + static_cast<long>(stream.size() / 2));
  expect_failure_leaves_buffer(truncated, H5Z_FLAG_REVERSE, 1, 1, "truncated");
  expect_failure_leaves_buffer(noise_bytes(1000), H5Z_FLAG_REVERSE, 1, 1, "not zlib at all");
  expect_failure_leaves_buffer(input, 0, 1, 10, "level 10 (H5Pset_deflate allows 0-9)");
  expect_failure_leaves_buffer(input, 0, 0, 1, "no cd_values");
  expect_failure_leaves_buffer(input, 0, 2, 1, "two cd_values");
}

}  // namespace
}  // namespace dumpmill::h5
