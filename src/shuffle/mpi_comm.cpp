// Checked MPI calls behind the Communicator interface.
#include "dumpmill/shuffle/mpi_comm.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::shuffle {
namespace {

// Largest piece one MPI call moves in broadcast(): far below INT_MAX.
constexpr std::size_t kMaxPiece = std::size_t{1} << 30;

std::string error_string(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    return "MPI error code " + std::to_string(rc);
  return std::string(text, static_cast<std::size_t>(len));
}

void init_funneled(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized)
    throw MpiError("MPI is already initialised: create one MpiEnvironment, in main()");
  int provided = 0;
  const int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) throw MpiError("MPI_Init_thread failed: " + error_string(rc));
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw MpiError("MPI_Init_thread: this MPI cannot provide MPI_THREAD_FUNNELED");
  }
}

}  // namespace

MpiEnvironment::MpiEnvironment(int& argc, char**& argv) { init_funneled(&argc, &argv); }

MpiEnvironment::MpiEnvironment() { init_funneled(nullptr, nullptr); }

MpiEnvironment::~MpiEnvironment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

MpiComm::MpiComm(MPI_Comm base) {
  MPI_Comm dup = MPI_COMM_NULL;
  // Errors on `base` itself go to its handler (fatal by default): nothing to check yet.
  if (const int rc = MPI_Comm_dup(base, &dup); rc != MPI_SUCCESS) {
    throw MpiError("MPI_Comm_dup failed: " + error_string(rc));
  }
  comm_ = dup;
  check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

MpiComm::MpiComm(MpiComm&& other) noexcept
    : Communicator(),
      comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      rank_(other.rank_),
      size_(other.size_) {}

MpiComm& MpiComm::operator=(MpiComm&& other) noexcept {
  if (this != &other) {
    MpiComm old(std::move(*this));
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

MpiComm::~MpiComm() {
  if (comm_ == MPI_COMM_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);  // return code ignored: nothing useful to do here
}

MPI_Comm MpiComm::live() const {
  if (comm_ == MPI_COMM_NULL) throw std::logic_error("MpiComm used after being moved from");
  return comm_;
}

void MpiComm::check(int rc, const char* call) const {
  if (rc != MPI_SUCCESS) {
    throw MpiError(std::string(call) + " failed on rank " + std::to_string(rank_) + ": " +
                   error_string(rc));
  }
}

void MpiComm::barrier() { check(MPI_Barrier(live()), "MPI_Barrier"); }

std::vector<char> MpiComm::broadcast(std::vector<char> bytes, int root) {
  const MPI_Comm c = live();
  std::uint64_t n = bytes.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, c), "MPI_Bcast");
  if (rank_ != root) bytes.assign(static_cast<std::size_t>(n), 0);
  for (std::size_t at = 0; at < bytes.size(); at += kMaxPiece) {
    const std::size_t piece = std::min(kMaxPiece, bytes.size() - at);
    check(MPI_Bcast(bytes.data() + at, static_cast<int>(piece), MPI_BYTE, root, c), "MPI_Bcast");
  }
  return bytes;
}

std::vector<std::vector<char>> MpiComm::alltoallv(
    const std::vector<std::vector<char>>& send_by_dest) {
  const MPI_Comm c = live();
  if (send_by_dest.size() != static_cast<std::size_t>(size_)) {
    throw std::invalid_argument("alltoallv: " + std::to_string(send_by_dest.size()) +
                                " send buffers for " + std::to_string(size_) + " ranks");
  }
  const auto n = static_cast<std::size_t>(size_);
  std::vector<std::uint64_t> send_counts(n);
  std::vector<std::uint64_t> recv_counts(n);
  for (std::size_t d = 0; d < n; ++d) send_counts[d] = send_by_dest[d].size();
  check(MPI_Alltoall(send_counts.data(), 1, MPI_UINT64_T, recv_counts.data(), 1, MPI_UINT64_T, c),
        "MPI_Alltoall");
  const auto problem = detail::alltoallv_count_problem(rank_, send_counts, recv_counts);
  int bad = problem ? 1 : 0;
  check(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_LOR, c), "MPI_Allreduce");
  if (bad) {
    throw MpiError(problem ? *problem
                           : "alltoallv on rank " + std::to_string(rank_) +
                                 ": another rank's round exceeds MPI's int counts (2 GiB)");
  }

  std::vector<std::vector<char>> received(n);
  std::vector<MPI_Request> requests;
  requests.reserve(2 * n);
  for (std::size_t s = 0; s < n; ++s) {
    received[s].resize(static_cast<std::size_t>(recv_counts[s]));
    if (s == static_cast<std::size_t>(rank_) || recv_counts[s] == 0) continue;
    requests.emplace_back();
    check(MPI_Irecv(received[s].data(), static_cast<int>(recv_counts[s]), MPI_BYTE,
                    static_cast<int>(s), 0, c, &requests.back()),
          "MPI_Irecv");
  }
  for (std::size_t d = 0; d < n; ++d) {
    if (d == static_cast<std::size_t>(rank_) || send_counts[d] == 0) continue;
    requests.emplace_back();
    check(MPI_Isend(send_by_dest[d].data(), static_cast<int>(send_counts[d]), MPI_BYTE,
                    static_cast<int>(d), 0, c, &requests.back()),
          "MPI_Isend");
  }
  const auto self = static_cast<std::size_t>(rank_);
  if (!send_by_dest[self].empty()) {
    std::memcpy(received[self].data(), send_by_dest[self].data(), send_by_dest[self].size());
  }
  check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
        "MPI_Waitall");
  return received;
}

