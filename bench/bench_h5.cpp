// h5 micro-benchmarks: write, full read and random-slice read of a 4 Mi-row u64 column, per
// chunk size and with/without the shuffle filter. One rank (MPI singleton), files in $TMPDIR.
// Run: build-h5/bench/bench_h5 --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

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
