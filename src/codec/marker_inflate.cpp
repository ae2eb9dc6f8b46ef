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

// A decode-table entry says everything one lookup needs (zlib inffast / libdeflate idea, our
// own layout): bits 0-7 = bits to drop (code + extra bits), bits 8-11 = code length (where
// the extra bits start), bits 16-30 = literal byte, length base or distance base, bit 31 =
// literal (sign test). Flags below mark what the fast path must not treat as a length or
// distance.
constexpr std::uint32_t kLiteral = 0x8000'0000u;
constexpr std::uint32_t kEndBlock = 0x1000u;
constexpr std::uint32_t kBadSymbol = 0x2000u;  // coded but invalid: lit/len 286-287, dist 30-31
constexpr std::uint32_t kSlow = 0x4000u;       // longer than the table, or no code at all
constexpr std::uint32_t kSpecial = kEndBlock | kBadSymbol | kSlow;
constexpr std::uint32_t kNoCode = kSlow;  // slow() result for a pattern the code lacks

constexpr std::uint32_t symbol_entry(std::uint32_t value, unsigned extra, std::uint32_t flags) {
  return value << 16 | flags | extra;
}

// Per-symbol entries without the code length, which build() adds.
constexpr std::array<std::uint32_t, 288> make_litlen_symbols() {
  std::array<std::uint32_t, 288> t{};
  for (std::uint32_t s = 0; s < 256; ++s) t[s] = symbol_entry(s, 0, kLiteral);
  t[256] = symbol_entry(0, 0, kEndBlock);
  for (std::uint32_t s = 257; s < 286; ++s)
    t[s] = symbol_entry(kLenBase[s - 257], kLenExtra[s - 257], 0);
  t[286] = t[287] = symbol_entry(0, 0, kBadSymbol);
  return t;
}
constexpr std::array<std::uint32_t, 32> make_dist_symbols() {
  std::array<std::uint32_t, 32> t{};
  for (std::uint32_t s = 0; s < 30; ++s) t[s] = symbol_entry(kDistBase[s], kDistExtra[s], 0);
  t[30] = t[31] = symbol_entry(0, 0, kBadSymbol);
  return t;
}
constexpr auto kLitLenSymbols = make_litlen_symbols();
constexpr auto kDistSymbols = make_dist_symbols();

constexpr unsigned entry_code_bits(std::uint32_t e) { return (e >> 8) & 15u; }
constexpr unsigned entry_bits(std::uint32_t e) { return e & 0xffu; }
constexpr std::uint32_t entry_value(std::uint32_t e) { return (e >> 16) & 0x7fffu; }
// Base plus extra bits, taken from `buf` (the bits at the code's start).
inline std::uint32_t entry_decode(std::uint32_t e, std::uint64_t buf) {
  const std::uint64_t mask = (std::uint64_t{1} << entry_bits(e)) - 1;
  return entry_value(e) + static_cast<std::uint32_t>((buf & mask) >> entry_code_bits(e));
}

// Canonical Huffman decoding table: a 2^kBits direct table of entries for short codes, and
// canonical bit-by-bit decoding (puff.c style) for longer codes and missing patterns.
template <unsigned kBits, std::size_t kSymbols>
class DecodeTable {
 public:
  // Lengths must have passed detail::valid_code_lengths (or be a fixed code).
  void build(const std::uint8_t* lengths, unsigned n,
             const std::array<std::uint32_t, kSymbols>& symbols) noexcept {
    symbols_ = &symbols;
    count_.fill(0);
    for (unsigned i = 0; i < n; ++i) ++count_[lengths[i]];
    count_[0] = 0;
    std::array<std::uint16_t, detail::kMaxCodeBits + 2> offset{};
    for (unsigned len = 1; len <= detail::kMaxCodeBits; ++len)
      offset[len + 1] = static_cast<std::uint16_t>(offset[len] + count_[len]);
    for (unsigned i = 0; i < n; ++i) {
      if (lengths[i] != 0) sorted_[offset[lengths[i]]++] = static_cast<std::uint16_t>(i);
    }
    fast_.fill(kSlow);
    std::uint32_t code = 0;
    unsigned index = 0;
    for (unsigned len = 1; len <= kBits; ++len) {
      for (unsigned k = 0; k < count_[len]; ++k, ++code, ++index) {
        const std::uint32_t entry = symbols[sorted_[index]] + (len << 8) + len;
        for (std::uint32_t i = reverse(code, len); i < fast_.size(); i += 1u << len)
          fast_[i] = entry;
      }
      code <<= 1;
    }
  }

  std::uint32_t lookup(std::uint64_t buf) const noexcept {
    return fast_[buf & ((std::uint64_t{1} << kBits) - 1)];
  }

