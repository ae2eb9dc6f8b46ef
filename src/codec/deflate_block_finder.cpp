// Deflate block finder: a lookup-table prefilter, then full header validation of what survives.
#include "dumpmill/codec/deflate_block_finder.hpp"

#include <algorithm>
#include <array>

#include "deflate_bits.hpp"

namespace dumpmill::codec {
namespace {

using detail::bits_at;

constexpr unsigned kLutBits = 13;  // BFINAL(1) + BTYPE(2) + HLIT(5) + HDIST(5)

// Could a dynamic, non-final header start at a position whose first `known` bits are `v`?
// Only fields whose bits are all known are checked, so the answer never wrongly says no.
constexpr bool plausible_prefix(std::uint32_t v, unsigned known) {
  if (known >= 1 && (v & 1u) != 0) return false;           // BFINAL must be 0
  if (known >= 3 && ((v >> 1) & 3u) != 2u) return false;   // BTYPE must be 2 (bits 0,1)
  if (known == 2 && ((v >> 1) & 1u) != 0) return false;    // BTYPE's low bit must be 0
  if (known >= 8 && ((v >> 3) & 31u) > 29) return false;   // HLIT: at most 286 codes
  if (known >= 13 && ((v >> 8) & 31u) > 29) return false;  // HDIST: at most 30 codes
  return true;
}

// kSkip[v]: how far to move from a position whose next 13 bits are v to the next position
// that may be a dynamic header (0 = this one may be). Shifting by s leaves 13 - s known bits.
constexpr std::array<std::uint8_t, 1u << kLutBits> make_skip_table() {
  std::array<std::uint8_t, 1u << kLutBits> t{};
  for (std::uint32_t v = 0; v < t.size(); ++v) {
    unsigned s = 0;
    while (s < kLutBits && !plausible_prefix(v >> s, kLutBits - s)) ++s;
    t[v] = static_cast<std::uint8_t>(s);
  }
  return t;
}
constexpr auto kSkip = make_skip_table();

// The code-length code of a header at `bit` is complete (zlib rejects anything else): 4 + 57
// bits in two loads, a cheap filter before reading the code lengths themselves.
bool precode_complete(std::span<const std::uint8_t> bytes, std::uint64_t bit) {
  const std::uint64_t w = bits_at(bytes, bit + kLutBits);
  const unsigned nclen = static_cast<unsigned>(w & 15u) + 4;
  const std::uint64_t fields = bits_at(bytes, bit + kLutBits + 4);
  std::array<int, 8> count{};
  for (unsigned i = 0; i < nclen; ++i) ++count[(fields >> (3 * i)) & 7u];
  int left = 1;
  for (unsigned len = 1; len < 8; ++len) {
    left = 2 * left - count[len];
    if (left < 0) return false;
  }
  return left == 0;
}

bool dynamic_header_valid(std::span<const std::uint8_t> bytes, std::uint64_t bit) {
  detail::BitReader br(bytes, bit + 3);
  detail::DynamicHeader h;
  return detail::read_dynamic_header(br, h) == nullptr && !br.overrun();
}

std::optional<std::uint64_t> find_dynamic(std::span<const std::uint8_t> bytes,
                                          std::uint64_t first_bit, std::uint64_t last_bit) {
  // Positions whose 13 header bits are not all inside `bytes` cannot hold a whole header.
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;
  if (size_bits < kLutBits) return std::nullopt;
  last_bit = std::min(last_bit, size_bits - kLutBits + 1);
  for (std::uint64_t b = first_bit; b < last_bit;) {
    const auto v = static_cast<std::uint32_t>(bits_at(bytes, b) & ((1u << kLutBits) - 1));
    const unsigned skip = kSkip[v];
    if (skip != 0) {
      b += skip;
      continue;
    }
    if (precode_complete(bytes, b) && dynamic_header_valid(bytes, b)) return b;
    ++b;
  }
  return std::nullopt;
}

std::uint32_t load_le16(std::span<const std::uint8_t> bytes, std::uint64_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | static_cast<std::uint32_t>(bytes[at + 1]) << 8;
}

std::optional<std::uint64_t> find_stored(std::span<const std::uint8_t> bytes,
                                         std::uint64_t first_bit, std::uint64_t last_bit) {
  // A header at b puts LEN at byte p = ceil((b + 3) / 8), so b is in [8p - 10, 8p - 3].
  if (first_bit >= std::uint64_t{bytes.size()} * 8) return std::nullopt;
  for (std::uint64_t p = (first_bit + 3 + 7) / 8;
       p + 4 <= bytes.size() && (p * 8 <= 10 || p * 8 - 10 < last_bit); ++p) {
    if ((load_le16(bytes, p) ^ load_le16(bytes, p + 2)) != 0xffffu) continue;
    const auto start = detail::canonical_stored_start(bytes, p);
    if (start && *start >= first_bit && *start < last_bit) return start;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> find_deflate_block(std::span<const std::uint8_t> bytes,
                                                std::uint64_t first_bit, std::uint64_t last_bit) {
  // The stored scan is a cheap byte loop; the dynamic scan then only runs up to its result.
  const auto stored = find_stored(bytes, first_bit, last_bit);
  const auto dynamic = find_dynamic(bytes, first_bit, stored ? *stored : last_bit);
  return dynamic ? dynamic : stored;
}

}  // namespace dumpmill::codec
