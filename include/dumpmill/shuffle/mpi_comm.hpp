// MPI behind RAII: the one MPI_Init/Finalize of a process, and a checked Communicator.
#pragma once

#include <mpi.h>

#include "dumpmill/shuffle/communicator.hpp"

namespace dumpmill::shuffle {

// MPI_Init_thread(MPI_THREAD_FUNNELED) in the constructor, MPI_Finalize in the destructor.
// Exactly one per process, in main(), outliving every MpiComm. FUNNELED: only the main
// thread calls MPI (decode threads, if any, hand buffers to it).
// Throws dumpmill::MpiError if MPI is already initialised or cannot provide FUNNELED.
class MpiEnvironment {
 public:
  MpiEnvironment(int& argc, char**& argv);
  MpiEnvironment();   // when argv is not at hand (Open MPI does not need it)
  ~MpiEnvironment();  // never throws; skips MPI_Finalize if something already finalised
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
};

// A Communicator over a private MPI_Comm_dup of `base` (MPI_COMM_WORLD by default), so
// our messages never mix with another library's (HDF5 dups its own too). The dup has
// MPI_ERRORS_RETURN: every return code is checked and a failure throws
// dumpmill::MpiError("MPI_Bcast failed on rank 3: <MPI_Error_string>").
// Move-only; a moved-from MpiComm throws std::logic_error from every collective.
class MpiComm final : public Communicator {
 public:
  explicit MpiComm(MPI_Comm base = MPI_COMM_WORLD);
  MpiComm(MpiComm&& other) noexcept;
  MpiComm& operator=(MpiComm&& other) noexcept;
  ~MpiComm() override;  // frees the dup (unless MPI is finalised); never throws

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void barrier() override;
  // Bytes move in pieces of at most 1 GiB, so any size works.
  std::vector<char> broadcast(std::vector<char> bytes, int root) override;
  // Counts go first (MPI_Alltoall of 64-bit counts, then an MPI_Allreduce of the
  // "too big" flag so every rank throws together instead of deadlocking); the payload then
  // moves by MPI_Irecv/MPI_Isend straight between each peer's vector, skipping empty peers.
  // No pack/unpack copy as MPI_Alltoallv would need: a round's peak memory is its send
  // plus its receive buffers, not twice each.
  std::vector<std::vector<char>> alltoallv(
      const std::vector<std::vector<char>>& send_by_dest) override;
  std::vector<std::uint64_t> allreduce_sum(std::span<const std::uint64_t> values) override;
  std::uint64_t allreduce_max(std::uint64_t value) override;
  std::uint64_t allreduce_min(std::uint64_t value) override;
  bool allreduce_or(bool value) override;
  std::uint64_t exscan_sum(std::uint64_t value) override;
  // Throws MpiError on every rank if root would receive 2 GiB or more in total.
  std::vector<std::vector<char>> gather(std::vector<char> bytes, int root) override;
  double max_time(double seconds) override;

  // The private communicator, for libraries that take one (parallel HDF5's fapl_mpio).
  MPI_Comm native() const noexcept { return comm_; }
  // MPI_Abort on MPI_COMM_WORLD: for a fault only this rank knows about (the others would
  // wait forever in the next collective).
  [[noreturn]] void abort(int code) noexcept;

 private:
  MPI_Comm live() const;  // comm_, or std::logic_error if moved from
  void check(int rc, const char* call) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
};

}  // namespace dumpmill::shuffle
