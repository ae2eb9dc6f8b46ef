// Deflate decoder to 16-bit symbols with markers for the unknown window (our own: zlib and ISA-L
// need the window's bytes, which a rank starting mid-stream does not have yet).
#include "dumpmill/codec/marker_inflate.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "deflate_bits.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::codec {
namespace {

using detail::BitReader;
using detail::HuffmanTable;

constexpr std::array<std::uint16_t, 29> kLenBase = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                                    15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                                    67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<std::uint8_t, 29> kLenExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<std::uint16_t, 30> kDistBase = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<std::uint8_t, 30> kDistExtra = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                                     4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                                     9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr unsigned kMaxMatch = 258;

struct FixedTables {
  HuffmanTable lit;
  HuffmanTable dist;
  FixedTables() {
    std::array<std::uint8_t, 288> l{};
    std::fill(l.begin(), l.begin() + 144, std::uint8_t{8});
    std::fill(l.begin() + 144, l.begin() + 256, std::uint8_t{9});
    std::fill(l.begin() + 256, l.begin() + 280, std::uint8_t{7});
    std::fill(l.begin() + 280, l.end(), std::uint8_t{8});
    lit.build(l.data(), 288);
    // 32 codes of 5 bits make the code complete; symbols 30 and 31 are rejected on use.
    std::array<std::uint8_t, 32> d{};
    d.fill(5);
    dist.build(d.data(), 32);
  }
};

const FixedTables& fixed_tables() {
  static const FixedTables tables;
  return tables;
}

enum class BlockEnd { kOk, kNeedInput, kInvalid };

class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> bytes, std::uint64_t start_bit,
          std::vector<std::uint16_t>& out, bool window_unknown)
      : br_(bytes, start_bit), out_(out), n_(out.size()), window_unknown_(window_unknown) {}

  ~Decoder() { out_.resize(n_); }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  BitReader& reader() noexcept { return br_; }
  std::size_t size() const noexcept { return n_; }
  void truncate(std::size_t n) noexcept { n_ = n; }
  const char* error() const noexcept { return error_; }
  std::uint64_t error_bit() const noexcept { return error_bit_; }

  BlockEnd huffman_block(const HuffmanTable& lit, const HuffmanTable& dist) {
    const std::uint64_t limit = br_.size_bits();
    for (;;) {
      reserve(kMaxMatch);
      std::uint16_t* o = out_.data();
      br_.refill();
      // Past the end the reader yields zeros; nothing decoded from them may count.
      if (br_.position() > limit) return BlockEnd::kNeedInput;
      int sym = lit.decode(br_);
      if (sym < 256) {
        if (sym < 0) return fail("invalid literal/length code");
        o[n_++] = static_cast<std::uint16_t>(sym);
        continue;
      }
      if (sym == static_cast<int>(detail::kEndOfBlock)) {
        return br_.overrun() ? BlockEnd::kNeedInput : BlockEnd::kOk;
      }
      sym -= 257;
      if (sym >= 29) return fail("invalid literal/length symbol");
      const unsigned len = kLenBase[sym] + br_.bits(kLenExtra[sym]);
      const int dsym = dist.decode(br_);
      if (dsym < 0 || dsym >= 30) return fail("invalid distance code");
      const std::size_t d = kDistBase[dsym] + br_.bits(kDistExtra[dsym]);
      if (br_.overrun()) return BlockEnd::kNeedInput;
      if (d <= n_) {
        // Element by element: an overlapping copy (d < len) must repeat, as deflate means.
        const std::uint16_t* src = o + (n_ - d);
        std::uint16_t* dst = o + n_;
        for (unsigned k = 0; k < len; ++k) dst[k] = src[k];
      } else {
        if (!window_unknown_ || d > n_ + kWindowSize) return fail("distance too far back");
        // Positions before out[0] are window bytes we do not know yet: emit markers.
        const auto back = static_cast<std::int64_t>(n_) - static_cast<std::int64_t>(d);
        for (unsigned k = 0; k < len; ++k) {
          const std::int64_t src = back + k;
          o[n_ + k] = src < 0 ? static_cast<std::uint16_t>(
                                    kMarkerBit | static_cast<std::uint16_t>(src + kWindowSize))
                              : o[src];
        }
      }
      n_ += len;
    }
  }

  BlockEnd stored_block() {
    br_.align_to_byte();
    br_.refill();
    const std::uint32_t len = br_.bits(16);
    const std::uint32_t nlen = br_.bits(16);
    if (br_.overrun()) return BlockEnd::kNeedInput;
    if (len != (~nlen & 0xffffu)) return fail("stored block length does not match its complement");
    const std::uint64_t at = br_.position() / 8;
    const auto bytes = br_.bytes();
    if (at + len > bytes.size()) return BlockEnd::kNeedInput;
    reserve(len);
    std::uint16_t* o = out_.data() + n_;
    for (std::uint32_t i = 0; i < len; ++i) o[i] = bytes[at + i];
    n_ += len;
    br_.seek((at + len) * 8);
    return BlockEnd::kOk;
  }

  BlockEnd fail(const char* what) {
    if (br_.overrun()) return BlockEnd::kNeedInput;
    error_ = what;
    error_bit_ = br_.position();
    return BlockEnd::kInvalid;
  }

 private:
  void reserve(std::size_t k) {
    if (n_ + k > out_.size()) out_.resize(std::max(out_.size() * 2, n_ + k + 4096));
  }

  BitReader br_;
  std::vector<std::uint16_t>& out_;
  std::size_t n_;  // symbols in out_; out_ beyond n_ is scratch until the destructor trims it
  bool window_unknown_;
  const char* error_ = nullptr;
  std::uint64_t error_bit_ = 0;
};

}  // namespace

