// ParallelFile: one HDF5 file created and written by all ranks of a communicator (MPI-IO driver).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "dumpmill/h5/handle.hpp"

namespace dumpmill::h5 {

// The value of a scalar attribute (the types set_attribute accepts).
using AttributeValue = std::variant<std::uint64_t, std::int64_t, double, std::string_view>;

// A results file open for collective writing. Every member function is COLLECTIVE over the
// communicator given to create(): all ranks call it, in the same order, with identical
// arguments (HDF5 metadata is replicated on every rank; diverging arguments corrupt the file).
// The cheap arguments (attribute names and values) are checked with one MPI_Allreduce, so a
// mismatch throws H5Error on every rank instead of hanging or corrupting.
//
// Failures throw H5Error on every rank where HDF5 detects them. A failure on one rank only
// (e.g. bad_alloc) leaves the others waiting in the next collective: the driver must then
// MPI_Abort, as for any one-rank fault.
class ParallelFile {
 public:
  // Creates (truncates) `path` with the MPI-IO driver and collective metadata reads and writes
  // (H5Pset_all_coll_metadata_ops + H5Pset_coll_metadata_write: one rank writes metadata, no
  // rank issues independent small metadata reads). `comm` must outlive this object and every
  // TableWriter on it. Throws H5Error naming `path` (e.g. missing directory, no permission).
  static ParallelFile create(const std::string& path, MPI_Comm comm);

  ParallelFile(ParallelFile&&) noexcept = default;
  ParallelFile& operator=(ParallelFile&&) noexcept = default;
  ParallelFile(const ParallelFile&) = delete;
  ParallelFile& operator=(const ParallelFile&) = delete;
  // Closes without reporting (collective, like close()). Call close() to learn of failures.
  ~ParallelFile() = default;

  // Root-group attribute, replaced if it exists. COLLECTIVE, identical arguments on every rank.
  // uint64/int64/double become scalar H5T_STD_U64LE/H5T_STD_I64LE/H5T_IEEE_F64LE; strings a
  // scalar variable-length UTF-8 string (h5py returns str). Pass integers with their exact type
  // (std::uint64_t{n}): a plain int literal is ambiguous on purpose, the file type must be chosen.
  void set_attribute(std::string_view name, std::uint64_t value);
  void set_attribute(std::string_view name, std::int64_t value);
  void set_attribute(std::string_view name, double value);
  void set_attribute(std::string_view name, std::string_view value);

  // Flushes and closes the file. COLLECTIVE. Throws H5Error if the final flush fails (disk
  // full, I/O error); the file is closed either way and must not be published.
  void close();

  bool is_open() const noexcept { return file_.valid(); }
  hid_t id() const noexcept { return file_.get(); }
  MPI_Comm comm() const noexcept { return comm_; }
  const std::string& path() const noexcept { return path_; }

 private:
  ParallelFile(Handle file, MPI_Comm comm, std::string path);

  Handle file_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string path_;
};

}  // namespace dumpmill::h5
