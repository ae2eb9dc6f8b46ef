// open_decoded(): picks the reader for a codec; the shared buffered-reader logic lives here too.
#include "dumpmill/codec/open_decoded.hpp"

#include <algorithm>
#include <cstring>

#include "dumpmill/core/error.hpp"
#include "readers.hpp"

namespace dumpmill::detail {

std::size_t BufferedDecodedReader::read(char* dst, std::size_t capacity) {
  std::size_t n = 0;
  while (n < capacity) {
    if (cur_ == end_) {
      if (ended_) break;
      const std::span<const std::uint8_t> more = decode_more();
      if (more.empty()) {
        ended_ = true;
        break;
      }
      cur_ = more.data();
      end_ = more.data() + more.size();
    }
    const std::size_t take = std::min(capacity - n, static_cast<std::size_t>(end_ - cur_));
    std::memcpy(dst + n, cur_, take);
    cur_ += take;
    n += take;
  }
  position_ += n;
  return n;
}

void BufferedDecodedReader::skip_to(std::uint64_t target) {
  while (position_ < target) {
    if (cur_ == end_) {
      const std::span<const std::uint8_t> more =
          ended_ ? std::span<const std::uint8_t>{} : decode_more();
      if (more.empty()) {
        ended_ = true;
        position_ = target;
        return;
      }
      cur_ = more.data();
      end_ = more.data() + more.size();
    }
    const auto take = static_cast<std::size_t>(
        std::min<std::uint64_t>(target - position_, static_cast<std::uint64_t>(end_ - cur_)));
    cur_ += take;
    position_ += take;
  }
}

}  // namespace dumpmill::detail

namespace dumpmill::codec {

std::unique_ptr<DecodedReader> open_decoded(const std::string& path, Codec codec,
                                            std::uint64_t start_offset, const GzipIndex* index,
                                            std::size_t buffer_bytes) {
  // 1 GiB cap: ISA-L and zstd take 32-bit buffer lengths.
  buffer_bytes = std::clamp(buffer_bytes, kMinDecodeBufferBytes, std::size_t{1} << 30);
  switch (codec) {
    case Codec::kPlain:
      return detail::make_plain_reader(path, start_offset, buffer_bytes);
    case Codec::kGzip:
      return detail::make_gzip_reader(path, start_offset, index, buffer_bytes);
    case Codec::kZstd:
      return detail::make_zstd_reader(path, start_offset, buffer_bytes);
  }
  throw InputError(path, std::nullopt, "unknown codec");
}

}  // namespace dumpmill::codec
