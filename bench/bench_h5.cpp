// h5 micro-benchmarks: write, full read and random-slice read of a 4 Mi-row u64 column, per
// chunk size and with/without the shuffle filter; a ~40 MB string column and bare 512 KiB
// chunks deflated by zlib vs libdeflate. One rank (MPI singleton), files in $TMPDIR.
// Run: build-h5/bench/bench_h5 --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <mpi.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/h5/deflate_filter.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_reader.hpp"
#include "dumpmill/h5/table_writer.hpp"

namespace {

constexpr std::size_t kRows = std::size_t{4} << 20;

// Clickstream-like columns: "n" a heavy-tailed count (>10, Pareto), "id" a page id below 7e7.
const std::vector<std::uint64_t>& column(bool ids) {
  static const auto data = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(1e-12, 1.0);
    std::uniform_int_distribution<std::uint64_t> page(1, 70'000'000);
    std::vector<std::vector<std::uint64_t>> cols(2, std::vector<std::uint64_t>(kRows));
    for (std::size_t i = 0; i < kRows; ++i) {
      cols[0][i] = 11 + static_cast<std::uint64_t>(std::pow(unit(rng), -1.3));
      cols[1][i] = page(rng);
    }
    return cols;
  }();
  return data[ids ? 1 : 0];
}

std::string temp_file(const std::string& tag) {
  return (std::filesystem::temp_directory_path() /
          ("bench_h5-" + std::to_string(::getpid()) + "-" + tag + ".h5"))
      .string();
}

dumpmill::h5::WriterOptions options_of(const benchmark::State& state) {
  dumpmill::h5::WriterOptions options;
  options.chunk_bytes = static_cast<std::uint64_t>(state.range(0)) << 10;
  options.shuffle_integers = state.range(1) != 0;
  return options;
}

void write_file(const std::string& path, bool ids, dumpmill::h5::WriterOptions options) {
  auto file = dumpmill::h5::ParallelFile::create(path, MPI_COMM_WORLD);
  {
    dumpmill::h5::TableWriter writer(file, "t", kRows, options);
    writer.write_u64("c", column(ids));
  }
  file.close();
}

// Args: chunk KiB, shuffle on/off, column (0 = counts, 1 = page ids).
void BM_WriteU64(benchmark::State& state) {
  const std::string path = temp_file("w");
  const bool ids = state.range(2) != 0;
  column(ids);
  for (auto _ : state) write_file(path, ids, options_of(state));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRows * 8));
  state.counters["file_MiB"] =
      static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
  std::filesystem::remove(path);
}

