// Random access into gzip files: a zran-style checkpoint index, built once and cached on disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dumpmill::codec {

// Decoded bytes between checkpoints: 4 MiB. Measured with bench_codec on 64 MB of
// clickstream-like text at gzip -6 (ratio 3.5), CPU time, two runs on this shared 2-core box:
//   spacing   index size   range start (skip + first 1 MiB)   index build (any spacing)
//   1 MiB     8.9 MB/GB    2.7-3.3 ms                         160-220 MB/s decoded,
//   4 MiB     2.1 MB/GB    4.6-5.8 ms                         bound by zlib inflate
//   8 MiB     1.1 MB/GB    9.1-9.9 ms
//   16 MiB    0.5 MB/GB   15.6-20 ms
// At 4 MiB a range start wastes ~2 MiB of decoding on average (~3 ms at ISA-L's 550-700
// MB/s), so ranges of >= 16 MiB decoded lose < 10%, and a 2 GB dump's index (~4 MB) is cheap
// to load on every rank. Below 4 MiB the index grows 4x to save ~2 ms per range; above it,
// range starts cost 2-4x more for an index that was already small.
inline constexpr std::uint64_t kDefaultCheckpointSpacing = std::uint64_t{4} << 20;

// A place where decoding can start without decoding what comes before it.
struct GzipCheckpoint {
  // Absolute bit offset in the compressed file where a deflate block starts, or (when
  // member_start) where the gzip member header starts (always a multiple of 8 then).
  std::uint64_t in_bit_offset = 0;
  // Decoded offset (in the whole decoded stream, across members) of the block's first byte.
  std::uint64_t out_offset = 0;
  // True at the start of every gzip member; decoding there needs no window.
  bool member_start = false;
  // The previous <= 32 KiB of decoded output of the same member (back-references reach this
  // far); shorter only when the member has produced fewer bytes; empty at a member start.
  std::vector<std::uint8_t> window;

  friend bool operator==(const GzipCheckpoint&, const GzipCheckpoint&) = default;
};

// All checkpoints of one gzip file plus what identifies the file they belong to.
struct GzipIndex {
  std::uint64_t file_size = 0;     // compressed size when built
  std::int64_t file_mtime_ns = 0;  // st_mtim when built
  std::uint64_t fingerprint = 0;   // file_fingerprint() when built
  std::uint64_t spacing = 0;       // requested decoded bytes between checkpoints
  std::uint64_t decoded_size = 0;  // size of the whole decoded stream
  std::uint32_t members = 0;       // gzip members in the file
  // Sorted by out_offset (and in_bit_offset); points[0] = {0, 0, true, {}}; one point at every
  // member start; others at the first block boundary >= spacing decoded bytes after the last.
  std::vector<GzipCheckpoint> points;

  friend bool operator==(const GzipIndex&, const GzipIndex&) = default;
};

// Builds the index in one sequential zlib pass (inflate with Z_BLOCK stops at each deflate
// block boundary, as in zlib's examples/zran.c). Verifies every member's CRC32 and ISIZE.
// Throws InputError(path, compressed byte offset, reason) for an unreadable, empty, truncated
// or corrupt file and for trailing garbage after the last member (zero padding is accepted);
// ConfigError when spacing == 0.
GzipIndex build_gzip_index(const std::string& path,
                           std::uint64_t spacing = kDefaultCheckpointSpacing);

// An index of `path` without points: its identity (size, mtime, fingerprint) and `spacing`, for
// builders that find the points elsewhere (plan::build_gzip_index_parallel). Throws InputError.
GzipIndex gzip_index_identity(const std::string& path, std::uint64_t spacing);

// Writes the index atomically (temporary file in the same directory, fsync, rename): a
// versioned binary format, little-endian, windows raw-deflate compressed with libdeflate,
// ending in an XXH3-64 of all preceding bytes. Throws OutputError naming the path on failure.
void save_gzip_index(const GzipIndex& index, const std::string& index_path);

// Reads an index saved by save_gzip_index. Never throws: nullopt when the index file is
// missing, foreign (bad magic or version), corrupt or truncated (checksum, bounds, invariants),
// or stale: input_path's size, mtime or fingerprint differ from what the index recorded, or
// input_path cannot be read.
std::optional<GzipIndex> load_gzip_index(const std::string& index_path,
                                         const std::string& input_path) noexcept;

// Where the cached index of an input lives.
enum class IndexPlacement : std::uint8_t {
  kAuto,         // beside the input when its directory is writable (access(W_OK)), else cache
  kBesideInput,  // "<input>.dmidx"
  kCacheDir,     // "<cache_dir>/<basename>.<16 hex of XXH3(absolute input path)>.dmidx"
};

// The index file path for input_path (see IndexPlacement). Does not create anything.
// access(W_OK) cannot see every reason a write fails (root ignores mode bits; a read-only
// bind mount does not), so callers that know better pass an explicit placement.
std::string gzip_index_path(const std::string& input_path, const std::string& cache_dir,
                            IndexPlacement placement = IndexPlacement::kAuto);

// Saves `index` where gzip_index_path(input_path, cache_dir, placement) says, creating the
// cache directory when the index goes there; returns that path. Throws OutputError.
std::string store_gzip_index(const GzipIndex& index, const std::string& input_path,
                             const std::string& cache_dir,
                             IndexPlacement placement = IndexPlacement::kAuto);

// Loads the cached index of input_path, or builds and saves it when it is missing, stale,
// corrupt or was built with a different spacing. Creates cache_dir when the index goes there.
// *built (if given) says whether it was (re)built. Throws like build_gzip_index, and
// OutputError when the index cannot be saved (a cache the user named but cannot use is a
// configuration fault worth stopping for, not something to paper over).
GzipIndex load_or_build_gzip_index(const std::string& input_path, std::uint64_t spacing,
                                   const std::string& cache_dir, bool* built = nullptr,
                                   IndexPlacement placement = IndexPlacement::kAuto);

}  // namespace dumpmill::codec
