// libFuzzer target: find_deflate_block over every bit offset of arbitrary bytes, and the marker
// decoder from every candidate it reports. Checks: no crash/UB/hang, candidates lie in the
// searched range, a range search agrees with single-position searches (the skip table never
// jumps over a valid position), and the decoder agrees with the finder about each candidate.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "dumpmill/codec/deflate_block_finder.hpp"
#include "dumpmill/codec/marker_inflate.hpp"
#include "fuzz_check.hpp"

namespace {

using dumpmill::codec::find_deflate_block;
using dumpmill::codec::kMarkerBit;
using dumpmill::codec::marker_inflate;
using dumpmill::codec::MarkerInflateOptions;
using dumpmill::codec::MarkerInflateStatus;

// Inputs beyond this are cut (libFuzzer's -max_len says the same): 32 Ki bit positions.
constexpr std::size_t kMaxInput = 4096;
// Per candidate: enough to decode a few blocks, bounded so a crafted high-ratio block costs
// little (limits are checked between blocks, so one block may still run to ~130 symbols/bit).
constexpr std::size_t kSymbolBudget = std::size_t{1} << 16;
constexpr std::uint64_t kBlockBudget = 8;

// Header-only reasons from read_dynamic_header: a candidate the finder accepted as a dynamic
// header must never fail with one of them (both run the same header checks).
bool is_header_error(const char* e) {
  for (const char* h : {"too many length or distance codes", "invalid code-length code",
                        "repeat of a code length with no previous length",
                        "code-length repeat runs past the last code", "no end-of-block code"}) {
    if (std::strcmp(e, h) == 0) return true;
  }
  return false;
}

void check_decode_from(std::span<const std::uint8_t> bytes, std::uint64_t bit,
                       std::vector<std::uint16_t>& out) {
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;
  // Only non-final stored (000) and non-final dynamic (BFINAL 0, BTYPE 2: 100) are reported.
  std::uint8_t header = 0;
  for (unsigned i = 0; i < 3; ++i) {
    const std::uint64_t b = bit + i;
    header |= static_cast<std::uint8_t>(((bytes[b / 8] >> (b % 8)) & 1u) << i);
  }
  FUZZ_CHECK(header == 0 || header == 4, bit, header);

  out.clear();
  MarkerInflateOptions opts;
  opts.stop_after_symbols = kSymbolBudget;
  opts.max_blocks = kBlockBudget;
  const auto r = marker_inflate(bytes, bit, out, opts);
  FUZZ_CHECK(r.end_bit <= size_bits, r.end_bit, size_bits);
  // The finder reports stored blocks at their canonical start, the decoder names the start
  // boundary the same way: with no block decoded, end_bit is the candidate itself.
  FUZZ_CHECK(r.blocks > 0 || r.end_bit == bit, r.end_bit, bit);
  FUZZ_CHECK(r.blocks == 0 || r.end_bit > bit, r.end_bit, bit);
  FUZZ_CHECK(r.blocks <= kBlockBudget, r.blocks, kBlockBudget);
  if (r.blocks == 0) FUZZ_CHECK(out.empty(), out.size(), 0);
  if (r.status == MarkerInflateStatus::kInvalid) {
    FUZZ_CHECK(r.error != nullptr, bit, 0);
    FUZZ_CHECK(r.error_bit >= bit && r.error_bit <= size_bits, r.error_bit, size_bits);
    // A stored block whose LEN/~NLEN matched cannot be invalid; a dynamic header the finder
    // validated cannot fail on its header.
    if (r.blocks == 0) {
      FUZZ_CHECK(header != 0, bit, r.error_bit);
      FUZZ_CHECK(!is_header_error(r.error), bit, r.error_bit);
    }
  }
  for (const std::uint16_t s : out) {
    FUZZ_CHECK((s & kMarkerBit) != 0 || s < 256, s, bit);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size < kMaxInput ? size : kMaxInput);
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;
  static std::vector<std::uint16_t> out;
  std::vector<std::uint64_t> candidates;

  // Every candidate, in order; between two of them no single position may be a candidate.
  // Checking every gap position costs ~25 ms per input under the coverage instrumentation, so
  // each gap is checked in full for the 64 bits before the next candidate (where a wrong skip
  // would hide it) and at 32 random positions further back.
  dumpmill::fuzz::InputRng rng(bytes);
  const auto check_gap = [&](std::uint64_t gap_from, std::uint64_t gap_to) {
    const std::uint64_t dense = gap_to - gap_from > 64 ? gap_to - 64 : gap_from;
    for (std::uint64_t b = dense; b < gap_to; ++b) {
      FUZZ_CHECK(!find_deflate_block(bytes, b, b + 1).has_value(), b, gap_to);
    }
    for (int i = 0; i < 32 && dense > gap_from; ++i) {
      const std::uint64_t b = gap_from + rng.below(dense - gap_from);
      FUZZ_CHECK(!find_deflate_block(bytes, b, b + 1).has_value(), b, gap_to);
    }
  };
  std::uint64_t from = 0;
  while (const auto c = find_deflate_block(bytes, from, size_bits)) {
    FUZZ_CHECK(*c >= from && *c < size_bits, *c, from);
    check_gap(from, *c);
    const auto again = find_deflate_block(bytes, *c, *c + 1);
    FUZZ_CHECK(again.has_value() && *again == *c, again.value_or(0), *c);
    candidates.push_back(*c);
    check_decode_from(bytes, *c, out);
    from = *c + 1;
  }
  check_gap(from, size_bits);

  // Any sub-range [first, last) finds the first candidate of the full scan inside it.
  for (int i = 0; i < 8; ++i) {
    const std::uint64_t first = rng.below(size_bits + 16);
    const std::uint64_t last = first + rng.below(size_bits + 16);
    std::optional<std::uint64_t> expect;
    for (const std::uint64_t c : candidates) {
      if (c >= first) {
        if (c < last) expect = c;
        break;
      }
    }
    const auto got = find_deflate_block(bytes, first, last);
    FUZZ_CHECK(got == expect, got.value_or(~0ull), expect.value_or(~0ull));
  }
  return 0;
}
