// Writes the small table that check_load_table.py loads with the documented h5py snippet.
// Usage: mpiexec -n N h5_load_table_fixture OUT.h5  (the same 8 rows at any N; ranks split
// them unevenly and some hold none). The expected values are repeated, independently, in
// check_load_table.py.
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_writer.hpp"

namespace {

struct Row {
  std::string_view prev;
  std::string_view curr;
  std::uint8_t type;
  std::uint64_t n;
  std::int64_t delta;
  double share;
  std::uint32_t hour;
  std::uint8_t flag;
};

const Row kRows[] = {
    {"", "Main_Page", 0, 0, -1, 0.5, 0, 0},
    {"Quote \"double\" 'single'", "It's", 1, std::numeric_limits<std::uint64_t>::max(),
     std::numeric_limits<std::int64_t>::min(), -2.25, 23, 1},
    {"Tab\there", "back\\slash", 2, 1, std::numeric_limits<std::int64_t>::max(), 1e-300, 7, 255},
    {"Ünïcödé_日本語", "emoji 😀", 0, 42, 0, 3.0, 4294967295U, 2},
    {"new\nline", "", 3, 7, -7, -0.0, 1, 3},
    {"comma,semicolon;", "Ελληνικά", 1, 1000000, 5, 1e300, 2, 4},
    {"", "", 0, 3, 3, 0.125, 3, 5},
    {"last row", "Z", 2, 99, -99, 99.5, 99, 99},
};
constexpr int kRowCount = 8;
const std::vector<std::string> kTypes = {"link", "external", "other", "ÜberSeite"};

// Rows of each rank: at 2 and 4 ranks some ranks (rank 0 among them at 2) hold none.
int rows_of(int rank, int ranks) {
  if (ranks == 1) return kRowCount;
  if (ranks == 2) return rank == 0 ? 0 : kRowCount;
  if (ranks == 4) {
    static constexpr int kSplit[4] = {3, 0, 5, 0};
    return kSplit[rank];
  }
  return rank == ranks - 1 ? kRowCount : 0;
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
  int first = 0;
  for (int r = 0; r < rank; ++r) first += rows_of(r, ranks);
  const int count = rows_of(rank, ranks);

  std::vector<std::string_view> prev;
  std::vector<std::string_view> curr;
  std::vector<std::uint8_t> type;
  std::vector<std::uint64_t> n;
  std::vector<std::int64_t> delta;
  std::vector<double> share;
  std::vector<std::uint32_t> hour;
  std::vector<std::uint8_t> flag;
  for (int i = first; i < first + count; ++i) {
    prev.push_back(kRows[i].prev);
    curr.push_back(kRows[i].curr);
    type.push_back(kRows[i].type);
    n.push_back(kRows[i].n);
    delta.push_back(kRows[i].delta);
    share.push_back(kRows[i].share);
    hour.push_back(kRows[i].hour);
    flag.push_back(kRows[i].flag);
  }
  try {
    auto file = dumpmill::h5::ParallelFile::create(argv[1], MPI_COMM_WORLD);
    file.set_attribute("job", std::string_view("load_table fixture"));
    {
      dumpmill::h5::WriterOptions options;
      options.chunk_bytes = 16;  // several chunks even for 8 rows
      dumpmill::h5::TableWriter writer(file, "clickstream", static_cast<std::uint64_t>(count),
                                       options);
      writer.write_strings("prev", prev);
      writer.write_strings("curr", curr);
      writer.write_dictionary("type", type, kTypes);
      writer.write_u64("n", n);
      writer.write_i64("delta", delta);
      writer.write_f64("share", share);
      writer.write_u32("hour", hour);
      writer.write_u8("flag", flag);
    }
    {
      dumpmill::h5::TableWriter empty(file, "empty", 0);
      empty.write_strings("title", {});
      empty.write_dictionary("type", {}, kTypes);
      empty.write_u64("n", {});
    }
    file.close();
  } catch (const dumpmill::Error& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, e.exit_code());
  }
  MPI_Finalize();
  return 0;
}
