// UTF-8 validation against an independent decode-and-check reference, exhaustively to 3 bytes.
#include "dumpmill/parse/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace dumpmill::parse {
namespace {

// Reference: decode the code point arithmetically, then apply the definition (shortest
// form, no surrogates, at most U+10FFFF). Structured differently from the byte-range table.
std::size_t reference_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len;
  std::uint32_t cp;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool reference_valid(std::string_view s) {
  while (!s.empty()) {
    const std::size_t len = reference_length(s);
    if (len == 0) return false;
    s.remove_prefix(len);
  }
  return true;
}

TEST(Utf8, ExhaustiveUpToThreeBytes) {
  std::string s(3, '\0');
  std::size_t mismatches = 0;
  for (std::uint32_t v = 0; v < (1u << 24); ++v) {
    s[0] = static_cast<char>(v >> 16);
    s[1] = static_cast<char>(v >> 8);
    s[2] = static_cast<char>(v);
    for (std::size_t n = 1; n <= 3; ++n) {
      if (n < 3 && (v & ((1u << (8 * (3 - n))) - 1)) != 0) continue;  // shorter: once each
      const std::string_view sv(s.data(), n);
      if (utf8_sequence_length(sv) != reference_length(sv)) ++mismatches;
      if (is_valid_utf8(sv) != reference_valid(sv)) ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Utf8, AllFourByteLeadsAndSecondBytes) {
  std::string s(4, '\x80');
  for (unsigned b0 = 0xF0; b0 <= 0xFF; ++b0) {
    for (unsigned b1 = 0; b1 <= 0xFF; ++b1) {
      for (const unsigned tail : {0x80u, 0xBFu, 0x41u, 0xC0u}) {
        s[0] = static_cast<char>(b0);
        s[1] = static_cast<char>(b1);
        s[2] = static_cast<char>(0x80);
        s[3] = static_cast<char>(tail);
        ASSERT_EQ(utf8_sequence_length(s), reference_length(s)) << b0 << " " << b1 << " " << tail;
        ASSERT_EQ(utf8_sequence_length(s.substr(0, 3)), 0u);  // cut short
      }
    }
  }
}

TEST(Utf8, KnownCases) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("Main_Page"));
  EXPECT_TRUE(is_valid_utf8("Z\xC3\xBCrich"));             // Zürich
  EXPECT_TRUE(is_valid_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));  // 日本
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));          // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));                 // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));                 // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));             // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));             // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));             // surrogate U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));         // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));      // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xE2\x82z"));        // truncated mid-string
  EXPECT_FALSE(is_valid_utf8("\x80"));             // stray continuation
  EXPECT_FALSE(is_valid_utf8("Latin-1 caf\xE9"));  // ISO-8859-1 é
}

TEST(Utf8, RandomStringsAgreeWithReference) {
  // Mostly ASCII with some multibyte and some garbage, at every alignment of the 8-byte path.
  std::mt19937 rng(7);
  const std::string pieces[] = {
      "a",    "abcdefgh", "\xC3\xA9",     "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
      "\x80", "\xC3",     "\xED\xA0\x80", "\xFF",         "\xE2\x82"};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> count(0, 12);
  std::size_t valid = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    const int n = count(rng);
    for (int k = 0; k < n; ++k) {
      const std::size_t p = pick(rng);
      // Keep garbage rarer than good pieces so both outcomes occur often.
      s += (p >= 5 && rng() % 4 != 0) ? pieces[1] : pieces[p];
    }
    ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << ::testing::PrintToString(s);
    valid += reference_valid(s) ? 1 : 0;
  }
  EXPECT_GT(valid, 1000u);
  EXPECT_LT(valid, 19000u);
}

}  // namespace
}  // namespace dumpmill::parse
