// Writes a table with the libdeflate deflate filter for check_deflate_file.py (stock h5py).
// Usage: mpiexec -n N h5_deflate_filter_fixture OUT.h5
// Writes OUT.h5 (table "t": string columns "title" and "noise", u64 column "n", chunks of
// 4099 bytes) and, from rank 0, the expected raw dataset contents OUT.h5.<dataset>.bin.
// Exits 1 if libdeflate could not replace HDF5's zlib filter (the check would prove nothing).
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "deflate_test_data.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/h5/deflate_filter.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_writer.hpp"

namespace {

// Rows of rank r: uneven, rank 1 holds none.
std::uint64_t rows_of(int r) { return r == 1 ? 0 : 2000 + 700 * static_cast<std::uint64_t>(r); }

bool write_raw(const std::string& path, const void* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (argc != 2) {
    if (rank == 0) std::fprintf(stderr, "usage: %s OUT.h5\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  if (!dumpmill::h5::use_libdeflate_for_deflate()) {
    if (rank == 0) std::fprintf(stderr, "libdeflate could not replace HDF5's deflate filter\n");
    MPI_Finalize();
    return 1;
  }
  std::uint64_t first = 0;
  std::uint64_t total = 0;
  for (int r = 0; r < ranks; ++r) {
    if (r < rank) first += rows_of(r);
    total += rows_of(r);
  }
  const std::uint64_t count = rows_of(rank);
  std::vector<std::string> titles;
  std::vector<std::string> noise;
  std::vector<std::uint64_t> counts;
  for (std::uint64_t g = first; g < first + count; ++g) {
    titles.push_back(dumpmill::test::title_at(g));
    noise.push_back(dumpmill::test::noise_at(g));
    counts.push_back(dumpmill::test::count_at(g));
  }
  try {
    auto file = dumpmill::h5::ParallelFile::create(argv[1], MPI_COMM_WORLD);
    {
      dumpmill::h5::WriterOptions options;
      options.chunk_bytes = 4099;
      dumpmill::h5::TableWriter writer(file, "t", count, options);
      writer.write_strings("title", std::vector<std::string_view>(titles.begin(), titles.end()));
      writer.write_strings("noise", std::vector<std::string_view>(noise.begin(), noise.end()));
      writer.write_u64("n", counts);
    }
    file.close();
  } catch (const dumpmill::Error& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, e.exit_code());
  }
  int failed = 0;
  if (rank == 0) {
    std::string title_bytes;
    std::string noise_bytes;
    std::vector<std::uint64_t> all_counts;
    for (std::uint64_t g = 0; g < total; ++g) {
      title_bytes += dumpmill::test::title_at(g);
      noise_bytes += dumpmill::test::noise_at(g);
      all_counts.push_back(dumpmill::test::count_at(g));
    }
    const std::string out = argv[1];
    const bool ok = write_raw(out + ".title.bytes.bin", title_bytes.data(), title_bytes.size()) &&
                    write_raw(out + ".noise.bytes.bin", noise_bytes.data(), noise_bytes.size()) &&
                    write_raw(out + ".n.bin", all_counts.data(), all_counts.size() * 8);
    if (!ok) {
      std::fprintf(stderr, "cannot write the expected-content files next to %s\n", argv[1]);
      failed = 1;
    }
  }
  MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}
