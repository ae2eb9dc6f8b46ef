// Thread-backed Communicator for unit tests of multi-rank logic.
#include "dumpmill/shuffle/local_comm.hpp"

#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dumpmill/core/error.hpp"

namespace dumpmill::shuffle {
namespace {

using Parts = std::vector<std::vector<char>>;

// Thrown in ranks released from a collective because another rank failed; never the
// exception run_local reports (that one is recorded first).
class RankReleased : public std::runtime_error {
 public:
  RankReleased() : std::runtime_error("run_local: released after another rank failed") {}
};

// What one rank brings to a collective: which one it is, and a view of its data, valid
// until every rank has passed the collective's second phase.
struct Deposit {
  const char* op = nullptr;
  int root = -1;
  const Parts* parts = nullptr;
};

class Rendezvous {
 public:
  explicit Rendezvous(int ranks) : ranks_(ranks), deposits_(static_cast<std::size_t>(ranks)) {}

  std::vector<Deposit>& deposits() noexcept { return deposits_; }

  // Blocks until all ranks arrive (one phase of a collective).
  void wait_all() {
    std::unique_lock lock(mutex_);
    throw_if_broken();
    const std::uint64_t generation = generation_;
    if (++arrived_ == ranks_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != generation || failed_ || left_ > 0; });
    if (generation_ != generation) return;
    throw_if_broken();
  }

  void leave() {
    const std::lock_guard lock(mutex_);
    ++left_;
    cv_.notify_all();
  }

  void fail(std::exception_ptr e) {
    const std::lock_guard lock(mutex_);
    if (!first_error_) first_error_ = std::move(e);
    failed_ = true;
    cv_.notify_all();
  }

  std::exception_ptr first_error() const { return first_error_; }  // after all joined

 private:
  void throw_if_broken() const {
    if (failed_) throw RankReleased();
    if (left_ > 0) {
      throw std::logic_error(
          "run_local: a rank returned while others are in a collective (ranks made different "
          "numbers of collective calls)");
    }
  }

  const int ranks_;
  std::vector<Deposit> deposits_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
  int arrived_ = 0;
  int left_ = 0;
  bool failed_ = false;
  std::exception_ptr first_error_;
};

template <class T>
Parts one_part(const T& value) {
  Parts p(1, std::vector<char>(sizeof(T)));
  std::memcpy(p[0].data(), &value, sizeof(T));
  return p;
}

template <class T>
T value_of(const Deposit& d) {
  T v;
  std::memcpy(&v, (*d.parts)[0].data(), sizeof(T));
  return v;
}

class LocalComm final : public Communicator {
 public:
  LocalComm(Rendezvous& rendezvous, int rank, int size)
      : rendezvous_(rendezvous), rank_(rank), size_(size) {}

 private:
  // Phase 1: publish `mine`, wait for all. Read everything needed from all deposits
  // (copies). Phase 2: wait until every rank has read, so `mine` may then go away. A rank
  // that finds an error while reading still waits at phase 2 before throwing: its buffer
  // must outlive the other ranks' reads. (No rank can fail between the two phases, so
  // phase 2 always completes.)
  template <class Read>
  auto collective(const char* op, int root, const Parts& mine, Read&& read) {
    std::vector<Deposit>& all = rendezvous_.deposits();
    all[static_cast<std::size_t>(rank_)] = Deposit{op, root, &mine};
    rendezvous_.wait_all();
    std::optional<decltype(read(all))> result;
    std::exception_ptr error;
    try {
      for (std::size_t r = 0; r < all.size(); ++r) {
        if (std::strcmp(all[r].op, op) != 0 || all[r].root != root) {
          throw std::logic_error("run_local: rank " + std::to_string(rank_) + " called " + op +
                                 " (root " + std::to_string(root) + ") while rank " +
                                 std::to_string(r) + " called " + all[r].op + " (root " +
                                 std::to_string(all[r].root) + ")");
        }
      }
      result.emplace(read(all));
    } catch (...) {
      error = std::current_exception();
    }
    rendezvous_.wait_all();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }

 public:
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void barrier() override {
    collective("barrier", -1, Parts{}, [](const std::vector<Deposit>&) { return 0; });
  }

  std::vector<char> broadcast(std::vector<char> bytes, int root) override {
    check_root(root);
    Parts mine;
    mine.push_back(std::move(bytes));
    return collective("broadcast", root, mine, [root](const std::vector<Deposit>& all) {
      return (*all[static_cast<std::size_t>(root)].parts)[0];
    });
  }

