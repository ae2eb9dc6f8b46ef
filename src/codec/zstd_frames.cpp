// Frame walk of a .zst file: frame headers through libzstd, block headers by hand, no decoding.
#include "dumpmill/codec/zstd_frames.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader: exported by Debian's libzstd 1.5.4
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "file_input.hpp"

namespace dumpmill::codec {
namespace {

// Floor for window_bytes: below a few blocks' worth every block header costs a pread.
constexpr std::size_t kMinWindowBytes = std::size_t{64} << 10;
constexpr std::size_t kBlockHeaderBytes = 3;  // RFC 8878 3.1.1.2
constexpr std::size_t kChecksumBytes = 4;     // Content_Checksum: low 32 bits of XXH64
constexpr std::uint32_t kBlockTypeRle = 1;    // Block_Content is one byte, repeated
constexpr std::uint32_t kBlockTypeReserved = 3;

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// The file through one window that is re-read at the requested offset when it misses.
class FileWindow {
 public:
  FileWindow(const std::string& path, std::size_t capacity)
      : path_(path), fd_(path), size_(fd_.stat(path).size), buf_(capacity) {}

  std::uint64_t size() const noexcept { return size_; }

  // Up to n (<= capacity) bytes at `offset`: fewer only where the file ends.
  std::span<const std::uint8_t> at(std::uint64_t offset, std::size_t n) {
    const bool inside = offset >= base_ && offset <= base_ + len_;
    const bool enough = offset + n <= base_ + len_ || base_ + len_ == size_;
    if (!inside || !enough) {
      base_ = offset;
      len_ = detail::pread_full(fd_.get(), path_, buf_.data(), buf_.size(), offset);
    }
    const auto skip = static_cast<std::size_t>(offset - base_);
    const std::size_t have = skip <= len_ ? len_ - skip : 0;
    return {buf_.data() + skip, std::min(n, have)};
  }

 private:
  std::string path_;
  detail::FileDescriptor fd_;
  std::uint64_t size_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t base_ = 0;
  std::size_t len_ = 0;
};

}  // namespace

ZstdFrameIndex walk_zstd_frames(const std::string& path, std::size_t window_bytes) {
  FileWindow win(path, std::max(window_bytes, kMinWindowBytes));
  ZstdFrameIndex index;
  index.file_size = win.size();
  if (index.file_size == 0) throw InputError(path, 0, "empty file is not a zstd stream");
  std::uint64_t decoded = 0;  // decoded offset of the next frame while all sizes are known
  std::uint64_t off = 0;
  while (off < index.file_size) {
    const auto head = win.at(off, ZSTD_FRAMEHEADERSIZE_MAX);
    if (head.size() < 4) {
      throw InputError(path, off,
                       std::to_string(head.size()) + " trailing bytes after the last zstd frame");
    }
    const std::uint32_t magic = load_le32(head.data());
    if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
      if (head.size() < ZSTD_SKIPPABLEHEADERSIZE) {
        throw InputError(path, off, "truncated zstd skippable frame header");
      }
      const std::uint64_t end = off + ZSTD_SKIPPABLEHEADERSIZE + load_le32(head.data() + 4);
      if (end > index.file_size) throw InputError(path, off, "truncated zstd skippable frame");
      ++index.skippable_frames;
      off = end;
      continue;
    }
    if (magic != ZSTD_MAGICNUMBER) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "%08x", magic);
      throw InputError(path, off,
                       std::string("not a zstd frame (magic number 0x") + hex +
                           "): garbage between frames, trailing data or a legacy frame");
    }
    ZSTD_frameHeader fh{};
    const std::size_t r = ZSTD_getFrameHeader(&fh, head.data(), head.size());
    if (ZSTD_isError(r)) {
      throw InputError(path, off,
                       std::string("malformed zstd frame header (") + ZSTD_getErrorName(r) + ")");
    }
    if (r != 0) throw InputError(path, off, "truncated zstd frame header");

    std::uint64_t pos = off + fh.headerSize;
    for (bool last = false; !last;) {
      const auto bh = win.at(pos, kBlockHeaderBytes);
      if (bh.size() < kBlockHeaderBytes) {
        throw InputError(path, pos, "truncated zstd frame (ends before a block header)");
      }
      const std::uint32_t v = static_cast<std::uint32_t>(bh[0]) |
                              static_cast<std::uint32_t>(bh[1]) << 8 |
                              static_cast<std::uint32_t>(bh[2]) << 16;
      last = (v & 1u) != 0;
      const std::uint32_t type = (v >> 1) & 3u;
      if (type == kBlockTypeReserved) throw InputError(path, pos, "reserved zstd block type");
      const std::uint64_t content = type == kBlockTypeRle ? 1 : v >> 3;
      if (pos + kBlockHeaderBytes + content > index.file_size) {
        throw InputError(path, pos, "truncated zstd block");
      }
      pos += kBlockHeaderBytes + content;
    }
    if (fh.checksumFlag != 0) {
      if (pos + kChecksumBytes > index.file_size) {
        throw InputError(path, pos, "truncated zstd frame (checksum missing)");
      }
      pos += kChecksumBytes;
    }

    ZstdFrame frame;
    frame.compressed_offset = off;
    frame.compressed_size = pos - off;
    if (index.all_sizes_declared) frame.decoded_offset = decoded;
    if (fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN) {
      frame.decoded_size = fh.frameContentSize;
      if (fh.frameContentSize > std::numeric_limits<std::uint64_t>::max() - decoded) {
        throw InputError(path, off, "zstd frame content sizes add up to more than 2^64 bytes");
      }
      decoded += fh.frameContentSize;
    } else {
      index.all_sizes_declared = false;
    }
    index.frames.push_back(frame);
    off = pos;
  }
  if (index.all_sizes_declared) index.decoded_size = decoded;
  return index;
}

std::optional<std::size_t> zstd_frame_for_offset(const ZstdFrameIndex& index,
                                                 std::uint64_t decoded_offset) {
  if (index.frames.empty()) return std::nullopt;
  // Frames with a known decoded_offset form a prefix, in increasing order.
  const auto known_end =
      std::find_if(index.frames.begin(), index.frames.end(),
                   [](const ZstdFrame& f) { return !f.decoded_offset.has_value(); });
  const auto after =
      std::upper_bound(index.frames.begin(), known_end, decoded_offset,
                       [](std::uint64_t v, const ZstdFrame& f) { return v < *f.decoded_offset; });
  // The first frame's decoded_offset is 0, so `after` is never the first frame.
  return static_cast<std::size_t>(after - index.frames.begin()) - 1;
}

}  // namespace dumpmill::codec
