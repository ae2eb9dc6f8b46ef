// Shared helpers for the block finder / marker decoder / chunk tests: zlib streams and their true
// block boundaries.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "codec_test_util.hpp"

namespace dumpmill::codec::testing {

// Inputs shrink under ASan/UBSan (3-5x slower) so each binary stays well under 30 s.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::size_t kScale = 4;
#else
inline constexpr std::size_t kScale = 1;
#endif

// zlib deflate with any window bits (-15 raw, 31 gzip), level and strategy.
inline Bytes zlib_compress(const Bytes& data, int level, int window_bits = -15,
                           int strategy = Z_DEFAULT_STRATEGY) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, strategy) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A true block start, as zlib's inflate(Z_BLOCK) reports it (the way zran.c finds them).
struct Boundary {
  std::uint64_t bit = 0;         // offset in the compressed bytes given to list_boundaries
  std::uint64_t out_offset = 0;  // decoded bytes before the block
  unsigned type = 0;             // BTYPE of the block starting here
  bool final = false;
};

inline unsigned bits_from(const Bytes& b, std::uint64_t bit, unsigned n) {
  unsigned v = 0;
  for (unsigned i = 0; i < n; ++i) {
    const std::uint64_t at = bit + i;
    if (at / 8 < b.size()) v |= ((b[at / 8] >> (at % 8)) & 1u) << i;
  }
  return v;
}

// Every block start of the stream and the decoded bytes; window_bits as in zlib_compress.
inline std::vector<Boundary> list_boundaries(const Bytes& compressed, int window_bits,
                                             Bytes* decoded = nullptr) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) throw std::runtime_error("inflateInit2");
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::vector<Boundary> out;
  Bytes buf(1 << 16);
  if (window_bits < 0) out.push_back({0, 0, 0, false});
  int ret = Z_OK;
  while (ret != Z_STREAM_END) {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    ret = inflate(&zs, Z_BLOCK);
    if (ret != Z_OK && ret != Z_STREAM_END) throw std::runtime_error("inflate");
    if (decoded) decoded->insert(decoded->end(), buf.begin(), buf.end() - zs.avail_out);
    if ((zs.data_type & 128) && !(zs.data_type & 64) && ret != Z_STREAM_END) {
      const std::uint64_t bit = std::uint64_t{zs.total_in} * 8 - (zs.data_type & 7);
      if (out.empty() || out.back().bit != bit) out.push_back({bit, zs.total_out, 0, false});
    }
  }
  inflateEnd(&zs);
  for (Boundary& b : out) {
    b.final = bits_from(compressed, b.bit, 1) != 0;
    b.type = bits_from(compressed, b.bit + 1, 2);
  }
  return out;
}

// Where the finder and the decoder name a block start: stored blocks at their canonical
// start (largest of the 8 possible header positions with 3 zero bits), others as they are.
inline std::uint64_t canonical_bit(const Bytes& b, std::uint64_t bit) {
  if (bits_from(b, bit, 3) != 0) return bit;
  const std::uint64_t p = (bit + 3 + 7) / 8;
  for (std::uint64_t c = p * 8 - 3; c >= bit; --c) {
    if (bits_from(b, c, 3) == 0) return c;
  }
  return bit;
}

// LSB-first bit writer for hand-made deflate streams.
class BitWriter {
 public:
  void put(std::uint32_t value, unsigned n) {
    for (unsigned i = 0; i < n; ++i) put_bit((value >> i) & 1u);
  }
  // Huffman codes go most significant bit first.
  void put_code(std::uint32_t code, unsigned n) {
    for (unsigned i = n; i-- > 0;) put_bit((code >> i) & 1u);
  }
  void pad_with(unsigned bit) {
    while (bits_ % 8 != 0) put_bit(bit);
  }
  void byte(std::uint8_t b) { put(b, 8); }
  std::uint64_t bits() const { return bits_; }
  const Bytes& bytes() const { return out_; }

 private:
  void put_bit(unsigned b) {
    if (bits_ % 8 == 0) out_.push_back(0);
    out_.back() = static_cast<std::uint8_t>(out_.back() | (b << (bits_ % 8)));
    ++bits_;
  }
  Bytes out_;
  std::uint64_t bits_ = 0;
};

// Fixed-Huffman literal (0..143: 8-bit codes 0x30+) and end of block (7-bit 0).
inline void put_fixed_literal(BitWriter& w, std::uint8_t lit) {
  if (lit < 144) {
    w.put_code(0x30u + lit, 8);
  } else {
    w.put_code(0x190u + (lit - 144u), 9);
  }
}
inline void put_fixed_eob(BitWriter& w) { w.put_code(0, 7); }

}  // namespace dumpmill::codec::testing