void BM_ReadU64Full(benchmark::State& state) {
  const std::string path = temp_file("r");
  const bool ids = state.range(2) != 0;
  write_file(path, ids, options_of(state));
  std::vector<std::uint64_t> batch(65536);
  for (auto _ : state) {
    dumpmill::h5::TableReader reader(path, "t");
    for (std::uint64_t first = 0; first < kRows; first += batch.size()) {
      reader.read_u64("c", first, batch);
      benchmark::DoNotOptimize(batch.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRows * 8));
  std::filesystem::remove(path);
}

// A reader's point query: open, read 1000 rows at a random place (decompresses 1-2 chunks).
void BM_ReadU64Slice(benchmark::State& state) {
  const std::string path = temp_file("s");
  const bool ids = state.range(2) != 0;
  write_file(path, ids, options_of(state));
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> where(0, kRows - 1000);
  std::vector<std::uint64_t> slice(1000);
  for (auto _ : state) {
    dumpmill::h5::TableReader reader(path, "t");
    reader.read_u64("c", where(rng), slice);
    benchmark::DoNotOptimize(slice.data());
  }
  std::filesystem::remove(path);
}

void chunk_grid(benchmark::internal::Benchmark* b) {
  for (const std::int64_t ids : {0, 1}) {
    for (const std::int64_t kib : {64, 256, 512, 1024, 4096}) {
      for (const std::int64_t shuffle : {0, 1}) b->Args({kib, shuffle, ids});
    }
  }
  b->ArgNames({"chunk_KiB", "shuffle", "ids"})->Unit(benchmark::kMillisecond);
}

// ---- deflate: HDF5's zlib filter vs dumpmill's libdeflate one --------------------------

// Clickstream-like page titles: 1-4 Zipf-chosen words of random syllables joined by '_', some
// with a "_(film)"-style suffix or a year. zlib -1 shrinks this to ~0.5 of its size, like
// real titles (0.52 on the 10k-row random sample of enwiki-2024-10).
const std::vector<std::string>& titles() {
  static const std::vector<std::string> data = [] {
    static const char* const kSyllables[] = {
        "an", "ber", "ca", "de",  "el",  "for",   "ga",   "hi", "in", "jo", "ka", "li", "ma",
        "ne", "or",  "pa", "qu",  "ra",  "son",   "ta",   "un", "vi", "wa", "xe", "yo", "zu",
        "st", "ch",  "th", "ing", "ton", "ville", "land", "ia", "ol", "ur", "ex", "ism"};
    static const char* const kSuffixes[] = {"_(film)", "_(album)", "_(band)", "_(song)",
                                            "_F.C.",   "_County",  "_River",  "_(disambiguation)"};
    std::mt19937_64 rng(2024);
    std::uniform_int_distribution<std::size_t> syllable(0, std::size(kSyllables) - 1);
    std::uniform_int_distribution<int> syllables(1, 4);
    std::vector<std::string> words(60'000);
    for (std::string& w : words) {
      for (int i = syllables(rng); i > 0; --i) w += kSyllables[syllable(rng)];
      w[0] = static_cast<char>(w[0] - 'a' + 'A');
    }
    // Zipf-like: word rank r is chosen with probability ~ 1/r.
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto zipf = [&] {
      return words[std::min(
          words.size() - 1,
          static_cast<std::size_t>(std::exp(unit(rng) * std::log(60'000.0))) - 1)];
    };
    std::uniform_int_distribution<int> word_count(1, 4);
    std::uniform_int_distribution<int> extra(0, 19);
    std::uniform_int_distribution<int> year(1900, 2024);
    std::vector<std::string> out(2'400'000);  // ~40 MB
    for (std::string& t : out) {
      t = zipf();
      for (int i = word_count(rng) - 1; i > 0; --i) (t += '_') += zipf();
      const int e = extra(rng);
      if (e == 0) t += kSuffixes[static_cast<std::size_t>(year(rng)) % std::size(kSuffixes)];
      if (e == 1) (t += '_') += std::to_string(year(rng));
    }
    return out;
  }();
  return data;
}

std::size_t title_bytes() {
  std::size_t n = 0;
  for (const std::string& t : titles()) n += t.size();
  return n;
}

// Puts the deflate filter a benchmark measures in place: HDF5's own zlib one (arg 0) or
// libdeflate's (arg 1). use_libdeflate_for_deflate() first, so that ParallelFile::create's
// one-time registration cannot undo the choice.
bool use_deflate_of(benchmark::State& state) {
  dumpmill::h5::use_libdeflate_for_deflate();
  if (dumpmill::h5::detail::select_deflate(state.range(0) != 0)) return true;
  state.SkipWithError("this HDF5 does not let the deflate filter be replaced");
  return false;
}

// Leaves libdeflate registered for the benchmarks that follow, as in the pipeline.
void restore_libdeflate() { dumpmill::h5::detail::select_deflate(true); }

// Arg: 0 = zlib (HDF5's filter), 1 = libdeflate. One string column of 2.4 M titles
// (~40 MB of text) in 512 KiB chunks, deflate level 1, written and closed.
void BM_WriteStrings(benchmark::State& state) {
  const std::string path = temp_file("str");
  std::vector<std::string_view> views(titles().begin(), titles().end());
  if (!use_deflate_of(state)) return;
  for (auto _ : state) {
    auto file = dumpmill::h5::ParallelFile::create(path, MPI_COMM_WORLD);
    {
      dumpmill::h5::TableWriter writer(file, "t", views.size());
      writer.write_strings("title", views);
    }
    file.close();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * title_bytes()));
  state.counters["text_MB"] = static_cast<double>(title_bytes()) / 1e6;
  state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  std::filesystem::remove(path);
  restore_libdeflate();
}

// Reads the whole string column back (inflate of every chunk through the registered filter).
void BM_ReadStrings(benchmark::State& state) {
  const std::string path = temp_file("strr");
  std::vector<std::string_view> views(titles().begin(), titles().end());
  if (!use_deflate_of(state)) return;
  {
    auto file = dumpmill::h5::ParallelFile::create(path, MPI_COMM_WORLD);
    {
      dumpmill::h5::TableWriter writer(file, "t", views.size());
      writer.write_strings("title", views);
    }
    file.close();
  }
  dumpmill::h5::StringSlice batch;
  for (auto _ : state) {
    dumpmill::h5::TableReader reader(path, "t");
    for (std::uint64_t first = 0; first < reader.rows(); first += 65536) {
      reader.read_strings("title", first, std::min<std::uint64_t>(65536, reader.rows() - first),
                          batch);
      benchmark::DoNotOptimize(batch.size());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * title_bytes()));
  std::filesystem::remove(path);
  restore_libdeflate();
}

// The codecs alone on the same text: 512 KiB chunks (WriterOptions' default) at level 1.
void BM_DeflateChunks(benchmark::State& state) {
  const bool libdeflate = state.range(0) != 0;
  std::string text;
  for (const std::string& t : titles()) text += t;
  constexpr std::size_t kChunk = std::size_t{512} << 10;
  std::vector<unsigned char> out(compressBound(kChunk));
  libdeflate_compressor* compressor = libdeflate_alloc_compressor(1);
  std::size_t packed = 0;
  for (auto _ : state) {
    packed = 0;
    for (std::size_t at = 0; at < text.size(); at += kChunk) {
      const std::size_t n = std::min(kChunk, text.size() - at);
      if (libdeflate) {
        packed += libdeflate_zlib_compress(compressor, text.data() + at, n, out.data(), out.size());
      } else {
        uLongf size = static_cast<uLongf>(out.size());
        compress2(out.data(), &size, reinterpret_cast<const Bytef*>(text.data() + at),
                  static_cast<uLong>(n), 1);
        packed += size;
      }
    }
  }
  libdeflate_free_compressor(compressor);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["ratio"] = static_cast<double>(packed) / static_cast<double>(text.size());
}

BENCHMARK(BM_WriteStrings)->Arg(0)->Arg(1)->ArgName("libdeflate")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadStrings)->Arg(0)->Arg(1)->ArgName("libdeflate")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeflateChunks)->Arg(0)->Arg(1)->ArgName("libdeflate")->Unit(benchmark::kMillisecond);

BENCHMARK(BM_WriteU64)->Apply(chunk_grid);
BENCHMARK(BM_ReadU64Full)->Apply(chunk_grid);
BENCHMARK(BM_ReadU64Slice)->Apply(chunk_grid)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
