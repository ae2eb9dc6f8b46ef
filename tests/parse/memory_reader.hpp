// Test double for codec::DecodedReader: serves a string, at most `chunk` bytes per read().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "dumpmill/codec/decoded_reader.hpp"

namespace dumpmill::parse::testing {

// Serves data[start..] with decoded offsets equal to positions in `data`, like a codec
// that was opened at offset `start`. Small chunks force every refill boundary.
class MemoryReader final : public codec::DecodedReader {
 public:
  MemoryReader(std::string_view data, std::size_t chunk, std::size_t start = 0)
      : data_(data), chunk_(chunk), pos_(start) {}

  std::size_t read(char* dst, std::size_t capacity) override {
    const std::size_t n = std::min({capacity, chunk_, data_.size() - pos_});
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    ++reads_;
    return n;
  }
  std::uint64_t position() const override { return pos_; }
  std::size_t reads() const { return reads_; }

 private:
  std::string_view data_;
  std::size_t chunk_;
  std::size_t pos_;
  std::size_t reads_ = 0;
};

}  // namespace dumpmill::parse::testing
