// Deterministic column data for the deflate filter tests: compressible titles, random bytes.
#pragma once

#include <cstdint>
#include <string>

namespace dumpmill::test {

// SplitMix64: a fixed, portable stream of 64-bit values (std:: distributions are not portable).
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Clickstream-like title of global row g: repetitive enough that deflate shrinks it ~2x.
inline std::string title_at(std::uint64_t g) {
  static const char* const kWords[] = {
      "Main",   "Page",   "List", "of",    "United",  "States",   "film", "River",
      "County", "Battle", "the",  "Album", "Station", "Football", "Club", "History"};
  std::string t;
  std::uint64_t h = mix64(g);
  const int words = 1 + static_cast<int>(h % 4);
  for (int i = 0; i < words; ++i) {
    if (i > 0) t += '_';
    h = mix64(h);
    t += kWords[h % 16];
  }
  if (g % 7 == 0) t += "_(" + std::to_string(1900 + g % 125) + ")";
  return t;
}

// Incompressible bytes of global row g (all 256 byte values, NUL included): 0-63 bytes.
inline std::string noise_at(std::uint64_t g) {
  std::string s(static_cast<std::size_t>(mix64(g ^ 0xABCDEF) % 64), '\0');
  std::uint64_t h = g;
  for (char& c : s) {
    h = mix64(h);
    c = static_cast<char>(h & 0xFF);
  }
  return s;
}

// A heavy-tailed count (shuffled then deflated by the writer).
inline std::uint64_t count_at(std::uint64_t g) { return 11 + (mix64(g) >> (mix64(g) % 60)); }

}  // namespace dumpmill::test
