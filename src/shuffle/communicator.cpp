// Shared checks of the Communicator contract.
#include "dumpmill/shuffle/communicator.hpp"

#include <climits>

namespace dumpmill::shuffle::detail {
namespace {

std::optional<std::string> too_big(int rank, const char* what,
                                   std::span<const std::uint64_t> counts) {
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) {
    total += c;  // each count is a buffer size, so the sum cannot wrap 64 bits
    if (c > static_cast<std::uint64_t>(INT_MAX) || total > static_cast<std::uint64_t>(INT_MAX)) {
      return "alltoallv on rank " + std::to_string(rank) + ": " + std::to_string(total) +
             " bytes to " + what + " in one round exceed MPI's int counts (2 GiB); " +
             "use smaller exchange rounds";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> alltoallv_count_problem(int rank,
                                                   std::span<const std::uint64_t> send_counts,
                                                   std::span<const std::uint64_t> recv_counts) {
  if (auto p = too_big(rank, "send", send_counts)) return p;
  return too_big(rank, "receive", recv_counts);
}

}  // namespace dumpmill::shuffle::detail