  // For a kSlow lookup: the entry of the code at the start of `buf`, or kNoCode.
  std::uint32_t slow(std::uint64_t buf) const noexcept {
    int code = 0;
    int first = 0;
    int index = 0;
    for (unsigned len = 1; len <= detail::kMaxCodeBits; ++len) {
      code |= static_cast<int>((buf >> (len - 1)) & 1u);
      const int cnt = count_[len];
      if (code - first < cnt) {
        const std::uint16_t sym = sorted_[static_cast<std::size_t>(index + code - first)];
        return (*symbols_)[sym] + (len << 8) + len;
      }
      index += cnt;
      first = (first + cnt) << 1;
      code <<= 1;
    }
    return kNoCode;
  }

 private:
  static std::uint32_t reverse(std::uint32_t code, unsigned len) noexcept {
    std::uint32_t r = 0;
    for (unsigned i = 0; i < len; ++i) r |= ((code >> i) & 1u) << (len - 1 - i);
    return r;
  }

  // Not value-initialised: build() writes every entry, and a dynamic block's tables live on
  // the caller's stack for each call.
  std::array<std::uint32_t, std::size_t{1} << kBits> fast_;
  std::array<std::uint16_t, detail::kMaxCodeBits + 1> count_;
  std::array<std::uint16_t, kSymbols> sorted_;
  const std::array<std::uint32_t, kSymbols>* symbols_ = nullptr;
};

// 11 bits for literal/length (three literals fit one 56-bit refill), 9 for distances: one
// sweep of BM_MarkerInflateBlockwise (3 repetitions, noisy) gave 359 MB/s for 11/9, 348 for
// 10/8, 281 for 12/9 and 271 for 11/10 (bigger tables cost more to fill per block).
using LitLenTable = DecodeTable<11, 288>;
using DistTable = DecodeTable<9, 32>;

struct FixedTables {
  LitLenTable lit;
  DistTable dist;
  FixedTables() {
    std::array<std::uint8_t, 288> l{};
    std::fill(l.begin(), l.begin() + 144, std::uint8_t{8});
    std::fill(l.begin() + 144, l.begin() + 256, std::uint8_t{9});
    std::fill(l.begin() + 256, l.begin() + 280, std::uint8_t{7});
    std::fill(l.begin() + 280, l.end(), std::uint8_t{8});
    lit.build(l.data(), 288, kLitLenSymbols);
    // 32 codes of 5 bits make the code complete; symbols 30 and 31 are rejected on use.
    std::array<std::uint8_t, 32> d{};
    d.fill(5);
    dist.build(d.data(), 32, kDistSymbols);
  }
};

const FixedTables& fixed_tables() {
  static const FixedTables tables;
  return tables;
}

// Output room kept free past the write position in the Huffman loop: one iteration writes at
// most 2 literals + a 258-symbol match, and match copies may run 7 symbols past their end.
constexpr std::size_t kSlack = 2 + kMaxMatch + 8;
// What a growth adds beyond the need: resize() value-initialises it, and when this grew to
// twice the size, a caller decoding one block per call into a long history (scan_gzip_chunk)
// zeroed megabytes per block (measured: 28 MB/s instead of 140). The capacity still grows
// geometrically (std::vector), so appends stay amortised O(1). 16 Ki rather than 64 Ki: the
// caller's one-block calls each zero what the last growth overshoots; medians of 3 A/B runs
// of BM_MarkerInflateBlockwise were 270 -> 291 MB/s (noisy shared machine).
constexpr std::size_t kGrowth = std::size_t{16} << 10;

