// Strict UTF-8 validation. Hand-written rather than simdjson::validate_utf8 because
// titles average ~20 bytes, where a call through a runtime-dispatched SIMD kernel costs
// more than the 8-byte ASCII check below, and it keeps the parse stage dependency-free.
#include "dumpmill/parse/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace dumpmill::parse {

std::size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return 1;
  auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  // Table 3-7 of the Unicode Standard: the allowed range of the second byte depends on the
  // first; all later bytes are 80..BF.
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 1 + 1 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (n < 2) return 0;
    const unsigned char b1 = p[1];
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF are surrogates
    if (b1 < lo || b1 > hi) return 0;
    return cont(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (n < 2) return 0;
    const unsigned char b1 = p[1];
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4 90.. is above U+10FFFF
    if (b1 < lo || b1 > hi) return 0;
    return cont(2) && cont(3) ? 4 : 0;
  }
  return 0;  // 80..BF (stray continuation), C0/C1 (overlong), F5..FF (out of range)
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII fast path: eight bytes with no high bit set are eight valid sequences.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace dumpmill::parse
