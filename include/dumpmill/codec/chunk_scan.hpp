// One rank's pass over its chunk of a single-member gzip file: decoded size, CRC, checkpoints and
// the 32 KiB tail its successor needs, with no sequential pass over what comes before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/codec/marker_inflate.hpp"

namespace dumpmill::codec {

// A chunk is decoded block by block by marker_inflate (faster than zlib since it does one lookup
// per literal, length or distance: ~310 vs ~200 MB/s in bench_codec). Until the last 32 KiB of
// output hold no marker, output may reference the unknown window; from that block boundary on
// every symbol is a byte, checksummed as it comes. Skewed text (clickstream) may never get there:
// popular strings keep being copied from copies of the unknown window (measured: still markers
// after 64 MiB of a generated 10 M-row dump), so both phases stream in bounded memory: only the
// last 32 KiB of symbols plus one 32 KiB window per checkpoint are kept. Marker-phase output is
// decoded a second time, by ISA-L, once its window is known, for its CRC.

// A checkpoint taken during the marker phase: its window may hold markers of the chunk's
// unknown window (compose_tails with the chunk's window resolves it).
struct MarkerCheckpoint {
  std::uint64_t in_bit_offset = 0;    // absolute, a block boundary
  std::uint64_t out_offset = 0;       // relative to the chunk start
  std::vector<std::uint16_t> window;  // exactly kWindowSize symbols
};

struct ChunkScan {
  std::uint64_t start_bit = 0;  // absolute bit offset of the chunk's first block
  // The stop boundary (the next chunk's start) or, with final_block, the first bit after the
  // member's final block.
  std::uint64_t end_bit = 0;
  bool member_start = false;  // start_bit is the member's first block: no unknown window
  bool final_block = false;   // the chunk ends with the member's final block
  // Where the member's 8-byte trailer starts, when final_block.
  std::uint64_t trailer_offset = 0;
  // Bytes decoded with markers, from the chunk start, and the checkpoints taken among them.
  std::uint64_t marker_size = 0;
  std::vector<MarkerCheckpoint> marker_points;
  // Bytes decoded after the marker phase, and their CRC32 (gzip's).
  std::uint64_t suffix_size = 0;
  std::uint32_t suffix_crc = 0;
  // Checkpoints after the marker phase, out_offset RELATIVE to the chunk start: the marker-free
  // point (unless the chunk starts the member), then one per `spacing` decoded bytes. Windows
  // are concrete.
  std::vector<GzipCheckpoint> points;
  // The last 32 KiB before end_bit as symbols: exactly kWindowSize entries, markers where the
  // chunk is shorter than that or copies from its unknown window (index i: byte i of the
  // 32 KiB before start_bit); fewer entries only for a member-start chunk shorter than 32 KiB.
  std::vector<std::uint16_t> tail;

  std::uint64_t size() const noexcept { return marker_size + suffix_size; }
};

// Decodes the chunk [start_bit, stop_bit) of the first gzip member of `path`: start_bit must be a
// block boundary (find_chunk_start) or the member's first block; the chunk ends at the block
// boundary stop_bit, or at the member's end when stop_bit is UINT64_MAX. Checkpoints every
// `spacing` decoded bytes.
// Memory: the compressed bytes of the marker phase, 64 KiB per marker checkpoint, ~2 MiB more.
// Throws InputError(path, offset, reason) on corrupt or truncated data, when no block boundary
// falls exactly on stop_bit (a false chunk start), or when the member ends before stop_bit
// (more members follow).
ChunkScan scan_gzip_chunk(const std::string& path, std::uint64_t start_bit,
                          std::uint64_t stop_bit = std::numeric_limits<std::uint64_t>::max(),
                          std::uint64_t spacing = kDefaultCheckpointSpacing);

// The tail after `before` then `after`: `after`'s markers are replaced by what `before` holds at
// their position (associative, so the windows of all chunks are a prefix scan over tails). A
// short `before` (a member-start chunk under 32 KiB) lines up with the end of the window; a
// marker reaching before its first byte becomes kNoByte, a reference to nothing. An `after` of
// fewer than kWindowSize entries starts the member and is returned unchanged.
inline constexpr std::uint16_t kNoByte = 0x0100;
std::vector<std::uint16_t> compose_tails(std::span<const std::uint16_t> before,
                                         std::span<const std::uint16_t> after);

// The bytes of a composed tail, or false when a marker or kNoByte is left (a reference before
// the member's first byte: corrupt data, or a false chunk start).
bool window_bytes(std::span<const std::uint16_t> tail, std::vector<std::uint8_t>& out);

// gzip's CRC32 of `bytes` continuing from `crc` (0 to start).
std::uint32_t gzip_crc32(std::uint32_t crc, std::span<const std::uint8_t> bytes) noexcept;

// What follows a member's trailer.
enum class AfterMember : std::uint8_t { kEnd, kAnotherMember };

// Reads the 8-byte trailer at trailer_offset, checks the member's CRC32 and ISIZE against
// `crc` and `size`, and says whether the file ends there (zero padding included) or another
// member follows. Throws InputError naming the path and offset on a mismatch, a truncated
// trailer or trailing garbage.
AfterMember check_member_trailer(const std::string& path, std::uint64_t trailer_offset,
                                 std::uint32_t crc, std::uint64_t size);

// CRC32 of A followed by B, from crc(A), crc(B) and |B| (zlib's crc32_combine).
std::uint32_t gzip_crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t size_b);

}  // namespace dumpmill::codec
