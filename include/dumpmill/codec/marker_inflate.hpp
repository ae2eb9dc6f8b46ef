// Deflate decoding from a block boundary in the middle of a stream, whose 32 KiB window is unknown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace dumpmill::codec {

// A decoded symbol is a byte (0..255) or a marker: kMarkerBit | i, standing for byte i of
// the unknown 32 KiB window (i = 0 is the oldest byte, 32767 the byte just before the start).
inline constexpr std::uint16_t kMarkerBit = 0x8000;
inline constexpr std::size_t kWindowSize = std::size_t{32} * 1024;

struct MarkerInflateOptions {
  // Stop at the first block boundary whose bit offset is >= this (offsets relative to
  // bytes[0]). Checked at every boundary, the start included.
  std::uint64_t stop_after_bit = std::numeric_limits<std::uint64_t>::max();
  // ... or once this many symbols were appended by this call (checked at boundaries).
  std::size_t stop_after_symbols = std::numeric_limits<std::size_t>::max();
  // ... or after this many complete blocks in this call.
  std::uint64_t max_blocks = std::numeric_limits<std::uint64_t>::max();
  // true: distances reaching before out[0] reach into an unknown 32 KiB window and become
  // markers. false: the stream starts here (gzip member start) and such distances are errors.
  bool window_unknown = true;
};

enum class MarkerInflateStatus : std::uint8_t {
  kBoundary,    // stopped at a block boundary because of a limit; end_bit = that boundary
  kFinalBlock,  // decoded the final block; end_bit = first bit after it (not byte-aligned)
  kNeedInput,   // `bytes` ended inside a block; end_bit = the last complete block boundary
  kInvalid,     // corrupt data (or a false block start); error/error_bit say what and where
};

struct MarkerInflateResult {
  MarkerInflateStatus status = MarkerInflateStatus::kInvalid;
  std::uint64_t end_bit = 0;    // relative to bytes[0]
  std::uint64_t blocks = 0;     // complete blocks decoded by this call
  const char* error = nullptr;  // static text, set for kInvalid
  std::uint64_t error_bit = 0;  // where the fault was seen, for kInvalid
};

// Decodes raw deflate blocks from bit `start_bit` of `bytes` (which must be a block boundary
// for the result to mean anything) and appends 16-bit symbols to `out`. Symbols already in
// `out` are the history back-references reach into first (pass the previous call's output to
// resume at its end_bit after fetching more input); beyond it lies the unknown window.
//
// A boundary in front of a stored block is reported at its canonical start (see
// find_deflate_block), so end_bit can be fed to the next caller's decoder unchanged.
// With kNeedInput or kInvalid, `out` is cut back to the last complete block boundary, so a
// partial block never leaks out. Never reads outside `bytes`, never throws, any input is safe.
// Memory: `out` grows by whole blocks (2 bytes per decoded byte); limits are checked only
// between blocks, so a stop overshoots by at most one block.
MarkerInflateResult marker_inflate(std::span<const std::uint8_t> bytes, std::uint64_t start_bit,
                                   std::vector<std::uint16_t>& out,
                                   const MarkerInflateOptions& options = {});

// Replaces every marker in `symbols` by its byte of `window_32k` (the last <= 32 KiB decoded
// before the chunk; a shorter window is the stream's whole output so far and lines up with
// the end of the unknown window) and appends all symbols, as bytes, to `out`. Throws
// dumpmill::Error when a marker points before the start of a short window (the stream
// references bytes that do not exist: corrupt data).
void resolve_markers(std::span<std::uint16_t> symbols, std::span<const std::uint8_t> window_32k,
                     std::vector<std::uint8_t>& out);

// True when any symbol is a marker.
bool has_markers(std::span<const std::uint16_t> symbols) noexcept;

}  // namespace dumpmill::codec
