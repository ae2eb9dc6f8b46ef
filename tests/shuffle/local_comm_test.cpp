// Collectives of the in-process communicator at 1, 2, 3, 4 and 7 ranks, and its misuse checks.
#include "dumpmill/shuffle/local_comm.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"

namespace dumpmill::shuffle {
namespace {

class LocalCommTest : public ::testing::TestWithParam<int> {};

std::vector<char> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<char>& v) { return {v.begin(), v.end()}; }

TEST_P(LocalCommTest, Collectives) {
  const int n = GetParam();
  std::mutex m;
  std::vector<std::string> failures;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) {
      const std::lock_guard lock(m);
      failures.push_back(what);
    }
  };
  std::atomic<int> ran{0};
  run_local(n, [&](Communicator& c) {
    const int r = c.rank();
    const auto ur = static_cast<std::uint64_t>(r);
    expect(c.size() == n, "size");
    ++ran;
    c.barrier();
    expect(c.exscan_sum(ur + 1) == ur * (ur + 1) / 2, "exscan");
    const std::vector<std::uint64_t> v = {1, ur, 1000};
    const auto s = c.allreduce_sum(v);
    const auto un = static_cast<std::uint64_t>(n);
    expect(s == std::vector<std::uint64_t>{un, un * (un - 1) / 2, 1000 * un}, "allreduce_sum");
    expect(c.allreduce_sum({}).empty(), "allreduce_sum empty");
    expect(c.allreduce_max(ur * 10) == (un - 1) * 10, "max");
    expect(c.allreduce_min(ur + 5) == 5, "min");
    expect(c.allreduce_or(r == n - 1), "or true");
    expect(!c.allreduce_or(false), "or false");
    expect(c.max_time(r == 0 ? 2.5 : 1.0) == 2.5, "max_time");
    const auto b = c.broadcast(r == n - 1 ? bytes("from last") : bytes("junk"), n - 1);
    expect(text(b) == "from last", "broadcast");
    expect(c.broadcast({}, 0).empty(), "broadcast empty");
    const auto g = c.gather(bytes(std::string(static_cast<std::size_t>(r), 'x')), 0);
    if (r == 0) {
      expect(g.size() == static_cast<std::size_t>(n), "gather size");
      for (int i = 0; i < n && i < static_cast<int>(g.size()); ++i) {
        expect(g[static_cast<std::size_t>(i)].size() == static_cast<std::size_t>(i), "gather part");
      }
    } else {
      expect(g.empty(), "gather non-root empty");
    }
    // alltoallv: rank r sends "r>d" to every d except to itself; then all-empty rounds.
    std::vector<std::vector<char>> send(static_cast<std::size_t>(n));
    for (int d = 0; d < n; ++d) {
      if (d != r)
        send[static_cast<std::size_t>(d)] = bytes(std::to_string(r) + ">" + std::to_string(d));
    }
    const auto got = c.alltoallv(send);
    expect(got.size() == static_cast<std::size_t>(n), "alltoallv size");
    for (int s2 = 0; s2 < n && s2 < static_cast<int>(got.size()); ++s2) {
      const std::string want = s2 == r ? "" : std::to_string(s2) + ">" + std::to_string(r);
      expect(text(got[static_cast<std::size_t>(s2)]) == want, "alltoallv part");
    }
    const auto empty = c.alltoallv(std::vector<std::vector<char>>(static_cast<std::size_t>(n)));
    for (const auto& e : empty) expect(e.empty(), "alltoallv empty");
  });
  EXPECT_EQ(ran.load(), n);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

TEST_P(LocalCommTest, FirstExceptionIsRethrownAndOthersAreReleased) {
  const int n = GetParam();
  // Rank 0 fails before the barrier the others wait in: run_local must return, rethrowing it.
  try {
    run_local(n, [](Communicator& c) {
      if (c.rank() == 0) throw std::runtime_error("rank 0 broke");
      c.barrier();
      c.barrier();
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "rank 0 broke");
  }
}

TEST_P(LocalCommTest, MismatchedCollectivesFailInsteadOfHanging) {
  const int n = GetParam();
  if (n == 1) GTEST_SKIP() << "needs two ranks to disagree";
  EXPECT_THROW(run_local(n,
                         [](Communicator& c) {
                           if (c.rank() == 0) {
                             c.barrier();
                           } else {
                             c.allreduce_or(true);
                           }
                         }),
               std::logic_error);
  EXPECT_THROW(run_local(n, [](Communicator& c) { c.broadcast({}, c.rank() == 0 ? 0 : 1); }),
               std::logic_error);
  EXPECT_THROW(run_local(n,
                         [](Communicator& c) {
                           std::vector<std::uint64_t> v(static_cast<std::size_t>(c.rank()) + 1);
                           c.allreduce_sum(v);
                         }),
               std::logic_error);
  // Unequal numbers of calls: rank 0 returns while the others wait in a barrier.
  EXPECT_THROW(run_local(n,
                         [](Communicator& c) {
                           if (c.rank() != 0) c.barrier();
                         }),
               std::logic_error);
}

TEST_P(LocalCommTest, BadArguments) {
  const int n = GetParam();
  EXPECT_THROW(run_local(n, [n](Communicator& c) { c.broadcast({}, n); }), std::out_of_range);
  EXPECT_THROW(run_local(n, [](Communicator& c) { c.gather({}, -1); }), std::out_of_range);
  EXPECT_THROW(
      run_local(n,
                [n](Communicator& c) {
                  c.alltoallv(std::vector<std::vector<char>>(static_cast<std::size_t>(n) + 1));
                }),
      std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Ranks, LocalCommTest, ::testing::Values(1, 2, 3, 4, 7));

TEST(LocalComm, RejectsZeroRanks) {
  EXPECT_THROW(run_local(0, [](Communicator&) {}), std::invalid_argument);
}

TEST(AlltoallvCounts, FlagsWhatWouldOverflowInt) {
  const std::uint64_t max = INT_MAX;
  const std::vector<std::uint64_t> small = {1, 2, 3};
  EXPECT_FALSE(detail::alltoallv_count_problem(0, small, small));
  const std::vector<std::uint64_t> just_fits = {max - 3, 1, 2};
  EXPECT_FALSE(detail::alltoallv_count_problem(0, just_fits, just_fits));
  const std::vector<std::uint64_t> one_big = {max + 1, 0, 0};
  const std::vector<std::uint64_t> total_big = {max / 2 + 1, max / 2 + 1, 0};
  EXPECT_TRUE(detail::alltoallv_count_problem(0, one_big, small));
  EXPECT_TRUE(detail::alltoallv_count_problem(0, small, total_big));
  const auto msg = detail::alltoallv_count_problem(3, total_big, small);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("rank 3"), std::string::npos) << *msg;
  EXPECT_NE(msg->find("send"), std::string::npos) << *msg;
}

}  // namespace
}  // namespace dumpmill::shuffle
