// Private to the codec stage: deflate (RFC 1951) bit reading and Huffman tables shared by the
// block finder and the marker decoder.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace dumpmill::detail {

static_assert(std::endian::native == std::endian::little,
              "the bit reader loads 64-bit little-endian words");

inline constexpr unsigned kMaxCodeBits = 15;
inline constexpr unsigned kMaxLitLenCodes = 286;  // HLIT <= 29: symbols 286/287 never coded
inline constexpr unsigned kMaxDistCodes = 30;     // HDIST <= 29
inline constexpr unsigned kPrecodeCount = 19;
inline constexpr unsigned kEndOfBlock = 256;
// Order in which the 3-bit code-length-code lengths are stored (RFC 1951, 3.2.7).
inline constexpr std::array<std::uint8_t, kPrecodeCount> kPrecodeOrder = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// Up to 57 bits starting at absolute bit `bit` of `bytes` (LSB first, as deflate packs them);
// bits past the end read as zero. 57 = 64 - 7: one unaligned 64-bit load always has them.
inline std::uint64_t bits_at(std::span<const std::uint8_t> bytes, std::uint64_t bit) noexcept {
  const std::uint64_t byte = bit / 8;
  std::uint64_t word = 0;
  if (byte + 8 <= bytes.size()) {
    std::memcpy(&word, bytes.data() + byte, 8);
  } else {
    for (std::uint64_t i = byte; i < bytes.size(); ++i) {
      word |= std::uint64_t{bytes[i]} << (8 * (i - byte));
    }
  }
  return word >> (bit % 8);
}

// LSB-first bit reader over a span with a 64-bit buffer (refill = one unaligned load while
// 8 bytes remain). Reading past the end yields zero bits; overrun() tells the caller, who must
// check it before trusting anything decoded from those bits.
class BitReader {
 public:
  BitReader(std::span<const std::uint8_t> bytes, std::uint64_t bit) noexcept : bytes_(bytes) {
    seek(bit);
  }

  void seek(std::uint64_t bit) noexcept {
    pos_ = bit / 8;
    buf_ = 0;
    count_ = 0;
    refill();
    drop(static_cast<unsigned>(bit % 8));
  }

  // Afterwards at least 56 bits are buffered.
  void refill() noexcept {
    if (pos_ + 8 <= bytes_.size()) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + pos_, 8);
      // Bits above count_ may already hold these same bytes: OR-ing equal bits is harmless.
      buf_ |= word << count_;
      pos_ += (63 - count_) >> 3;
      count_ |= 56;
      return;
    }
    while (count_ <= 56) {
      const std::uint64_t b = pos_ < bytes_.size() ? bytes_[pos_] : 0;
      buf_ |= b << count_;
      ++pos_;
      count_ += 8;
    }
  }

  // Fast-path refill for hot loops: the caller checked has_bytes(8), so no bounds test here.
  void refill_unchecked() noexcept {
    std::uint64_t word;
    std::memcpy(&word, bytes_.data() + pos_, 8);
    buf_ |= word << count_;
    pos_ += (63 - count_) >> 3;
    count_ |= 56;
  }
  // True when at least k bytes are left to load. A refill_unchecked needs 8 and moves on by at
  // most 7, so has_bytes(16) allows two of them.
  bool has_bytes(std::uint64_t k) const noexcept { return pos_ + k <= bytes_.size(); }
  // All buffered bits: after a refill the low 56+ are valid (above them: zeros or input bits).
  std::uint64_t buffer() const noexcept { return buf_; }

  std::uint32_t peek(unsigned n) const noexcept {
    return static_cast<std::uint32_t>(buf_ & ((std::uint64_t{1} << n) - 1));
  }
  void drop(unsigned n) noexcept {
    buf_ >>= n;
    count_ -= n;
  }
  // Caller guarantees n <= 32 and n buffered bits (refill() before a group of reads).
  std::uint32_t bits(unsigned n) noexcept {
    const std::uint32_t v = peek(n);
    drop(n);
    return v;
  }
  void align_to_byte() noexcept { drop(count_ % 8); }

  std::uint64_t position() const noexcept { return pos_ * 8 - count_; }
  std::uint64_t size_bits() const noexcept { return std::uint64_t{bytes_.size()} * 8; }
  bool overrun() const noexcept { return position() > size_bits(); }
  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::uint64_t pos_ = 0;  // next byte to load
  std::uint64_t buf_ = 0;  // buffered bits, next bit in bit 0
  unsigned count_ = 0;     // valid bits in buf_
};

