// Every rank finds, decodes and checksums its slice of one gzip member; rank 0 stitches the
// windows and checkpoints into an index and checks the member's CRC32 and ISIZE.
#include "dumpmill/plan/parallel_gzip_index.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "dumpmill/codec/chunk_decode.hpp"
#include "dumpmill/codec/chunk_scan.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/process_stats.hpp"
#include "dumpmill/core/wire.hpp"

namespace dumpmill::plan {
namespace {

constexpr std::uint64_t kNoStop = std::numeric_limits<std::uint64_t>::max();

// Every rank learns whether any rank failed, and the first failure's text (rank order).
std::string first_failure(shuffle::Communicator& comm, const std::string& local) {
  if (!comm.allreduce_or(!local.empty())) return {};
  WireWriter w;
  w.str(local);
  const auto all = comm.gather(std::move(w.bytes()), 0);
  WireWriter pick;
  if (comm.rank() == 0) {
    for (std::size_t k = 0; k < all.size(); ++k) {
      WireReader rd(all[k]);
      const std::string e = rd.str();
      if (!e.empty()) {
        pick.str((comm.size() > 1 ? "rank " + std::to_string(k) + ": " : std::string()) + e);
        break;
      }
    }
  }
  const std::vector<char> msg = comm.broadcast(std::move(pick.bytes()), 0);
  WireReader rd(msg);
  return rd.str();
}

std::span<const std::uint8_t> as_bytes(std::span<const std::uint16_t> s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size() * sizeof(std::uint16_t)};
}

std::vector<std::uint16_t> as_symbols(const std::vector<std::uint8_t>& b) {
  std::vector<std::uint16_t> s(b.size() / sizeof(std::uint16_t));
  std::memcpy(s.data(), b.data(), s.size() * sizeof(std::uint16_t));
  return s;
}

// What rank 0 needs of a chunk (everything but the prefix, which stays on its rank).
std::vector<char> chunk_summary(const codec::ChunkScan& c) {
  WireWriter w;
  w.u64(c.start_bit);
  w.u64(c.end_bit);
  w.u8(c.final_block ? 1 : 0);
  w.u64(c.trailer_offset);
  w.u64(c.size());
  w.blob(as_bytes(c.tail));
  w.u64(c.marker_points.size());
  for (const auto& p : c.marker_points) {
    w.u64(p.in_bit_offset);
    w.u64(p.out_offset);
    w.blob(as_bytes(p.window));
  }
  w.u64(c.points.size());
  for (const auto& p : c.points) {
    w.u64(p.in_bit_offset);
    w.u64(p.out_offset);
    w.blob(p.window);
  }
  return std::move(w.bytes());
}

struct ChunkSummary {
  int rank = 0;
  std::uint64_t start_bit = 0, end_bit = 0, trailer_offset = 0, size = 0;
  bool final_block = false;
  std::vector<std::uint16_t> tail;
  std::vector<codec::MarkerCheckpoint> marker_points;
  std::vector<codec::GzipCheckpoint> points;
};

ChunkSummary read_summary(int rank, std::span<const char> bytes) {
  WireReader r(bytes);
  ChunkSummary s;
  s.rank = rank;
  s.start_bit = r.u64();
  s.end_bit = r.u64();
  s.final_block = r.u8() != 0;
  s.trailer_offset = r.u64();
  s.size = r.u64();
  s.tail = as_symbols(r.blob());
  const std::uint64_t m = r.u64();
  for (std::uint64_t i = 0; i < m; ++i) {
    codec::MarkerCheckpoint p;
    p.in_bit_offset = r.u64();
    p.out_offset = r.u64();
    p.window = as_symbols(r.blob());
    s.marker_points.push_back(std::move(p));
  }
  const std::uint64_t n = r.u64();
  for (std::uint64_t i = 0; i < n; ++i) {
    codec::GzipCheckpoint p;
    p.in_bit_offset = r.u64();
    p.out_offset = r.u64();
    p.window = r.blob();
    s.points.push_back(std::move(p));
  }
  return s;
}

// The bytes of a symbol window whose markers refer to `chunk_window` (the 32 KiB before the chunk),
// cut to the `available` bytes the member has produced before it (a window never reaches before
// the member's first byte). Throws InputError when a symbol still cannot be resolved.
std::vector<std::uint8_t> resolve_window(const std::string& path, std::uint64_t bit,
                                         std::span<const std::uint8_t> chunk_window,
                                         std::span<const std::uint16_t> symbols,
                                         std::uint64_t available) {
  const std::vector<std::uint16_t> before(chunk_window.begin(), chunk_window.end());
  std::vector<std::uint16_t> resolved = codec::compose_tails(before, symbols);
  const std::size_t keep =
      static_cast<std::size_t>(std::min<std::uint64_t>(resolved.size(), available));
  std::vector<std::uint8_t> bytes;
  if (!codec::window_bytes(std::span(resolved).last(keep), bytes)) {
    throw InputError(
        path, bit / 8,
        "the window at bit " + std::to_string(bit) + " refers to bytes before the member's start");
  }
  return bytes;
}

// CRC32 of `size` decoded bytes from a chunk start whose window is now known, decoded again by
// ISA-L (the marker phase could not checksum bytes it did not know).
std::uint32_t crc_from(const std::string& path, const codec::GzipCheckpoint& start,
                       std::uint64_t size) {
  if (size == 0) return 0;
  codec::GzipIndex index;
  index.file_size = std::filesystem::file_size(path);
  index.points = {codec::GzipCheckpoint{0, 0, true, {}}, start};
  auto reader = codec::open_decoded(path, codec::Codec::kGzip, start.out_offset, &index);
  std::vector<char> buf(1 << 20);
  std::uint32_t crc = 0;
  std::uint64_t left = size;
  while (left > 0) {
    const std::size_t n = reader->read(
        buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size())));
    if (n == 0)
      throw InputError(path, start.in_bit_offset / 8, "chunk decodes shorter the second time");
    crc = codec::gzip_crc32(crc, std::span(reinterpret_cast<const std::uint8_t*>(buf.data()), n));
    left -= n;
  }
  return crc;
}

}  // namespace

