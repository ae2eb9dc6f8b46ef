// sql micro-benchmark: export_table of a 1e6-row clickstream-like table (two string columns,
// a dictionary column, a count) from HDF5 into a fresh SQLite file, committed. One rank.
// Run: build-h5/bench/bench_sql --benchmark_min_time=0.2   (items_per_second = rows/s)
#include <benchmark/benchmark.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_writer.hpp"
#include "dumpmill/sql/sqlite_export.hpp"
#include "dumpmill/sql/table_export.hpp"

namespace {

constexpr std::uint64_t kRows = 1'000'000;

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("bench_sql-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Titles like enwiki's (median ~15 bytes), drawn from 200k distinct pages.
const std::string& h5_file() {
  static const std::string path = [] {
    const std::string p = temp_file("in.h5");
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<int> page(0, 199'999);
    std::uniform_int_distribution<int> type(0, 2);
    std::vector<std::string> prev(kRows);
    std::vector<std::string> curr(kRows);
    std::vector<std::uint8_t> types(kRows);
    std::vector<std::uint64_t> n(kRows);
    for (std::uint64_t i = 0; i < kRows; ++i) {
      prev[i] = "Some_Page_Title_" + std::to_string(page(rng));
      curr[i] = "Other_Title_" + std::to_string(page(rng));
      types[i] = static_cast<std::uint8_t>(type(rng));
      n[i] = 11 + i % 1000;
    }
    const std::vector<std::string_view> prev_views(prev.begin(), prev.end());
    const std::vector<std::string_view> curr_views(curr.begin(), curr.end());
    const std::vector<std::string> dictionary = {"link", "external", "other"};
    auto file = dumpmill::h5::ParallelFile::create(p, MPI_COMM_WORLD);
    {
      dumpmill::h5::TableWriter writer(file, "clickstream", kRows);
      writer.write_strings("prev", prev_views);
      writer.write_strings("curr", curr_views);
      writer.write_dictionary("type", types, dictionary);
      writer.write_u64("n", n);
    }
    file.close();
    return p;
  }();
  return path;
}

void BM_ExportTable(benchmark::State& state) {
  const std::string& in = h5_file();
  const std::string out = temp_file("out.db");
  const dumpmill::sql::TableExport table{
      "clickstream",
      "clickstream",
      {{"prev", "prev", dumpmill::sql::ColumnExport::kString},
       {"curr", "curr", dumpmill::sql::ColumnExport::kString},
       {"type", "type", dumpmill::sql::ColumnExport::kDictionary},
       {"n", "n", dumpmill::sql::ColumnExport::kU64}},
      {}};
  for (auto _ : state) {
    dumpmill::sql::SqliteExport load(out);
    benchmark::DoNotOptimize(dumpmill::sql::export_table(load.db(), in, table,
                                                         static_cast<std::size_t>(state.range(0))));
    load.commit();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
  std::filesystem::remove(out);
}
BENCHMARK(BM_ExportTable)->Arg(4096)->Arg(65536)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove(temp_file("in.h5"));  // made lazily by the first benchmark
  MPI_Finalize();
  return 0;
}