// Which kind of code a set of lengths describes, with zlib's acceptance rules (inftrees.c):
// the code-length code must be complete; a literal/length or distance code may also be a
// single code of length 1 (incomplete); a distance code may be empty (all literals).
enum class CodeKind : std::uint8_t { kPrecode, kLitLen, kDist };

inline bool valid_code_lengths(const std::uint8_t* lengths, unsigned n, CodeKind kind) noexcept {
  std::array<std::uint16_t, kMaxCodeBits + 1> count{};
  for (unsigned i = 0; i < n; ++i) ++count[lengths[i]];
  unsigned max_len = 0;
  for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
    if (count[len] != 0) max_len = len;
  }
  if (max_len == 0) return kind == CodeKind::kDist;
  int left = 1;
  for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
    left = 2 * left - count[len];
    if (left < 0) return false;  // over-subscribed
  }
  if (left == 0) return true;
  return kind != CodeKind::kPrecode && max_len == 1;  // one code of length 1
}

// Canonical Huffman decoding table: a 2^kFastBits direct table for short codes (covers ~all
// symbols of real data: 10 bits = codes of probability >= 1/1024) and canonical bit-by-bit
// decoding (puff.c style) for longer codes and for bit patterns an incomplete code lacks.
class HuffmanTable {
 public:
  static constexpr unsigned kFastBits = 10;

  // Lengths must have passed valid_code_lengths (or be the fixed code).
  void build(const std::uint8_t* lengths, unsigned n) noexcept {
    count_.fill(0);
    for (unsigned i = 0; i < n; ++i) ++count_[lengths[i]];
    count_[0] = 0;
    std::array<std::uint16_t, kMaxCodeBits + 2> offset{};
    for (unsigned len = 1; len <= kMaxCodeBits; ++len) offset[len + 1] = offset[len] + count_[len];
    for (unsigned i = 0; i < n; ++i) {
      if (lengths[i] != 0) sorted_[offset[lengths[i]]++] = static_cast<std::uint16_t>(i);
    }
    fast_.fill(0);
    std::uint32_t code = 0;
    unsigned index = 0;
    for (unsigned len = 1; len <= kFastBits; ++len) {
      for (unsigned k = 0; k < count_[len]; ++k, ++code, ++index) {
        const std::uint32_t rev = reverse(code, len);
        const auto entry = static_cast<std::uint16_t>(sorted_[index] | (len << 12));
        for (std::uint32_t i = rev; i < fast_.size(); i += 1u << len) fast_[i] = entry;
      }
      code <<= 1;
    }
  }

  // Decodes one symbol; needs >= 15 buffered bits. Returns -1 for a pattern with no code.
  int decode(BitReader& br) const noexcept {
    const std::uint16_t e = fast_[br.peek(kFastBits)];
    if (e >> 12) {
      br.drop(e >> 12);
      return e & 0xfff;
    }
    return decode_slow(br);
  }

 private:
  static std::uint32_t reverse(std::uint32_t code, unsigned len) noexcept {
    std::uint32_t r = 0;
    for (unsigned i = 0; i < len; ++i) r |= ((code >> i) & 1u) << (len - 1 - i);
    return r;
  }

  int decode_slow(BitReader& br) const noexcept {
    const std::uint32_t bits = br.peek(kMaxCodeBits);
    int code = 0;
    int first = 0;
    int index = 0;
    for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
      code |= static_cast<int>((bits >> (len - 1)) & 1u);
      const int cnt = count_[len];
      if (code - first < cnt) {
        br.drop(len);
        return sorted_[static_cast<std::size_t>(index + code - first)];
      }
      index += cnt;
      first = (first + cnt) << 1;
      code <<= 1;
    }
    return -1;
  }

  std::array<std::uint16_t, 1u << kFastBits> fast_{};  // symbol | length << 12; 0 = slow path
  std::array<std::uint16_t, kMaxCodeBits + 1> count_{};
  std::array<std::uint16_t, 288> sorted_{};  // symbols in canonical order
};

