// A cheap identity for an input file: the plan stage reports it, the gzip index checks it.
#pragma once

#include <cstdint>
#include <string>

namespace dumpmill::codec {

// Bytes hashed at each end of the file. 1 MiB reads in ~1 ms from page cache and catches
// appends, truncations and rewrites of headers/tails; an edit confined to the middle of a file
// larger than 2 MiB with size and mtime unchanged is not detected (the index also checks mtime).
inline constexpr std::uint64_t kFingerprintEdgeBytes = 1 << 20;

// XXH3-64 over: the file size (8 bytes little-endian), the first min(size, 1 MiB) bytes, and
// the last min(size, 1 MiB) bytes. Throws InputError naming the path if it cannot be read.
std::uint64_t file_fingerprint(const std::string& path);

}  // namespace dumpmill::codec
