// Walking the frames of a .zst file without decoding them, so a file of several frames can be
// split across ranks at frame starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dumpmill::codec {

// One data frame (skippable frames are counted in ZstdFrameIndex, never listed).
struct ZstdFrame {
  std::uint64_t compressed_offset = 0;  // file offset of the frame's magic number
  std::uint64_t compressed_size = 0;    // header + blocks + checksum
  // Decoded offset of the frame's first byte: known when every data frame before it declares
  // its content size (the first frame's is always 0).
  std::optional<std::uint64_t> decoded_offset;
  // Frame_Content_Size from the header, when the header declares it (`zstd` does by default
  // for files and pipes it can size; `--no-content-size` and streaming writers may not).
  std::optional<std::uint64_t> decoded_size;
};

// Every frame of one file, in file order.
struct ZstdFrameIndex {
  std::uint64_t file_size = 0;
  std::vector<ZstdFrame> frames;       // data frames only
  std::uint64_t skippable_frames = 0;  // skippable frames seen (no output)
  // true when every data frame declares its content size: only then are decoded_offset and
  // decoded_size known for every frame, and decoded ranges can be placed without decoding.
  bool all_sizes_declared = true;
  // Sum of decoded_size over all frames, when all_sizes_declared.
  std::optional<std::uint64_t> decoded_size;
};

// Reads the frame and block headers of `path` front to back through a bounded window
// (`window_bytes`, raised to 64 KiB; memory is that window plus 40 bytes per frame): the
// 3-byte header of every block is read and the block skipped, never decoded. Skippable frames
// are stepped over by their declared size. Frame headers are parsed by libzstd
// (ZSTD_getFrameHeader), so reserved bits, dictionary ids and window sizes are checked as the
// decoder checks them; block contents and checksums are not (the decoder checks those later).
//
// Throws InputError(path, offset, reason) when the file cannot be read, is empty, or at the
// offset where something other than a frame starts (garbage between or after frames, zero
// padding, a legacy pre-v0.8 frame), where a frame header or block type is malformed, and
// where a frame is truncated (its header, a block, or its checksum runs past the end).
ZstdFrameIndex walk_zstd_frames(const std::string& path, std::size_t window_bytes = 1 << 20);

// Index into index.frames of the frame to start decoding from to reach `decoded_offset`: the
// last frame with a known decoded_offset <= decoded_offset. A position inside a frame or at its
// first byte maps to that frame (empty frames before it are stepped over); a position past the
// frames whose sizes are declared maps to the first frame without one (decoding from there and
// discarding reaches it); a position at or past the end maps to the last frame. nullopt only
// when the file has no data frame. Pass the frame to open_zstd_at_frame (open_decoded.hpp).
std::optional<std::size_t> zstd_frame_for_offset(const ZstdFrameIndex& index,
                                                 std::uint64_t decoded_offset);

}  // namespace dumpmill::codec
