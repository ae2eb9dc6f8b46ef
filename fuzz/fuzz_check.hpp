// Shared by the fuzz targets: invariant checks that abort (so libFuzzer saves the input) and a
// small deterministic generator for deriving offsets and cuts from the input itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace dumpmill::fuzz {

[[noreturn]] inline void invariant_failed(const char* expr, const char* file, int line,
                                          unsigned long long a, unsigned long long b) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s (values %llu, %llu)\n", file, line, expr, a, b);
  std::abort();
}

// FUZZ_CHECK(cond, a, b): a and b are numbers printed with the failure to help reading it.
#define FUZZ_CHECK(cond, a, b)                                                \
  do {                                                                        \
    if (!(cond)) {                                                            \
      ::dumpmill::fuzz::invariant_failed(#cond, __FILE__, __LINE__,           \
                                         static_cast<unsigned long long>(a),  \
                                         static_cast<unsigned long long>(b)); \
    }                                                                         \
  } while (false)

// splitmix64 seeded by an FNV-1a hash of the input: the same input always picks the same
// offsets, so a saved crash input reproduces.
class InputRng {
 public:
  explicit InputRng(std::span<const std::uint8_t> data) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const std::uint8_t b : data) h = (h ^ b) * 0x100000001b3ull;
    state_ = h;
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform-ish in [0, n); 0 when n == 0.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace dumpmill::fuzz
