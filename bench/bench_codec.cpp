// Decode throughput (ISA-L reader vs plain zlib), gzip index build, range starts from checkpoints,
// splitting a single-member gzip (block finder, marker decoder, chunk decode), zstd frame walk.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "dumpmill/codec/chunk_decode.hpp"
#include "dumpmill/codec/chunk_scan.hpp"
#include "dumpmill/codec/deflate_block_finder.hpp"
#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/codec/marker_inflate.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/codec/zstd_frames.hpp"

namespace {

using dumpmill::codec::Codec;
using dumpmill::codec::GzipIndex;

// ~64 MB of clickstream-like rows, gzip level 6 (what Wikimedia publishes), in a temp dir
// that is removed at exit. Built once, on first use.
class Corpus {
 public:
  static const Corpus& get() {
    static const Corpus c;
    return c;
  }
  ~Corpus() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string gz;
  std::string plain;
  std::uint64_t decoded_size = 0;
  std::uint64_t compressed_size = 0;

 private:
  Corpus() {
    std::string templ = std::filesystem::temp_directory_path().string() + "/bench-codec-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = templ;
    plain = dir_ + "/clicks.tsv";
    gz = dir_ + "/clicks.tsv.gz";
    const std::string text = make_text(64'000'000);
    decoded_size = text.size();
    write(plain, text.data(), text.size());
    gzFile f = gzopen(gz.c_str(), "wb6");
    if (f == nullptr) throw std::runtime_error("gzopen");
    for (std::size_t at = 0; at < text.size(); at += 1 << 20) {
      const auto n = static_cast<unsigned>(std::min<std::size_t>(1 << 20, text.size() - at));
      if (gzwrite(f, text.data() + at, n) != static_cast<int>(n))
        throw std::runtime_error("gzwrite");
    }
    gzclose(f);
    compressed_size = std::filesystem::file_size(gz);
  }

  static std::string make_text(std::size_t bytes) {
    std::mt19937_64 rng(1);
    const char* words[] = {"History", "List",     "of",    "United",  "States",
                           "Film",    "Album",    "River", "Station", "Battle",
                           "Church",  "Football", "Club",  "Season",  "Party"};
    std::vector<std::string> titles;
    for (int i = 0; i < 200'000; ++i) {
      std::string t = words[rng() % 15];
      for (int w = static_cast<int>(rng() % 3); w > 0; --w)
        t += std::string("_") + words[rng() % 15];
      titles.push_back(t + "_" + std::to_string(rng() % 1'000'000));
    }
    const char* types[] = {"link", "external", "other"};
    std::geometric_distribution<int> skew(0.0005);
    std::string s;
    s.reserve(bytes + 256);
    while (s.size() < bytes) {
      const auto pick = [&]() -> const std::string& {
        return titles[static_cast<std::size_t>(skew(rng)) % titles.size()];
      };
      s += (rng() % 4 == 0) ? "other-search" : pick();
      s += '\t';
      s += pick();
      s += '\t';
      s += types[rng() % 3];
      s += '\t';
      s += std::to_string(10 + rng() % (1 + rng() % 100000));
      s += '\n';
    }
    return s;
  }

  static void write(const std::string& path, const char* p, std::size_t n) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(p, 1, n, f) != n || std::fclose(f) != 0) {
      throw std::runtime_error("write " + path);
    }
  }

  std::string dir_;
};

void add_corpus_counters(benchmark::State& state, const Corpus& c) {
  state.counters["ratio"] =
      static_cast<double>(c.decoded_size) / static_cast<double>(c.compressed_size);
}

std::uint64_t drain(dumpmill::codec::DecodedReader& r, std::uint64_t limit) {
  static std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  while (total < limit) {
    const std::size_t n = r.read(buf.data(), buf.size());
    if (n == 0) break;
    total += n;
  }
  return total;
}

