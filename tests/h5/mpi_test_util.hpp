// Helpers for MPI tests of the h5 and sql stages: rank/size and a temp dir shared by all ranks.
#pragma once

#include <mpi.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace dumpmill::test {

inline int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int ranks() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// A fresh directory made by rank 0 and broadcast; removed (by rank 0) when destroyed.
// COLLECTIVE construction and destruction.
class SharedTempDir {
 public:
  SharedTempDir() {
    char buffer[4096] = {};
    if (rank() == 0) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "dumpmill-h5-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) MPI_Abort(MPI_COMM_WORLD, 1);
      pattern.copy(buffer, sizeof buffer - 1);
    }
    MPI_Bcast(buffer, sizeof buffer, MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = buffer;
  }
  ~SharedTempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank() == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  SharedTempDir(const SharedTempDir&) = delete;
  SharedTempDir& operator=(const SharedTempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Rows of rank r in tests: uneven, with empty ranks (1 and 3 hold nothing when present),
// so rank and chunk boundaries fall everywhere.
inline std::uint64_t uneven_rows(int r, std::uint64_t scale) {
  static constexpr std::uint64_t kPattern[4] = {3, 0, 5, 0};
  const std::uint64_t base = kPattern[r % 4];
  return base == 0 || scale == 0 ? 0 : base * scale + static_cast<std::uint64_t>(r);
}

}  // namespace dumpmill::test
