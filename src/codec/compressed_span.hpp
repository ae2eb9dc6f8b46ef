// Private to the codec stage: a growable window of compressed file bytes for the deflate decoders.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "file_input.hpp"

namespace dumpmill::detail {

// Compressed bytes read past the end of a search or decode range up front, and the minimum
// growth when a block runs further: 256 KiB holds a few zlib blocks (~15-60 KB each) or
// stored blocks (<= 64 KiB), so a range end rarely costs a second read.
inline constexpr std::uint64_t kReadSlack = 256 << 10;

// The file bytes [base, base + size) for a decoder, growable at the end. Offsets handed to
// the deflate code are relative to base, and stay valid as the buffer grows.
class CompressedSpan {
 public:
  CompressedSpan(const std::string& path, std::uint64_t base, std::uint64_t want_end)
      : path_(path), fd_(path), file_size_(fd_.stat(path).size), base_(std::min(base, file_size_)) {
    grow_to(want_end);
  }

  std::span<const std::uint8_t> bytes() const noexcept { return data_; }
  std::uint64_t base() const noexcept { return base_; }
  std::uint64_t base_bit() const noexcept { return base_ * 8; }
  std::uint64_t file_size() const noexcept { return file_size_; }
  bool at_eof() const noexcept { return base_ + data_.size() >= file_size_; }

  // Extends the buffer towards absolute file offset `end` (clamped to the file).
  void grow_to(std::uint64_t end) {
    end = std::min(end, file_size_);
    const std::uint64_t have = base_ + data_.size();
    if (end <= have) return;
    const std::size_t old = data_.size();
    data_.resize(static_cast<std::size_t>(end - base_));
    const std::size_t got =
        pread_full(fd_.get(), path_, data_.data() + old, data_.size() - old, have);
    data_.resize(old + got);
  }
  // Forgets the bytes before relative byte n (a decoder that has moved past them): base() moves
  // up by n, so relative offsets held by the caller must be shifted by n * 8 bits.
  void drop_front(std::uint64_t n) {
    n = std::min<std::uint64_t>(n, data_.size());
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(n));
    base_ += n;
  }
  // Doubles the buffer (at least kReadSlack more).
  void grow() { grow_to(base_ + data_.size() + std::max<std::uint64_t>(data_.size(), kReadSlack)); }

 private:
  std::string path_;
  FileDescriptor fd_;
  std::uint64_t file_size_;
  std::uint64_t base_;
  std::vector<std::uint8_t> data_;
};

}  // namespace dumpmill::detail