void BM_DecodeGzipIsal(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  for (auto _ : state) {
    auto r = dumpmill::codec::open_decoded(c.gz, Codec::kGzip, 0, nullptr,
                                           static_cast<std::size_t>(state.range(0)));
    benchmark::DoNotOptimize(drain(*r, UINT64_MAX));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
  add_corpus_counters(state, c);
}
BENCHMARK(BM_DecodeGzipIsal)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(4 << 20)
    ->Unit(benchmark::kMillisecond);

// What a user gets from plain zlib: inflate (gzip wrapper) with 1 MiB buffers.
void BM_DecodeGzipZlib(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  std::vector<unsigned char> in(256 << 10);
  std::vector<unsigned char> out(768 << 10);
  for (auto _ : state) {
    std::FILE* f = std::fopen(c.gz.c_str(), "rb");
    z_stream zs{};
    inflateInit2(&zs, 15 + 16);
    std::uint64_t total = 0;
    int ret = Z_OK;
    while (ret != Z_STREAM_END) {
      if (zs.avail_in == 0) {
        zs.avail_in = static_cast<uInt>(std::fread(in.data(), 1, in.size(), f));
        zs.next_in = in.data();
        if (zs.avail_in == 0) break;
      }
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      ret = inflate(&zs, Z_NO_FLUSH);
      if (ret != Z_OK && ret != Z_STREAM_END) throw std::runtime_error("zlib inflate");
      total += out.size() - zs.avail_out;
    }
    inflateEnd(&zs);
    std::fclose(f);
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
}
BENCHMARK(BM_DecodeGzipZlib)->Unit(benchmark::kMillisecond);

void BM_ReadPlain(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  for (auto _ : state) {
    auto r = dumpmill::codec::open_decoded(c.plain, Codec::kPlain, 0);
    benchmark::DoNotOptimize(drain(*r, UINT64_MAX));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
}
BENCHMARK(BM_ReadPlain)->Unit(benchmark::kMillisecond);

// Index build throughput (decoded bytes/s) and index size per GB of decoded data, by spacing.
void BM_BuildGzipIndex(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const auto spacing = static_cast<std::uint64_t>(state.range(0)) << 20;
  GzipIndex index;
  for (auto _ : state) {
    index = dumpmill::codec::build_gzip_index(c.gz, spacing);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
  const std::string path = c.gz + ".bench.dmidx";
  dumpmill::codec::save_gzip_index(index, path);
  const double gb = static_cast<double>(c.decoded_size) / 1e9;
  state.counters["points"] = static_cast<double>(index.points.size());
  state.counters["idx_MB_per_GB"] =
      static_cast<double>(std::filesystem::file_size(path)) / 1e6 / gb;
  std::filesystem::remove(path);
}
BENCHMARK(BM_BuildGzipIndex)
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// A range start: open at a random decoded offset through the index and read the first 1 MiB.
// The time is the skip from the checkpoint (on average spacing/2) plus 1 MiB of decoding.
void BM_StartRangeFromCheckpoint(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const auto spacing = static_cast<std::uint64_t>(state.range(0)) << 20;
  const GzipIndex index = dumpmill::codec::build_gzip_index(c.gz, spacing);
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    const std::uint64_t start = rng() % (c.decoded_size - (1 << 20));
    auto r = dumpmill::codec::open_decoded(c.gz, Codec::kGzip, start, &index);
    benchmark::DoNotOptimize(drain(*r, 1 << 20));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * (1 << 20)));
}
BENCHMARK(BM_StartRangeFromCheckpoint)
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond);

// Reading the second half of the file from the mid-file checkpoint vs decoding from the start.
void BM_ReadSecondHalf(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const bool with_index = state.range(0) != 0;
  const GzipIndex index = dumpmill::codec::build_gzip_index(c.gz, 8 << 20);
  const std::uint64_t start = c.decoded_size / 2;
  for (auto _ : state) {
    auto r =
        dumpmill::codec::open_decoded(c.gz, Codec::kGzip, start, with_index ? &index : nullptr);
    benchmark::DoNotOptimize(drain(*r, UINT64_MAX));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * (c.decoded_size - start)));
}
BENCHMARK(BM_ReadSecondHalf)->ArgName("index")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Block finder over random bytes (no true blocks: every position is scanned and every
// candidate is what confirmation would have to reject). Rate in input bytes/s; bits/s = 8x.
void BM_FindDeflateBlockRandom(benchmark::State& state) {
  std::vector<std::uint8_t> noise(8 << 20);
  std::mt19937_64 rng(3);
  for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
  std::int64_t candidates = 0;
  for (auto _ : state) {
    candidates = 0;
    std::uint64_t from = 0;
    while (const auto c = dumpmill::codec::find_deflate_block(noise, from, noise.size() * 8)) {
      ++candidates;
      from = *c + 1;
    }
    benchmark::DoNotOptimize(candidates);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * noise.size()));
  state.counters["candidates_per_MB"] = static_cast<double>(candidates) / 8.0;
  state.counters["Gbit_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * noise.size() * 8) / 1e9,
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FindDeflateBlockRandom)->Unit(benchmark::kMillisecond);

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The marker decoder on the whole corpus from the member start, in memory (decoded bytes/s);
// compare with BM_DecodeGzipIsal/1048576, which also reads the file.
void BM_MarkerInflate(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const std::vector<std::uint8_t> gz = slurp(c.gz);
  const std::uint64_t start = dumpmill::codec::gzip_deflate_start_bit(c.gz);
  std::vector<std::uint16_t> out;
  out.reserve(c.decoded_size + (1 << 20));
  dumpmill::codec::MarkerInflateOptions opts;
  opts.window_unknown = false;
  for (auto _ : state) {
    out.clear();
    const auto r = dumpmill::codec::marker_inflate(gz, start, out, opts);
    if (r.status != dumpmill::codec::MarkerInflateStatus::kFinalBlock)
      throw std::runtime_error("inflate");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
}
BENCHMARK(BM_MarkerInflate)->Unit(benchmark::kMillisecond);

// The marker decoder as the scan's marker phase drives it (chunk_scan.cpp decode_markers): one
// block per call, window unknown, history trimmed to the last 32 KiB every 1 Mi symbols.
void BM_MarkerInflateBlockwise(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const std::vector<std::uint8_t> gz = slurp(c.gz);
  const std::uint64_t start = dumpmill::codec::gzip_deflate_start_bit(c.gz);
  constexpr std::size_t kTrim = std::size_t{1} << 20;
  std::vector<std::uint16_t> out;
  dumpmill::codec::MarkerInflateOptions opts;
  opts.max_blocks = 1;
  for (auto _ : state) {
    out.clear();
    std::uint64_t at = start;
    for (;;) {
      const auto r = dumpmill::codec::marker_inflate(gz, at, out, opts);
      if (r.status == dumpmill::codec::MarkerInflateStatus::kFinalBlock) break;
      if (r.status != dumpmill::codec::MarkerInflateStatus::kBoundary)
        throw std::runtime_error("inflate");
      at = r.end_bit;
      if (out.size() >= kTrim + dumpmill::codec::kWindowSize) {
        out.erase(out.begin(),
                  out.end() - static_cast<std::ptrdiff_t>(dumpmill::codec::kWindowSize));
      }
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.decoded_size));
}
BENCHMARK(BM_MarkerInflateBlockwise)->Unit(benchmark::kMillisecond);

// A rank's start-up cost without an index: find + confirm the first block boundary after a
// random compressed offset (confirmation decodes kConfirmBlocks blocks).
void BM_FindChunkStart(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  std::mt19937_64 rng(11);
  for (auto _ : state) {
    const std::uint64_t from = (rng() % (c.compressed_size - (1 << 20))) * 8;
    benchmark::DoNotOptimize(dumpmill::codec::find_chunk_start(c.gz, from));
  }
}
BENCHMARK(BM_FindChunkStart)->Unit(benchmark::kMillisecond);

// One rank of four decoding its quarter of the corpus: decode_chunk_from + resolve_markers
// with the true window (decoded bytes/s of that quarter).
void BM_DecodeChunkQuarter(benchmark::State& state) {
  const Corpus& c = Corpus::get();
  const std::uint64_t from = c.compressed_size / 4 * 8;
  const std::uint64_t to = c.compressed_size / 2 * 8;
  std::uint64_t decoded = 0;
  const std::vector<std::uint8_t> window(32 << 10, 'x');
  std::vector<std::uint8_t> bytes;
  for (auto _ : state) {
    auto chunk = dumpmill::codec::decode_chunk_from(c.gz, from, to);
    bytes.clear();
    dumpmill::codec::resolve_markers(chunk.symbols, window, bytes);
    decoded = bytes.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * decoded));
}
BENCHMARK(BM_DecodeChunkQuarter)->Unit(benchmark::kMillisecond);

// The corpus text cut into frames of `frame_bytes` (ZSTD_compress level 1, each frame declares
// its size: pzstd-like), written beside the corpus on first use.
const std::string& zstd_frames_file(std::size_t frame_bytes) {
  static std::map<std::size_t, std::string> files;
  auto it = files.find(frame_bytes);
  if (it != files.end()) return it->second;
  const Corpus& c = Corpus::get();
  const std::vector<std::uint8_t> text = slurp(c.plain);
  const std::string path = c.plain + ".frames-" + std::to_string(frame_bytes) + ".zst";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("open " + path);
  std::vector<std::uint8_t> frame(ZSTD_compressBound(frame_bytes));
  for (std::size_t at = 0; at < text.size(); at += frame_bytes) {
    const std::size_t n = std::min(frame_bytes, text.size() - at);
    const std::size_t z = ZSTD_compress(frame.data(), frame.size(), text.data() + at, n, 1);
    if (ZSTD_isError(z) || std::fwrite(frame.data(), 1, z, f) != z) {
      throw std::runtime_error("zstd " + path);
    }
  }
  if (std::fclose(f) != 0) throw std::runtime_error("close " + path);
  return files.emplace(frame_bytes, path).first->second;
}

// Rank 0's planning cost for a multi-frame .zst: walk every frame and block header (no
// decoding; the file is in the page cache). Rate in compressed bytes/s, plus frames/s.
void BM_WalkZstdFrames(benchmark::State& state) {
  const std::string& path = zstd_frames_file(static_cast<std::size_t>(state.range(0)));
  std::size_t frames = 0;
  std::uint64_t size = 0;
  for (auto _ : state) {
    const auto index = dumpmill::codec::walk_zstd_frames(path);
    frames = index.frames.size();
    size = index.file_size;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.counters["frames"] = static_cast<double>(frames);
  state.counters["frames_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WalkZstdFrames)
    ->ArgName("frame_bytes")
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMillisecond);

// Decoding the second half of a multi-frame .zst from its frame (open_zstd_at_frame) vs from
// the file start (open_decoded discards the first half). Decoded bytes/s of the second half.
void BM_ZstdSecondHalf(benchmark::State& state) {
  const std::string& path = zstd_frames_file(1 << 20);
  const auto index = dumpmill::codec::walk_zstd_frames(path);
  const std::uint64_t half = *index.decoded_size / 2;
  const auto& f = index.frames[*dumpmill::codec::zstd_frame_for_offset(index, half)];
  for (auto _ : state) {
    auto r = state.range(0) != 0 ? dumpmill::codec::open_zstd_at_frame(path, f.compressed_offset,
                                                                       *f.decoded_offset, half)
                                 : dumpmill::codec::open_decoded(path, Codec::kZstd, half);
    benchmark::DoNotOptimize(drain(*r, UINT64_MAX));
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * (*index.decoded_size - half)));
}
BENCHMARK(BM_ZstdSecondHalf)->ArgName("at_frame")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

// The serial step of the parallel gzip index: rank 0 composes one 32 KiB tail per rank
// (plan::build_gzip_index_parallel); the cost per rank bounds how far the scheme scales.
void BM_ComposeTails(benchmark::State& state) {
  std::mt19937_64 rng(5);
  std::vector<std::uint16_t> before(dumpmill::codec::kWindowSize);
  std::vector<std::uint16_t> after(dumpmill::codec::kWindowSize);
  for (auto& v : before) v = static_cast<std::uint16_t>(rng() % 256);
  for (auto& v : after)
    v = rng() % 3 == 0 ? static_cast<std::uint16_t>(dumpmill::codec::kMarkerBit | (rng() % 32768))
                       : static_cast<std::uint16_t>(rng() % 256);
  for (auto _ : state) {
    auto out = dumpmill::codec::compose_tails(before, after);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ComposeTails);

BENCHMARK_MAIN();
