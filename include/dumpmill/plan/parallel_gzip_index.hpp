// Building a gzip checkpoint index with every rank at once: no sequential pass over the file.
#pragma once

#include <cstdint>
#include <string>

#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/shuffle/communicator.hpp"

namespace dumpmill::plan {

struct ParallelIndexResult {
  // Rank 0: the index is complete and verified (CRC32 and ISIZE of the member). Every rank
  // agrees on `built`.
  bool built = false;
  // Why the parallel build did not apply (several members, a chunk without 32 KiB free of
  // unknown-window references, corrupt data ...): the caller then builds the index in one
  // sequential pass, which also gives the precise error for corrupt input. Empty when built.
  std::string fallback_reason;
  codec::GzipIndex index;    // rank 0 only
  std::uint64_t chunks = 0;  // ranks whose range held a block boundary
  // Wall time of each step (slowest rank): find block starts, decode chunks, resolve windows
  // and check the CRC.
  double find_seconds = 0, scan_seconds = 0, resolve_seconds = 0;
};

// COLLECTIVE. Rank r searches the r-th of comm.size() equal slices of the compressed file for
// a block boundary (find_chunk_start), every rank decodes its chunk up to the next rank's
// boundary (scan_gzip_chunk: markers until 32 KiB are known, then zlib with checkpoints),
// rank 0 composes the chunks' 32 KiB tails into every chunk's window (a prefix scan, done
// sequentially on rank 0: 64 KiB per rank; see docs/performance.md), ranks resolve their
// markers and checksum their bytes, and rank 0 checks the member's CRC32 (crc32_combine in
// rank order) and ISIZE against the trailer, and that the member is the file's only one.
// The result holds the same information as build_gzip_index (every member... here one),
// except that checkpoints also sit at every chunk start. Never throws for bad input: any
// failure on any rank becomes fallback_reason on every rank. Throws MpiError.
ParallelIndexResult build_gzip_index_parallel(const std::string& path, std::uint64_t spacing,
                                              shuffle::Communicator& comm);

}  // namespace dumpmill::plan