MarkerInflateResult marker_inflate(std::span<const std::uint8_t> bytes, std::uint64_t start_bit,
                                   std::vector<std::uint16_t>& out,
                                   const MarkerInflateOptions& options) {
  MarkerInflateResult result;
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;
  if (start_bit > size_bits) {
    result.status = MarkerInflateStatus::kNeedInput;
    result.end_bit = start_bit;
    return result;
  }
  Decoder dec(bytes, start_bit, out, options.window_unknown);
  BitReader& br = dec.reader();
  const std::size_t call_start = dec.size();
  HuffmanTable lit;
  HuffmanTable dist;
  detail::DynamicHeader header;
  for (;;) {
    const std::uint64_t boundary = br.position();
    const std::size_t boundary_size = dec.size();
    result.end_bit = boundary;
    if (boundary + 3 > size_bits) {
      result.status = MarkerInflateStatus::kNeedInput;
      return result;
    }
    if ((detail::bits_at(bytes, boundary) & 7u) == 0) {
      // Non-final stored block next: report the boundary where find_deflate_block would.
      const auto canonical = detail::canonical_stored_start(bytes, (boundary + 3 + 7) / 8);
      if (!canonical) {
        result.status = MarkerInflateStatus::kNeedInput;
        return result;
      }
      result.end_bit = *canonical;
    }
    if (result.end_bit >= options.stop_after_bit ||
        dec.size() - call_start >= options.stop_after_symbols ||
        result.blocks >= options.max_blocks) {
      result.status = MarkerInflateStatus::kBoundary;
      return result;
    }
    br.refill();
    const bool final_block = br.bits(1) != 0;
    const std::uint32_t type = br.bits(2);
    BlockEnd end = BlockEnd::kInvalid;
    if (type == 0) {
      end = dec.stored_block();
    } else if (type == 1) {
      end = dec.huffman_block(fixed_tables().lit, fixed_tables().dist);
    } else if (type == 2) {
      const char* why = detail::read_dynamic_header(br, header);
      if (why != nullptr) {
        end = dec.fail(why);
      } else {
        lit.build(header.lengths.data(), header.nlit);
        dist.build(header.lengths.data() + header.nlit, header.ndist);
        end = dec.huffman_block(lit, dist);
      }
    } else {
      end = dec.fail("reserved block type");
    }
    if (end != BlockEnd::kOk) {
      dec.truncate(boundary_size);
      if (end == BlockEnd::kNeedInput) {
        result.status = MarkerInflateStatus::kNeedInput;
      } else {
        result.status = MarkerInflateStatus::kInvalid;
        result.error = dec.error();
        result.error_bit = dec.error_bit();
      }
      return result;
    }
    ++result.blocks;
    if (final_block) {
      result.status = MarkerInflateStatus::kFinalBlock;
      result.end_bit = br.position();
      return result;
    }
  }
}

void resolve_markers(std::span<std::uint16_t> symbols, std::span<const std::uint8_t> window_32k,
                     std::vector<std::uint8_t>& out) {
  const std::size_t have = std::min(window_32k.size(), kWindowSize);
  const std::uint8_t* window = window_32k.data() + (window_32k.size() - have);
  const std::size_t missing = kWindowSize - have;  // markers below this index have no byte
  const std::size_t base = out.size();
  out.resize(base + symbols.size());
  std::uint8_t* dst = out.data() + base;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    std::uint16_t s = symbols[i];
    if (s & kMarkerBit) {
      const std::size_t index = s & (kMarkerBit - 1);
      if (index < missing) {
        out.resize(base);
        throw Error("corrupt deflate data: a back-reference reaches " +
                    std::to_string(kWindowSize - index) + " bytes back, before the stream start");
      }
      s = window[index - missing];
      symbols[i] = s;
    }
    dst[i] = static_cast<std::uint8_t>(s);
  }
}

bool has_markers(std::span<const std::uint16_t> symbols) noexcept {
  std::uint16_t any = 0;
  for (const std::uint16_t s : symbols) any |= s;  // branch-free: vectorizes
  return (any & kMarkerBit) != 0;
}

}  // namespace dumpmill::codec
