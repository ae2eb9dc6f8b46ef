// The collectives the pipeline needs, behind one interface: MPI in production, threads in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dumpmill::shuffle {

// A group of ranks. Every method is COLLECTIVE: every rank calls the same methods in the
// same order with matching arguments (same root, same span length), as in MPI. The calls
// are virtual and move whole buffers: use them once per batch or round, never per record.
// Failures throw dumpmill::MpiError (MpiComm) on every rank that can know about them;
// size checks that would otherwise deadlock are agreed collectively first.
class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  virtual void barrier() = 0;
  // Returns root's bytes on every rank (other ranks' `bytes` are ignored).
  virtual std::vector<char> broadcast(std::vector<char> bytes, int root) = 0;
  // One personalised all-to-all round: send_by_dest[d] goes to rank d; the result's [s]
  // is what rank s sent here. send_by_dest.size() must equal size() (std::invalid_argument).
  // Throws MpiError on every rank if any count or displacement on any rank would not fit
  // MPI's int (2 GiB).
  virtual std::vector<std::vector<char>> alltoallv(
      const std::vector<std::vector<char>>& send_by_dest) = 0;
  // Element-wise sum; every rank passes the same length.
  virtual std::vector<std::uint64_t> allreduce_sum(std::span<const std::uint64_t> values) = 0;
  virtual std::uint64_t allreduce_max(std::uint64_t value) = 0;
  virtual std::uint64_t allreduce_min(std::uint64_t value) = 0;
  virtual bool allreduce_or(bool value) = 0;
  // Sum of `value` over ranks below this one; 0 on rank 0 (MPI_Exscan leaves it undefined).
  virtual std::uint64_t exscan_sum(std::uint64_t value) = 0;
  // On root: every rank's bytes, indexed by rank. On other ranks: empty.
  virtual std::vector<std::vector<char>> gather(std::vector<char> bytes, int root) = 0;
  // Largest `seconds` over ranks (the wall time of a phase is its slowest rank's).
  virtual double max_time(double seconds) = 0;
};

namespace detail {

// Why an all-to-all with these per-peer byte counts cannot go through int counts and
// displacements (any count or running total above INT_MAX), or nullopt if it can.
// `rank` is only used in the message.
std::optional<std::string> alltoallv_count_problem(int rank,
                                                   std::span<const std::uint64_t> send_counts,
                                                   std::span<const std::uint64_t> recv_counts);

}  // namespace detail
}  // namespace dumpmill::shuffle
