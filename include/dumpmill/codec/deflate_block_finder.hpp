// Finding where a deflate block may start inside a compressed stream, without decoding what
// precedes it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace dumpmill::codec {

// Returns the first bit offset b in [first_bit, last_bit) (offsets count from bytes[0], bit 0
// = least significant bit of bytes[0], as deflate packs bits) where a plausible NON-FINAL
// deflate block header starts, or nullopt. A candidate is only a candidate: confirm it by
// decoding from it (marker_inflate; find_chunk_start in chunk_decode.hpp does both).
//
// Accepted headers, checked cheapest first:
// - Dynamic Huffman (BFINAL=0, BTYPE=2): a 13-bit lookup table rejects a position, or skips up
//   to 13 positions at once, on BFINAL/BTYPE/HLIT <= 29/HDIST <= 29 alone (~90% of positions in
//   random data); then the code-length code must be complete; then the literal/length and
//   distance code lengths must decode with it (no repeat at the start, no run past the last
//   code), the end-of-block code must have a length, and both codes must be complete (or the
//   single-code / empty-distance cases zlib accepts).
// - Stored (BFINAL=0, BTYPE=0, LEN == ~NLEN after byte alignment). Its 3 header bits may sit
//   at any of the 8 positions before the byte holding LEN, so a stored block is reported at
//   its canonical start: the largest of those positions whose 3 bits are zero. marker_inflate
//   reports a boundary in front of a stored block the same way, so the two always agree.
//
// Not found, by design: fixed-Huffman blocks (BTYPE=1; every bit pattern is a plausible
// header, so they cannot be told from noise) and final blocks. The header (at most 563
// bytes: 74 bits + 316 code lengths of <= 14 bits) must lie inside `bytes`; one cut off by
// its end is not reported.
// Never reads outside `bytes`; any input is safe.
std::optional<std::uint64_t> find_deflate_block(std::span<const std::uint8_t> bytes,
                                                std::uint64_t first_bit, std::uint64_t last_bit);

}  // namespace dumpmill::codec