// Code lengths of a dynamic block, read and checked.
struct DynamicHeader {
  unsigned nlit = 0;
  unsigned ndist = 0;
  std::array<std::uint8_t, kMaxLitLenCodes + kMaxDistCodes> lengths{};
};

// Reads HLIT/HDIST/HCLEN, the code-length code and the literal/length + distance code lengths
// with `br` just past the 3 block-type bits. Returns nullptr when they form a block zlib would
// decode, else a static reason. A header that runs past the end of the input returns
// "truncated" (the caller tells that apart from corruption with br.overrun()).
inline const char* read_dynamic_header(BitReader& br, DynamicHeader& h) noexcept {
  br.refill();
  h.nlit = br.bits(5) + 257;
  h.ndist = br.bits(5) + 1;
  const unsigned nclen = br.bits(4) + 4;
  if (h.nlit > kMaxLitLenCodes || h.ndist > kMaxDistCodes)
    return "too many length or distance codes";
  std::array<std::uint8_t, kPrecodeCount> cl{};
  for (unsigned i = 0; i < nclen; ++i) {
    br.refill();  // 19 x 3 = 57 bits: more than one refill guarantees (56)
    cl[kPrecodeOrder[i]] = static_cast<std::uint8_t>(br.bits(3));
  }
  if (!valid_code_lengths(cl.data(), kPrecodeCount, CodeKind::kPrecode)) {
    return "invalid code-length code";
  }
  HuffmanTable precode;
  precode.build(cl.data(), kPrecodeCount);
  const unsigned total = h.nlit + h.ndist;
  unsigned n = 0;
  while (n < total) {
    br.refill();
    if (br.overrun()) return "truncated";
    const int sym = precode.decode(br);
    if (sym < 0) return "invalid code-length code";
    if (sym < 16) {
      h.lengths[n++] = static_cast<std::uint8_t>(sym);
      continue;
    }
    std::uint8_t value = 0;
    unsigned repeat = 0;
    if (sym == 16) {
      if (n == 0) return "repeat of a code length with no previous length";
      value = h.lengths[n - 1];
      repeat = 3 + br.bits(2);
    } else if (sym == 17) {
      repeat = 3 + br.bits(3);
    } else {
      repeat = 11 + br.bits(7);
    }
    if (n + repeat > total) return "code-length repeat runs past the last code";
    std::memset(h.lengths.data() + n, value, repeat);
    n += repeat;
  }
  if (br.overrun()) return "truncated";
  if (h.lengths[kEndOfBlock] == 0) return "no end-of-block code";
  if (!valid_code_lengths(h.lengths.data(), h.nlit, CodeKind::kLitLen)) {
    return "invalid literal/length code";
  }
  if (!valid_code_lengths(h.lengths.data() + h.nlit, h.ndist, CodeKind::kDist)) {
    return "invalid distance code";
  }
  return nullptr;
}

// A stored block's header (3 zero bits) may start anywhere in the 8 bit positions that pad to
// the byte holding LEN, and the bits between are padding nobody checks. Finder and decoder
// both name such a block by its canonical start: the largest bit in [8p-10, 8p-3] whose 3 bits
// are zero, where p is the byte of LEN. nullopt when no such bit exists (or p*8 is past the
// end of `bytes`).
inline std::optional<std::uint64_t> canonical_stored_start(std::span<const std::uint8_t> bytes,
                                                           std::uint64_t len_byte) noexcept {
  if (len_byte * 8 > std::uint64_t{bytes.size()} * 8 || len_byte * 8 < 3) return std::nullopt;
  const std::uint64_t hi = len_byte * 8 - 3;
  const std::uint64_t lo = len_byte * 8 >= 10 ? len_byte * 8 - 10 : 0;
  for (std::uint64_t b = hi + 1; b-- > lo;) {
    if ((bits_at(bytes, b) & 7u) == 0) return b;
  }
  return std::nullopt;
}

}  // namespace dumpmill::detail