// Copies a match of `len` symbols from `d` back, d <= symbols before dst. Writes up to 7
// symbols past dst + len (kSlack covers them); later output overwrites them.
inline void copy_match(std::uint16_t* dst, std::size_t d, unsigned len) noexcept {
  const std::uint16_t* src = dst - d;
  std::uint16_t* const end = dst + len;
  if (d >= 8) {
    // 8 symbols per 16-byte move: source and destination of one move never overlap, and a
    // move reads only symbols earlier moves already wrote.
    do {
      std::memcpy(dst, src, 16);
      dst += 8;
      src += 8;
    } while (dst < end);
  } else if (d == 1) {
    const std::uint64_t v = std::uint64_t{*src} * 0x0001'0001'0001'0001u;
    do {
      std::memcpy(dst, &v, 8);
      std::memcpy(dst + 4, &v, 8);
      dst += 8;
    } while (dst < end);
  } else {
    // Overlapping (d < len): element by element repeats the pattern, as deflate means.
    for (; dst < end; ++dst, ++src) *dst = *src;
  }
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

  BlockEnd huffman_block(const LitLenTable& lit, const DistTable& dist) {
    // The reader is copied into a local so its state lives in registers in the hot loop.
    BitReader br = br_;
    // Fast loop while 16 bytes of input remain: two unchecked refills (<= 7 bytes each) per
    // iteration cannot pass the end, so it needs no overrun checks. The checked loop finishes.
    BlockEnd end = run<true>(br, lit, dist);
    if (end == BlockEnd::kNeedInput) end = run<false>(br, lit, dist);
    br_ = br;
    return end;
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

  BlockEnd fail(const char* what) { return fail(br_, what); }

 private:
  BlockEnd fail(const BitReader& br, const char* what) {
    if (br.overrun()) return BlockEnd::kNeedInput;
    error_ = what;
    error_bit_ = br.position();
    return BlockEnd::kInvalid;
  }

  // Decodes Huffman symbols until end of block. kFast: returns kNeedInput (having decoded
  // whole symbols only) once fewer than 16 input bytes are left to load, for the checked loop
  // to continue from there; otherwise it checks for reading past the end like any caller of
  // BitReader must. Both decode the same symbols with the same error positions.
  template <bool kFast>
  BlockEnd run(BitReader& br, const LitLenTable& lit, const DistTable& dist) {
    const std::uint64_t limit = br.size_bits();
    std::size_t n = n_;
    std::uint16_t* o = out_.data();
    std::size_t room = out_.size() >= kSlack ? out_.size() - kSlack : 0;
    BlockEnd end = BlockEnd::kOk;
    for (;;) {
      if (n >= room) {
        out_.resize(n + kSlack + kGrowth);
        o = out_.data();
        room = out_.size() - kSlack;
      }
      if constexpr (kFast) {
        if (!br.has_bytes(16)) {
          end = BlockEnd::kNeedInput;
          break;
        }
        br.refill_unchecked();
      } else {
        br.refill();
        // Past the end the reader yields zeros; nothing decoded from them may count.
        if (br.position() > limit) {
          end = BlockEnd::kNeedInput;
          break;
        }
      }
      std::uint32_t e = lit.lookup(br.buffer());
      if (e & kLiteral) {
        // Up to three literals per refill: table codes are <= 11 bits, 3 x 11 < 56.
        br.drop(entry_bits(e));
        o[n++] = static_cast<std::uint16_t>(entry_value(e));
        e = lit.lookup(br.buffer());
        if (e & kLiteral) {
          br.drop(entry_bits(e));
          o[n++] = static_cast<std::uint16_t>(entry_value(e));
          e = lit.lookup(br.buffer());
          if (e & kLiteral) {
            br.drop(entry_bits(e));
            o[n++] = static_cast<std::uint16_t>(entry_value(e));
            continue;
          }
        }
        // A length + extra + distance + extra needs up to 48 bits; 22 may be gone.
        if constexpr (kFast) {
          br.refill_unchecked();
        } else {
          br.refill();
        }
      }
      if (e & kSpecial) {
        if (e & kSlow) {
          e = lit.slow(br.buffer());
          if (e == kNoCode) {
            end = fail(br, "invalid literal/length code");
            break;
          }
          if (e & kLiteral) {
            br.drop(entry_bits(e));
            o[n++] = static_cast<std::uint16_t>(entry_value(e));
            continue;
          }
        }
        if (e & kEndBlock) {
          br.drop(entry_bits(e));
          if (!kFast && br.overrun()) end = BlockEnd::kNeedInput;
          break;
        }
        if (e & kBadSymbol) {
          br.drop(entry_bits(e));
          end = fail(br, "invalid literal/length symbol");
          break;
        }
      }
      const unsigned len = entry_decode(e, br.buffer());
      br.drop(entry_bits(e));
      std::uint32_t de = dist.lookup(br.buffer());
      if (de & kSpecial) {
        if (de & kSlow) de = dist.slow(br.buffer());
        if (de == kNoCode) {
          end = fail(br, "invalid distance code");
          break;
        }
        if (de & kBadSymbol) {
          br.drop(entry_bits(de));
          end = fail(br, "invalid distance code");
          break;
        }
      }
      const std::size_t d = entry_decode(de, br.buffer());
      br.drop(entry_bits(de));
      if (!kFast && br.overrun()) {
        end = BlockEnd::kNeedInput;
        break;
      }
      if (d <= n) [[likely]] {
        copy_match(o + n, d, len);
      } else {
        if (!window_unknown_ || d > n + kWindowSize) {
          end = fail(br, "distance too far back");
          break;
        }
        // Positions before out[0] are window bytes we do not know yet: emit markers.
        const auto back = static_cast<std::int64_t>(n) - static_cast<std::int64_t>(d);
        for (unsigned k = 0; k < len; ++k) {
          const std::int64_t src = back + k;
          o[n + k] = src < 0 ? static_cast<std::uint16_t>(
                                   kMarkerBit | static_cast<std::uint16_t>(src + kWindowSize))
                             : o[src];
        }
      }
      n += len;
    }
    n_ = n;
    return end;
  }

  void reserve(std::size_t k) {
    if (n_ + k > out_.size()) out_.resize(n_ + k + kGrowth);
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
  LitLenTable lit;
  DistTable dist;
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
        lit.build(header.lengths.data(), header.nlit, kLitLenSymbols);
        dist.build(header.lengths.data() + header.nlit, header.ndist, kDistSymbols);
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
