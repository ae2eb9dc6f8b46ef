// Decode-only throughput of one gzip file under mpirun: the parallel index build (a full decode
// with CRC check and no sequential pass), or decoding every byte from a saved index.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/process_stats.hpp"
#include "dumpmill/plan/parallel_gzip_index.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"

using namespace dumpmill;

namespace {

constexpr const char* kUsage =
    "usage: mpirun -n N dumpmill-bench-decode FILE.gz scan|indexed|stream [SPACING_BYTES]\n"
    "  scan     every rank finds, decodes and checksums its slice (the parallel index build)\n"
    "  indexed  decode every byte from FILE.gz.dmidx (saved by a scan or a dumpmill run),\n"
    "           rank r taking the r-th of N equal decoded slices\n"
    "  stream   one rank, no index: ISA-L from byte 0 with CRC32 (what `dumpmill run` does at 1 "
    "rank)\n"
    "Prints one JSON line on rank 0: decoded bytes, seconds (slowest rank), MB/s, peak RSS.\n";

// Reads [begin, end) of the decoded stream through the production reader and drops it.
std::uint64_t decode_slice(const std::string& path, const codec::GzipIndex& index,
                           std::uint64_t begin, std::uint64_t end) {
  if (begin >= end) return 0;
  auto reader = codec::open_decoded(path, codec::Codec::kGzip, begin,
                                    index.points.empty() ? nullptr : &index);
  std::vector<char> buf(1 << 20);
  std::uint64_t got = 0;
  while (got < end - begin) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - begin - got));
    const std::size_t n = reader->read(buf.data(), want);
    if (n == 0) break;
    got += n;
  }
  return got;
}

}  // namespace

int main(int argc, char** argv) {
  shuffle::MpiEnvironment env(argc, argv);
  shuffle::MpiComm comm;
  if (argc < 3) {
    if (comm.rank() == 0) std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string path = argv[1];
  const std::string mode = argv[2];
  const std::uint64_t spacing =
      argc > 3 ? std::strtoull(argv[3], nullptr, 10) : codec::kDefaultCheckpointSpacing;
  try {
    comm.barrier();
    Stopwatch watch;
    std::uint64_t decoded = 0;
    double local_seconds = 0;
    std::string extra;
    if (mode == "scan") {
      plan::ParallelIndexResult r = plan::build_gzip_index_parallel(path, spacing, comm);
      local_seconds = watch.seconds();  // saving the index is not decoding
      if (!r.built) throw InputError(path, std::nullopt, r.fallback_reason);
      char b[200];
      std::snprintf(b, sizeof b,
                    ", \"chunks\": %llu, \"find_s\": %.3f, \"scan_s\": %.3f, \"resolve_s\": %.3f",
                    static_cast<unsigned long long>(r.chunks), r.find_seconds, r.scan_seconds,
                    r.resolve_seconds);
      extra = b;
      if (comm.rank() == 0) {
        decoded = r.index.decoded_size;
        codec::save_gzip_index(r.index, path + ".dmidx");
      }
    } else if (mode == "indexed") {
      const auto index = codec::load_gzip_index(path + ".dmidx", path);
      if (!index) throw InputError(path + ".dmidx", std::nullopt, "no valid index: run scan first");
      const std::uint64_t total = index->decoded_size;
      const auto slice = [&](int k) { return total / static_cast<std::uint64_t>(comm.size()) * k; };
      const std::uint64_t end = comm.rank() + 1 == comm.size() ? total : slice(comm.rank() + 1);
      const std::uint64_t mine = decode_slice(path, *index, slice(comm.rank()), end);
      local_seconds = watch.seconds();
      decoded = comm.allreduce_sum(std::vector<std::uint64_t>{mine})[0];
    } else if (mode == "stream" && comm.size() == 1) {
      codec::GzipIndex none;
      decoded = decode_slice(path, none, 0, UINT64_MAX);
      local_seconds = watch.seconds();
    } else {
      if (comm.rank() == 0) std::fputs(kUsage, stderr);
      return 2;
    }
    const double seconds = comm.max_time(local_seconds);
    const std::uint64_t rss = comm.allreduce_max(peak_rss_bytes());
    if (comm.rank() == 0) {
      std::printf(
          "{\"mode\": \"%s\", \"ranks\": %d, \"decoded_bytes\": %llu, \"seconds\": %.3f, "
          "\"mb_per_s\": %.1f, \"mb_per_s_per_rank\": %.1f, \"peak_rss_mib\": %.1f%s}\n",
          mode.c_str(), comm.size(), static_cast<unsigned long long>(decoded), seconds,
          static_cast<double>(decoded) / 1e6 / seconds,
          static_cast<double>(decoded) / 1e6 / seconds / comm.size(),
          static_cast<double>(rss) / (1 << 20), extra.c_str());
    }
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "dumpmill-bench-decode: error: %s\n", e.what());
    if (comm.size() > 1) comm.abort(e.exit_code());
    return e.exit_code();
  }
}