  Parts alltoallv(const Parts& send_by_dest) override {
    if (send_by_dest.size() != static_cast<std::size_t>(size_)) {
      throw std::invalid_argument("alltoallv: " + std::to_string(send_by_dest.size()) +
                                  " send buffers for " + std::to_string(size_) + " ranks");
    }
    return collective("alltoallv", -1, send_by_dest, [this](const std::vector<Deposit>& all) {
      // Every rank checks every rank's counts, so all throw together, as MpiComm does.
      const auto n = static_cast<std::size_t>(size_);
      for (std::size_t r = 0; r < n; ++r) {
        std::vector<std::uint64_t> send(n);
        std::vector<std::uint64_t> recv(n);
        for (std::size_t p = 0; p < n; ++p) {
          send[p] = (*all[r].parts)[p].size();
          recv[p] = (*all[p].parts)[r].size();
        }
        if (auto problem = detail::alltoallv_count_problem(static_cast<int>(r), send, recv)) {
          throw MpiError(*problem);
        }
      }
      Parts received(n);
      for (std::size_t s = 0; s < n; ++s) {
        received[s] = (*all[s].parts)[static_cast<std::size_t>(rank_)];
      }
      return received;
    });
  }

  std::vector<std::uint64_t> allreduce_sum(std::span<const std::uint64_t> values) override {
    Parts mine(1, std::vector<char>(values.size_bytes()));
    if (!values.empty()) std::memcpy(mine[0].data(), values.data(), values.size_bytes());
    return collective("allreduce_sum", -1, mine, [&](const std::vector<Deposit>& all) {
      std::vector<std::uint64_t> sum(values.size(), 0);
      for (const Deposit& d : all) {
        const std::vector<char>& bytes = (*d.parts)[0];
        if (bytes.size() != values.size_bytes()) {
          throw std::logic_error("run_local: allreduce_sum called with different lengths");
        }
        for (std::size_t i = 0; i < sum.size(); ++i) {
          std::uint64_t v = 0;
          std::memcpy(&v, bytes.data() + i * sizeof v, sizeof v);
          sum[i] += v;
        }
      }
      return sum;
    });
  }

  std::uint64_t allreduce_max(std::uint64_t value) override {
    return collective("allreduce_max", -1, one_part(value), [](const std::vector<Deposit>& all) {
      std::uint64_t m = 0;
      for (const Deposit& d : all) m = std::max(m, value_of<std::uint64_t>(d));
      return m;
    });
  }

  std::uint64_t allreduce_min(std::uint64_t value) override {
    return collective("allreduce_min", -1, one_part(value), [](const std::vector<Deposit>& all) {
      std::uint64_t m = ~std::uint64_t{0};
      for (const Deposit& d : all) m = std::min(m, value_of<std::uint64_t>(d));
      return m;
    });
  }

  bool allreduce_or(bool value) override {
    return collective("allreduce_or", -1, one_part(value), [](const std::vector<Deposit>& all) {
      bool any = false;
      for (const Deposit& d : all) any = any || value_of<bool>(d);
      return any;
    });
  }

  std::uint64_t exscan_sum(std::uint64_t value) override {
    return collective("exscan_sum", -1, one_part(value), [this](const std::vector<Deposit>& all) {
      std::uint64_t sum = 0;
      for (int r = 0; r < rank_; ++r)
        sum += value_of<std::uint64_t>(all[static_cast<std::size_t>(r)]);
      return sum;
    });
  }

  Parts gather(std::vector<char> bytes, int root) override {
    check_root(root);
    Parts mine;
    mine.push_back(std::move(bytes));
    return collective("gather", root, mine, [this, root](const std::vector<Deposit>& all) {
      Parts out;
      if (rank_ != root) return out;
      for (const Deposit& d : all) out.push_back((*d.parts)[0]);
      return out;
    });
  }

  double max_time(double seconds) override {
    return collective("max_time", -1, one_part(seconds), [](const std::vector<Deposit>& all) {
      double m = value_of<double>(all[0]);
      for (const Deposit& d : all) m = std::max(m, value_of<double>(d));
      return m;
    });
  }

 private:
  void check_root(int root) const {
    if (root < 0 || root >= size_) {
      throw std::out_of_range("root " + std::to_string(root) + " outside [0, " +
                              std::to_string(size_) + ")");
    }
  }

  Rendezvous& rendezvous_;
  const int rank_;
  const int size_;
};

}  // namespace

void run_local(int ranks, const std::function<void(Communicator&)>& body) {
  if (ranks < 1) throw std::invalid_argument("run_local: ranks must be at least 1");
  Rendezvous rendezvous(ranks);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&rendezvous, &body, r, ranks] {
      try {
        LocalComm comm(rendezvous, r, ranks);
        body(comm);
        rendezvous.leave();
      } catch (...) {
        rendezvous.fail(std::current_exception());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (std::exception_ptr e = rendezvous.first_error()) std::rethrow_exception(e);
}

}  // namespace dumpmill::shuffle
