// Opening an input file as a stream of decoded bytes starting at any decoded offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dumpmill/codec/codec.hpp"
#include "dumpmill/codec/decoded_reader.hpp"
#include "dumpmill/codec/gzip_index.hpp"

namespace dumpmill::codec {

// Default for buffer_bytes: 1 MiB (input + output buffers) keeps syscalls and decoder calls
// well under 1% of decode time while 4 ranks x several readers stay far below any budget.
inline constexpr std::size_t kDefaultDecodeBufferBytes = std::size_t{1} << 20;
// Smaller buffer_bytes are raised to this (buffers below a few KiB only add calls).
inline constexpr std::size_t kMinDecodeBufferBytes = std::size_t{8} << 10;

// Returns a reader whose position() == start_offset; read() then yields the decoded stream
// from there to the end of the whole file (across gzip members and zstd frames); the caller
// stops when it has what it needs.
//
// Bytes before start_offset are decoded and discarded, starting at the last index checkpoint
// at or before start_offset (gzip with `index`), at start_offset itself (plain), or at the
// file start (gzip without index, zstd). A start_offset at or past the end of the decoded
// stream gives a reader at the end: position() == start_offset and read() returns 0.
//
// - kPlain: pread through one buffer, POSIX_FADV_SEQUENTIAL.
// - kGzip: ISA-L inflate; single- and multi-member files; gzip headers with any optional
//   fields. Each member's CRC32 is checked when it is decoded from its start (file start or a
//   member-start checkpoint); ISIZE is checked for every member whose decoded start is known.
//   `index` must come from build_gzip_index() on this file (same file_size, else InputError),
//   but may hold any subset of its points in order (e.g. just one range's checkpoint and its
//   member start): the reader starts at the last point <= start_offset, or at byte 0 when
//   there is none. It is ignored for the other codecs.
// - kZstd: ZSTD_decompressStream over any number of frames (skippable frames included).
//
// Memory: buffer_bytes (clamped to >= kMinDecodeBufferBytes) for input + output buffers, plus
// the decoder's fixed state (ISA-L ~ 100 KiB; zstd: its frame window, <= 8 MiB for levels
// up to 19 and at most 128 MiB, zstd's default windowLogMax).
//
// Throws InputError naming the path (and the compressed byte offset near the fault) when the
// file cannot be opened, or - here or from read() - when the stream is corrupt or truncated,
// not the named codec, or followed by trailing garbage (zero padding after gzip is accepted).
std::unique_ptr<DecodedReader> open_decoded(const std::string& path, Codec codec,
                                            std::uint64_t start_offset,
                                            const GzipIndex* index = nullptr,
                                            std::size_t buffer_bytes = kDefaultDecodeBufferBytes);

// A zstd reader that starts decoding at a frame instead of the file start: compressed_offset
// and decoded_offset are one data frame's (ZstdFrame from walk_zstd_frames, zstd_frames.hpp;
// e.g. the frame zstd_frame_for_offset picks for start_offset). Only bytes of that frame (and
// following ones) before start_offset are decoded and discarded; otherwise it behaves as
// open_decoded(path, Codec::kZstd, start_offset): position() == start_offset, read() runs to
// the end of the file, over every later frame. (0, 0) is the file start.
// Throws dumpmill::Error when start_offset < decoded_offset (a caller bug), InputError when
// compressed_offset lies past the end of the file, and - here or from read() - InputError
// when the data there is not a zstd frame or is corrupt or truncated. An offset that is not a
// frame start fails that way too (zstd checks the magic number); a wrong decoded_offset cannot
// be detected and shifts every position.
std::unique_ptr<DecodedReader> open_zstd_at_frame(
    const std::string& path, std::uint64_t compressed_offset, std::uint64_t decoded_offset,
    std::uint64_t start_offset, std::size_t buffer_bytes = kDefaultDecodeBufferBytes);

}  // namespace dumpmill::codec
