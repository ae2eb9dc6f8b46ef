// One rank's share of a single-member gzip file: find a block boundary near a compressed offset,
// decode from there.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dumpmill::codec {

// A block-header candidate is accepted when decoding from it (unknown window) completes this
// many blocks without error, or reaches the member's final block ending exactly where the
// 8-byte gzip trailer fits before the end of the file, a next member (1f 8b) or zero padding.
// Why 8: from a false start, each following block header is noise, which passes as a block
// with probability ~0.07 (estimated: 1/4 reserved type fails; a stored LEN/~NLEN matches 1 in
// 65536; a dynamic header passes the finder's checks ~1 in 1e6 bit positions - measured, 7.75
// candidates per MB of noise; noise decoded as a fixed block hits symbol 286/287 or distance
// code 30/31 before its end-of-block code ~72% of the time). Surviving 7 further blocks is
// ~0.07^7 = 1e-8 per candidate; the tests find no survivor in 16 MB of random bits. Real
// streams pay little: 8 zlib blocks are ~0.5 MB decoded, 8 ms to find + confirm a start. Even a
// survivor cannot give a wrong answer: the previous chunk must end exactly at this start, and the
// member's CRC32 and ISIZE are checked (decode_gzip_in_chunks does both).
inline constexpr std::uint64_t kConfirmBlocks = 8;

// What one chunk decoded to.
struct ChunkDecode {
  // false: no confirmed block boundary in [search_from_bit, stop_after_bit); the caller
  // lets the previous chunk run on through this range (at worst one rank does the file).
  bool found = false;
  std::uint64_t start_bit = 0;  // absolute bit offset in the file: a block boundary
  // The first block boundary at or after stop_after_bit (stored blocks at their canonical
  // start, see find_deflate_block), or the first bit after the member's final block.
  std::uint64_t end_bit = 0;
  // Decoded output as symbols: bytes, or markers (kMarkerBit | i) for byte i of the unknown
  // 32 KiB window before start_bit. resolve_markers() turns them into bytes.
  std::vector<std::uint16_t> symbols;
  bool has_markers = false;
  bool final_block = false;   // the member's final block is the last one decoded
  bool member_start = false;  // start_bit is the member's first block: no window needed
  std::uint64_t blocks = 0;   // deflate blocks decoded
};

// Bit offset of the first deflate block of the gzip member at byte 0 (just past its header).
// Throws InputError naming the path when the file is unreadable or not gzip.
std::uint64_t gzip_deflate_start_bit(const std::string& path);

// The first confirmed block boundary b with search_from_bit <= b < search_until_bit, scanning
// with find_deflate_block and confirming each candidate by kConfirmBlocks as above; the
// member's first block when search_from_bit is at or before it. nullopt when there is none
// (fixed-Huffman-only streams, one block spanning the range, a range inside the trailer).
// Reads the file from search_from_bit / 8 up to search_until_bit / 8 plus what confirmation
// needs. Throws InputError only for an unreadable or non-gzip file.
std::optional<std::uint64_t> find_chunk_start(
    const std::string& path, std::uint64_t search_from_bit,
    std::uint64_t search_until_bit = std::numeric_limits<std::uint64_t>::max());

// Decodes from start_bit (a block boundary, e.g. from find_chunk_start) to the first block
// boundary at or after stop_after_bit, or to the end of the member. found = true. Memory: the
// compressed bytes of the chunk plus 2 bytes per decoded byte; the stop overshoots by < 1
// block. Throws InputError(path, byte offset, reason) when the data is corrupt or the member
// is truncated before the stop, or when start_bit lies inside the gzip header.
ChunkDecode decode_chunk(const std::string& path, std::uint64_t start_bit,
                         std::uint64_t stop_after_bit = std::numeric_limits<std::uint64_t>::max());

// What one rank does for its range [search_from_bit, stop_after_bit) of a single-member gzip
// file: find_chunk_start over the range, then decode_chunk to the first boundary at or after
// stop_after_bit. found = false when the range holds no usable boundary. For ranges that must
// tile the stream exactly, stop at the next rank's start_bit rather than at its range start
// (the finder may skip boundaries: fixed-Huffman and final blocks), as decode_gzip_in_chunks
// does. Throws like decode_chunk.
ChunkDecode decode_chunk_from(
    const std::string& path, std::uint64_t search_from_bit,
    std::uint64_t stop_after_bit = std::numeric_limits<std::uint64_t>::max());

// Result of decoding a file chunk by chunk.
struct ChunkedGzipDecode {
  std::vector<std::uint8_t> bytes;          // the member's decoded bytes
  std::vector<std::uint64_t> chunk_starts;  // start_bit of every chunk actually used
};

// The sequential reference of the parallel scheme, on the first gzip member of `path`:
// cut the compressed file at cut_bytes (any order and values), find each cut's start in
// [cut, next cut), decode every chunk from its start to the next chunk's start, check that
// each chunk ends exactly where the next begins, resolve each chunk's markers with the last
// 32 KiB decoded before it, and check the member's CRC32 and ISIZE. Cuts with no boundary
// before the next cut merge into the previous chunk. Throws InputError naming the path and
// offset on corrupt or truncated data or a chunk-tiling mismatch; never returns wrong bytes.
ChunkedGzipDecode decode_gzip_in_chunks(const std::string& path,
                                        std::span<const std::uint64_t> cut_bytes);

}  // namespace dumpmill::codec