std::vector<std::uint64_t> MpiComm::allreduce_sum(std::span<const std::uint64_t> values) {
  const MPI_Comm c = live();
  if (values.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("allreduce_sum: more than INT_MAX values");
  }
  std::vector<std::uint64_t> out(values.size());
  check(MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_UINT64_T,
                      MPI_SUM, c),
        "MPI_Allreduce");
  return out;
}

std::uint64_t MpiComm::allreduce_max(std::uint64_t value) {
  std::uint64_t out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_UINT64_T, MPI_MAX, live()), "MPI_Allreduce");
  return out;
}

std::uint64_t MpiComm::allreduce_min(std::uint64_t value) {
  std::uint64_t out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_UINT64_T, MPI_MIN, live()), "MPI_Allreduce");
  return out;
}

bool MpiComm::allreduce_or(bool value) {
  int in = value ? 1 : 0;
  int out = 0;
  check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, live()), "MPI_Allreduce");
  return out != 0;
}

std::uint64_t MpiComm::exscan_sum(std::uint64_t value) {
  std::uint64_t out = 0;
  check(MPI_Exscan(&value, &out, 1, MPI_UINT64_T, MPI_SUM, live()), "MPI_Exscan");
  return rank_ == 0 ? 0 : out;
}

std::vector<std::vector<char>> MpiComm::gather(std::vector<char> bytes, int root) {
  const MPI_Comm c = live();
  const auto n = static_cast<std::size_t>(size_);
  // Allgather, not Gather, of the sizes: every rank then knows whether the total fits an
  // int and all throw together.
  std::uint64_t mine = bytes.size();
  std::vector<std::uint64_t> sizes(n);
  check(MPI_Allgather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, c), "MPI_Allgather");
  std::uint64_t total = 0;
  for (const std::uint64_t s : sizes) total += s;
  if (total > static_cast<std::uint64_t>(INT_MAX)) {
    throw MpiError("gather on rank " + std::to_string(rank_) + ": " + std::to_string(total) +
                   " bytes exceed MPI's int counts (2 GiB)");
  }
  std::vector<int> counts(n);
  std::vector<int> displs(n);
  int at = 0;
  for (std::size_t r = 0; r < n; ++r) {
    counts[r] = static_cast<int>(sizes[r]);
    displs[r] = at;
    at += counts[r];
  }
  const bool is_root = rank_ == root;
  std::vector<char> packed(is_root ? static_cast<std::size_t>(total) : 0);
  check(MPI_Gatherv(bytes.data(), static_cast<int>(mine), MPI_BYTE, packed.data(), counts.data(),
                    displs.data(), MPI_BYTE, root, c),
        "MPI_Gatherv");
  std::vector<std::vector<char>> out;
  if (!is_root) return out;
  out.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
    out[r].assign(packed.begin() + displs[r], packed.begin() + displs[r] + counts[r]);
  }
  return out;
}

double MpiComm::max_time(double seconds) {
  double out = 0;
  check(MPI_Allreduce(&seconds, &out, 1, MPI_DOUBLE, MPI_MAX, live()), "MPI_Allreduce");
  return out;
}

void MpiComm::abort(int code) noexcept {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
}

}  // namespace dumpmill::shuffle
