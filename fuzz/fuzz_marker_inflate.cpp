// libFuzzer target: marker_inflate from several start bits of arbitrary bytes, checked against
// zlib (a true oracle for streams decoded from their start), against itself (decoding in one
// call == block by block == across an input split; a stop_after_bit stops at the right
// boundary) and resolve_markers against its definition.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dumpmill/codec/marker_inflate.hpp"
#include "dumpmill/core/error.hpp"
#include "fuzz_check.hpp"

namespace {

using dumpmill::codec::kMarkerBit;
using dumpmill::codec::kWindowSize;
using dumpmill::codec::marker_inflate;
using dumpmill::codec::MarkerInflateOptions;
using dumpmill::codec::MarkerInflateResult;
using dumpmill::codec::MarkerInflateStatus;
using Symbols = std::vector<std::uint16_t>;

// Output is bounded by the input: deflate's densest code is 258 bytes per 2 bits (a 1-bit
// literal/length code for length 258 and a 1-bit distance code), so 4 KiB of input decodes to
// at most ~4.2 M symbols (8.4 MB) and an execution stays in the milliseconds.
constexpr std::size_t kMaxInput = 4096;
constexpr std::size_t kMaxSymbolsPerBit = 129;
constexpr std::size_t kMaxSteps = 64;

// The bit where a gzip member's deflate stream starts when `b` starts with a gzip header
// (RFC 1952), else nullopt. Lets the gzip seed corpus reach real block structure at once.
std::optional<std::uint64_t> gzip_deflate_start(std::span<const std::uint8_t> b) {
  if (b.size() < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8) return std::nullopt;
  const std::uint8_t flags = b[3];
  std::size_t at = 10;
  if (flags & 4) {
    if (at + 2 > b.size()) return std::nullopt;
    at += 2 + (b[at] | std::size_t{b[at + 1]} << 8);
  }
  for (const std::uint8_t zero_terminated : {std::uint8_t{8}, std::uint8_t{16}}) {
    if (flags & zero_terminated) {
      while (at < b.size() && b[at] != 0) ++at;
      ++at;
    }
  }
  if (flags & 2) at += 2;
  if (at > b.size()) return std::nullopt;
  return std::uint64_t{at} * 8;
}

bool same_result(const MarkerInflateResult& a, const MarkerInflateResult& b) {
  return a.status == b.status && a.end_bit == b.end_bit && a.blocks == b.blocks &&
         (a.status != MarkerInflateStatus::kInvalid || a.error_bit == b.error_bit);
}

// Known-start decoding against zlib's raw inflate from the same (byte-aligned) start.
void check_against_zlib(std::span<const std::uint8_t> bytes, std::uint64_t start_byte) {
  const std::span<const std::uint8_t> in = bytes.subspan(start_byte);
  Symbols symbols;
  MarkerInflateOptions opts;
  opts.window_unknown = false;
  const auto r = marker_inflate(in, 0, symbols, opts);

  static std::vector<std::uint8_t> zout;
  zout.resize(in.size() * 8 * kMaxSymbolsPerBit + 1024);
  z_stream zs{};
  FUZZ_CHECK(inflateInit2(&zs, -15) == Z_OK, 0, 0);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = zout.data();
  zs.avail_out = static_cast<uInt>(zout.size());
  const int z = inflate(&zs, Z_FINISH);
  const std::size_t zn = zs.total_out;
  const std::size_t zin = zs.total_in;
  inflateEnd(&zs);
  FUZZ_CHECK(zs.avail_out > 0, zn, 0);  // the bound above holds: zlib never ran out of room

  if (z == Z_STREAM_END) {
    FUZZ_CHECK(r.status == MarkerInflateStatus::kFinalBlock, static_cast<int>(r.status), zn);
    FUZZ_CHECK(symbols.size() == zn, symbols.size(), zn);
    for (std::size_t i = 0; i < zn; ++i) FUZZ_CHECK(symbols[i] == zout[i], i, symbols[i]);
    FUZZ_CHECK((r.end_bit + 7) / 8 == zin, r.end_bit, zin);
  } else if (z == Z_DATA_ERROR) {
    FUZZ_CHECK(r.status == MarkerInflateStatus::kInvalid, static_cast<int>(r.status), zn);
  } else {
    // Z_BUF_ERROR: the input ended inside the stream.
    FUZZ_CHECK(z == Z_BUF_ERROR, z, 0);
    // One leniency of zlib: a code-length code with no codes at all passes its table builder
    // ("wait for decoding to report error"), every code length then decodes as 0 and the
    // block fails later on its missing end-of-block code. marker_inflate rejects it at once,
    // so with the input ending before that point zlib still asks for more.
    const bool empty_precode = r.status == MarkerInflateStatus::kInvalid &&
                               std::strcmp(r.error, "invalid code-length code") == 0 &&
                               zin == in.size();
    FUZZ_CHECK(r.status == MarkerInflateStatus::kNeedInput || empty_precode,
               static_cast<int>(r.status), zn);
    FUZZ_CHECK(symbols.size() <= zn, symbols.size(), zn);
    for (std::size_t i = 0; i < symbols.size(); ++i) FUZZ_CHECK(symbols[i] == zout[i], i, 0);
  }
}

// Self-consistency of the unknown-window decoder from `start`.
void check_from(std::span<const std::uint8_t> bytes, std::uint64_t start,
                dumpmill::fuzz::InputRng& rng) {
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;
  Symbols whole;
  const auto r = marker_inflate(bytes, start, whole);
  FUZZ_CHECK(r.end_bit <= std::max(size_bits, start), r.end_bit, size_bits);
  for (const std::uint16_t s : whole) FUZZ_CHECK((s & kMarkerBit) != 0 || s < 256, s, start);

  // Block by block, resuming at each reported boundary with the output so far as history.
  // At most kMaxSteps blocks: each call re-grows `out` from its size (O(size) per call).
  Symbols stepped;
  std::vector<std::uint64_t> boundaries;  // with the symbol count at each
  std::vector<std::size_t> sizes;
  MarkerInflateOptions one;
  one.max_blocks = 0;
  auto step = marker_inflate(bytes, start, stepped, one);
  one.max_blocks = 1;
  std::uint64_t blocks = 0;
  while (step.status == MarkerInflateStatus::kBoundary && boundaries.size() < kMaxSteps) {
    boundaries.push_back(step.end_bit);
    sizes.push_back(stepped.size());
    step = marker_inflate(bytes, step.end_bit, stepped, one);
    blocks += step.blocks;
  }
  for (std::size_t i = 1; i < boundaries.size(); ++i) {
    FUZZ_CHECK(boundaries[i] > boundaries[i - 1], boundaries[i], boundaries[i - 1]);
  }
  FUZZ_CHECK(stepped.size() <= whole.size(), stepped.size(), whole.size());
  FUZZ_CHECK(std::equal(stepped.begin(), stepped.end(), whole.begin()), stepped.size(), 0);
  const bool complete = step.status != MarkerInflateStatus::kBoundary;
  if (complete) {
    FUZZ_CHECK(stepped.size() == whole.size(), stepped.size(), whole.size());
    FUZZ_CHECK(blocks == r.blocks, blocks, r.blocks);
    FUZZ_CHECK(step.status == r.status && step.end_bit == r.end_bit, step.end_bit, r.end_bit);
    if (r.status == MarkerInflateStatus::kInvalid) {
      FUZZ_CHECK(step.error_bit == r.error_bit, step.error_bit, r.error_bit);
    }
  }

  // stop_after_bit stops at the first boundary at or after it.
  MarkerInflateOptions stop;
  stop.stop_after_bit = start + rng.below(size_bits + 64 - std::min(size_bits, start));
  Symbols stopped;
  const auto s = marker_inflate(bytes, start, stopped, stop);
  const auto first_after = std::find_if(boundaries.begin(), boundaries.end(),
                                        [&](std::uint64_t b) { return b >= stop.stop_after_bit; });
  if (first_after != boundaries.end()) {
    const auto k = static_cast<std::size_t>(first_after - boundaries.begin());
    FUZZ_CHECK(s.status == MarkerInflateStatus::kBoundary && s.end_bit == *first_after, s.end_bit,
               *first_after);
    FUZZ_CHECK(stopped.size() == sizes[k], stopped.size(), sizes[k]);
    FUZZ_CHECK(std::equal(stopped.begin(), stopped.end(), whole.begin()), k, 0);
  } else if (complete) {
    FUZZ_CHECK(same_result(s, r), s.end_bit, r.end_bit);
    FUZZ_CHECK(stopped == whole, stopped.size(), whole.size());
  }

  // The input split at a byte: decode the prefix, resume on the whole input where it stopped.
  if (start / 8 <= bytes.size()) {
    const std::size_t cut =
        static_cast<std::size_t>(start / 8 + rng.below(bytes.size() - start / 8 + 1));
    Symbols split;
    const auto a = marker_inflate(bytes.first(cut), start, split);
    FUZZ_CHECK(a.end_bit <= std::max<std::uint64_t>(std::uint64_t{cut} * 8, start), a.end_bit, cut);
    if (a.status == MarkerInflateStatus::kNeedInput) {
      const auto b = marker_inflate(bytes, a.end_bit, split);
      FUZZ_CHECK(a.blocks + b.blocks == r.blocks, a.blocks + b.blocks, r.blocks);
      FUZZ_CHECK(b.status == r.status && b.end_bit == r.end_bit, b.end_bit, r.end_bit);
    } else {
      FUZZ_CHECK(same_result(a, r), a.end_bit, r.end_bit);
    }
    FUZZ_CHECK(split == whole, split.size(), whole.size());
  }

  // resolve_markers: with a full window every marker i becomes window[i]; with a short one it
  // throws exactly when a marker reaches before the window, leaving `out` as it was.
  std::vector<std::uint8_t> window(kWindowSize);
  for (std::size_t i = 0; i < window.size(); ++i) window[i] = static_cast<std::uint8_t>(i * 31 + 7);
  Symbols symbols = whole;
  std::vector<std::uint8_t> out = {1, 2, 3};
  dumpmill::codec::resolve_markers(symbols, window, out);
  FUZZ_CHECK(out.size() == whole.size() + 3, out.size(), whole.size());
  std::size_t lowest_marker = kWindowSize;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const std::uint16_t w = whole[i];
    const std::uint8_t expect =
        (w & kMarkerBit) ? window[w & (kMarkerBit - 1)] : static_cast<std::uint8_t>(w);
    FUZZ_CHECK(out[i + 3] == expect && symbols[i] == expect, i, w);
    if (w & kMarkerBit) lowest_marker = std::min<std::size_t>(lowest_marker, w & (kMarkerBit - 1));
  }
  const auto have = static_cast<std::size_t>(rng.below(kWindowSize + 1));
  Symbols again = whole;
  std::vector<std::uint8_t> out2 = {9};
  bool threw = false;
  try {
    dumpmill::codec::resolve_markers(again, std::span<const std::uint8_t>(window).last(have), out2);
  } catch (const dumpmill::Error&) {
    threw = true;
  }
  FUZZ_CHECK(threw == (lowest_marker < kWindowSize - have), lowest_marker, have);
  if (threw) {
    FUZZ_CHECK(out2.size() == 1, out2.size(), 0);
  } else {
    FUZZ_CHECK(std::equal(out2.begin() + 1, out2.end(), out.begin() + 3), have, 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, std::min(size, kMaxInput));
  dumpmill::fuzz::InputRng rng(bytes);
  const std::uint64_t size_bits = std::uint64_t{bytes.size()} * 8;

  std::vector<std::uint64_t> starts = {0, 80, rng.below(size_bits + 1)};
  if (const auto g = gzip_deflate_start(bytes)) starts.push_back(*g);
  for (const std::uint64_t start : starts) {
    if (start > size_bits) continue;
    check_from(bytes, start, rng);
    if (start % 8 == 0) check_against_zlib(bytes, start / 8);
  }
  return 0;
}