ParallelIndexResult build_gzip_index_parallel(const std::string& path, std::uint64_t spacing,
                                              shuffle::Communicator& comm) {
  ParallelIndexResult res;
  const int ranks = comm.size();
  const int me = comm.rank();
  std::string error;

  // 1. Slices of the compressed bytes after the header; each rank finds its first boundary.
  Stopwatch watch;
  std::optional<std::uint64_t> start;
  codec::GzipIndex index;  // rank 0: identity now, points at the end
  try {
    if (me == 0) index = codec::gzip_index_identity(path, spacing);
    const std::uint64_t file_size = std::filesystem::file_size(path);
    const std::uint64_t first_bit = codec::gzip_deflate_start_bit(path);
    const std::uint64_t first_byte = first_bit / 8;
    const std::uint64_t span = file_size > first_byte ? file_size - first_byte : 0;
    const auto cut = [&](int k) {
      return first_byte + static_cast<std::uint64_t>(static_cast<long double>(span) * k / ranks);
    };
    start = me == 0 ? std::optional(first_bit)
                    : codec::find_chunk_start(path, cut(me) * 8, cut(me + 1) * 8);
  } catch (const std::exception& e) {
    error = e.what();
  }
  res.fallback_reason = first_failure(comm, error);
  if (!res.fallback_reason.empty()) return res;
  std::vector<std::uint64_t> starts(static_cast<std::size_t>(ranks), 0);
  starts[static_cast<std::size_t>(me)] = start ? *start + 1 : 0;  // 0: no boundary
  starts = comm.allreduce_sum(starts);
  std::uint64_t next = kNoStop;
  for (int k = ranks - 1; k > me; --k)
    if (starts[static_cast<std::size_t>(k)] != 0) next = starts[static_cast<std::size_t>(k)] - 1;
  res.chunks = static_cast<std::uint64_t>(
      std::count_if(starts.begin(), starts.end(), [](std::uint64_t s) { return s != 0; }));
  res.find_seconds = comm.max_time(watch.seconds());

  // 2. Decode the chunk: markers until the window is known, then zlib with checkpoints.
  watch.restart();
  codec::ChunkScan chunk;
  try {
    if (start) chunk = codec::scan_gzip_chunk(path, *start, next, spacing);
  } catch (const std::exception& e) {
    error = e.what();
  }
  res.fallback_reason = first_failure(comm, error);
  if (!res.fallback_reason.empty()) return res;
  res.scan_seconds = comm.max_time(watch.seconds());

  // 3. Rank 0 composes the tails into each chunk's window and hands them out.
  watch.restart();
  const auto summaries = comm.gather(start ? chunk_summary(chunk) : std::vector<char>{}, 0);
  std::vector<std::vector<char>> to_rank(static_cast<std::size_t>(ranks));
  std::vector<ChunkSummary> chunks;
  std::vector<std::vector<std::uint8_t>> windows;
  std::vector<std::uint64_t> bases;
  if (me == 0) {
    try {
      std::vector<std::uint16_t> composed;
      std::uint64_t base = 0;
      for (int k = 0; k < ranks; ++k) {
        const auto& bytes = summaries[static_cast<std::size_t>(k)];
        if (bytes.empty()) continue;
        ChunkSummary s = read_summary(k, bytes);
        std::vector<std::uint8_t> window;
        if (!chunks.empty()) {
          const std::size_t keep =
              static_cast<std::size_t>(std::min<std::uint64_t>(composed.size(), base));
          if (!codec::window_bytes(std::span(composed).last(keep), window)) {
            throw InputError(path, s.start_bit / 8,
                             "the chunk before bit " + std::to_string(s.start_bit) +
                                 " refers to bytes before the member's start");
          }
        }
        composed = codec::compose_tails(composed, s.tail);
        WireWriter w;
        w.blob(window);
        w.u64(base);
        to_rank[static_cast<std::size_t>(k)] = std::move(w.bytes());
        windows.push_back(std::move(window));
        bases.push_back(base);
        base += s.size;
        chunks.push_back(std::move(s));
      }
      if (chunks.empty() || !chunks.back().final_block)
        throw InputError(path, std::nullopt, "the last chunk does not end the gzip member");
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  res.fallback_reason = first_failure(comm, error);
  if (!res.fallback_reason.empty()) return res;
  const auto received = comm.alltoallv(to_rank);

  // 4. Every rank checksums its chunk: the marker phase decoded again by ISA-L, now that its
  // window is known, then the zlib phase's CRC appended.
  std::uint32_t crc = 0;
  try {
    if (start) {
      WireReader r(received[0]);
      const std::vector<std::uint8_t> window = r.blob();
      const std::uint64_t base = r.u64();
      const std::uint32_t head =
          crc_from(path, codec::GzipCheckpoint{chunk.start_bit, base, false, window},
                   chunk.member_start ? 0 : chunk.marker_size);
      crc = codec::gzip_crc32_combine(head, chunk.suffix_crc, chunk.suffix_size);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  res.fallback_reason = first_failure(comm, error);
  if (!res.fallback_reason.empty()) return res;
  WireWriter cw;
  cw.u64(crc);
  const auto crcs = comm.gather(std::move(cw.bytes()), 0);

  // 5. Rank 0: the member's CRC32 and ISIZE, the only member, then the index.
  if (me == 0) {
    try {
      std::uint32_t total_crc = 0;
      std::uint64_t total = 0;
      index.points.push_back(codec::GzipCheckpoint{0, 0, true, {}});
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        const ChunkSummary& s = chunks[i];
        WireReader r(crcs[static_cast<std::size_t>(s.rank)]);
        total_crc =
            codec::gzip_crc32_combine(total_crc, static_cast<std::uint32_t>(r.u64()), s.size);
        total = bases[i];
        if (i > 0)
          index.points.push_back(codec::GzipCheckpoint{s.start_bit, total, false, windows[i]});
        for (const auto& p : s.marker_points) {
          index.points.push_back(codec::GzipCheckpoint{
              p.in_bit_offset, total + p.out_offset, false,
              resolve_window(path, p.in_bit_offset, windows[i], p.window, total + p.out_offset)});
        }
        for (const auto& p : s.points) {
          index.points.push_back(
              codec::GzipCheckpoint{p.in_bit_offset, total + p.out_offset, false, p.window});
        }
        total += s.size;
      }
      if (codec::check_member_trailer(path, chunks.back().trailer_offset, total_crc, total) ==
          codec::AfterMember::kAnotherMember) {
        throw InputError(path, chunks.back().trailer_offset + 8,
                         "several gzip members: split at members instead");
      }
      const codec::GzipIndex now = codec::gzip_index_identity(path, spacing);
      if (now.file_size != index.file_size || now.file_mtime_ns != index.file_mtime_ns)
        throw InputError(path, std::nullopt, "file changed while its gzip index was being built");
      index.decoded_size = total;
      index.members = 1;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  res.fallback_reason = first_failure(comm, error);
  res.resolve_seconds = comm.max_time(watch.seconds());
  res.built = res.fallback_reason.empty();
  if (res.built && me == 0) res.index = std::move(index);
  return res;
}

}  // namespace dumpmill::plan
