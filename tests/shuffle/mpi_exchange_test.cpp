// MpiComm collectives and the clickstream shuffle over real MPI (ctest runs it at 1, 2, 4 ranks).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "clickstream_pipeline.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/shuffle/exchange.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"

namespace dumpmill::shuffle {
namespace {

// Only EXPECT_* after the first collective: an ASSERT that returns on one rank alone would
// leave the others waiting in the next collective.

std::vector<char> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<char>& v) { return {v.begin(), v.end()}; }

TEST(MpiComm, Collectives) {
  MpiComm c;
  const int n = c.size();
  const int r = c.rank();
  const auto ur = static_cast<std::uint64_t>(r);
  const auto un = static_cast<std::uint64_t>(n);
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  EXPECT_EQ(n, world);
  c.barrier();
  EXPECT_EQ(c.exscan_sum(ur + 1), ur * (ur + 1) / 2);
  const std::vector<std::uint64_t> v = {1, ur, 1000};
  EXPECT_EQ(c.allreduce_sum(v), (std::vector<std::uint64_t>{un, un * (un - 1) / 2, 1000 * un}));
  EXPECT_TRUE(c.allreduce_sum({}).empty());
  EXPECT_EQ(c.allreduce_max(ur * 10), (un - 1) * 10);
  EXPECT_EQ(c.allreduce_min(ur + 5), 5u);
  EXPECT_TRUE(c.allreduce_or(r == n - 1));
  EXPECT_FALSE(c.allreduce_or(false));
  EXPECT_EQ(c.max_time(r == 0 ? 2.5 : 1.0), 2.5);
  EXPECT_EQ(text(c.broadcast(r == n - 1 ? bytes("from last") : bytes("junk"), n - 1)), "from last");
  EXPECT_TRUE(c.broadcast({}, 0).empty());
  const auto g = c.gather(bytes(std::string(static_cast<std::size_t>(r), 'x')), 0);
  if (r == 0) {
    EXPECT_EQ(g.size(), static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i].size(), i);
  } else {
    EXPECT_TRUE(g.empty());
  }
  std::vector<std::vector<char>> send(static_cast<std::size_t>(n));
  for (int d = 0; d < n; ++d) {
    // Nothing to rank d == r + 1: receivers must cope with empty peers.
    if (d != r + 1)
      send[static_cast<std::size_t>(d)] = bytes(std::to_string(r) + ">" + std::to_string(d));
  }
  const auto got = c.alltoallv(send);
  EXPECT_EQ(got.size(), static_cast<std::size_t>(n));
  for (int s = 0; s < n && s < static_cast<int>(got.size()); ++s) {
    const std::string want = r == s + 1 ? "" : std::to_string(s) + ">" + std::to_string(r);
    EXPECT_EQ(text(got[static_cast<std::size_t>(s)]), want);
  }
  for (const auto& e : c.alltoallv(std::vector<std::vector<char>>(static_cast<std::size_t>(n)))) {
    EXPECT_TRUE(e.empty());
  }
}

TEST(MpiComm, ErrorsBecomeMpiErrorAndTheCommStaysUsable) {
  MpiComm c;
  try {
    c.broadcast({}, c.size() + 3);  // every rank passes the same bad root
    ADD_FAILURE() << "no exception";
  } catch (const MpiError& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_Bcast failed on rank " + std::to_string(c.rank())),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.exit_code(), 4);
  }
  EXPECT_THROW(c.alltoallv(std::vector<std::vector<char>>(static_cast<std::size_t>(c.size()) + 1)),
               std::invalid_argument);
  c.barrier();
  EXPECT_EQ(c.allreduce_max(1), 1u);
}

TEST(MpiComm, OwnsACongruentDupAndMoves) {
  MpiComm a;
  int cmp = MPI_UNEQUAL;
  MPI_Comm_compare(a.native(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);  // same ranks, different context: our traffic is private
  MpiComm b(std::move(a));
  EXPECT_EQ(a.native(), MPI_COMM_NULL);  // NOLINT(bugprone-use-after-move): testing it
  EXPECT_THROW(a.barrier(), std::logic_error);
  EXPECT_EQ(b.allreduce_sum(std::vector<std::uint64_t>{1})[0],
            static_cast<std::uint64_t>(b.size()));
  MpiComm d;
  d = std::move(b);
  EXPECT_EQ(d.exscan_sum(1), static_cast<std::uint64_t>(d.rank()));
}

TEST(MpiExchange, ClickstreamMatchesSingleRankReference) {
  using namespace testing;
  MpiComm c;
  const std::vector<Row> rows = make_rows(7, 6000);  // every rank generates the same rows
  const Outcome want = reference(rows);
  for (const std::size_t round_bytes : {std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20}) {
    RunStats stats;
    const Outcome got =
        run_distributed(c, rows_of_rank(rows, c.rank(), c.size()), round_bytes, stats);
    if (c.rank() == 0) {
      EXPECT_EQ(got.pairs, want.pairs) << "round_bytes " << round_bytes;
      EXPECT_EQ(got.articles, want.articles);
      EXPECT_EQ(got.rows_kept, want.rows_kept);
      EXPECT_EQ(got.duplicates, want.duplicates);
      EXPECT_TRUE(got == want);
    }
    EXPECT_EQ(stats.misrouted, 0u);
    EXPECT_EQ(stats.over_budget_rounds, 0u);
    EXPECT_EQ(c.allreduce_max(stats.rounds), c.allreduce_min(stats.rounds));
    const std::vector<std::uint64_t> counts = {stats.entries_sent, stats.entries_received};
    const auto sums = c.allreduce_sum(counts);
    EXPECT_EQ(sums[0], sums[1]);
    if (round_bytes == 64) {
      EXPECT_GT(stats.rounds, 50u);
    }
  }
}

// Prints failures of non-zero ranks (their gtest output is silenced), tagged with the rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (result.failed()) {
      std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_,
                   result.file_name() ? result.file_name() : "?", result.line_number(),
                   result.summary());
    }
  }

 private:
  int rank_;
};

}  // namespace
}  // namespace dumpmill::shuffle

int main(int argc, char** argv) {
  dumpmill::shuffle::MpiEnvironment mpi(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new dumpmill::shuffle::RankFailurePrinter(rank));
  }
  // All ranks agree on the outcome: a failure on any rank fails every rank.
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  if (any_failed && !failed && rank == 0) std::fprintf(stderr, "a test failed on another rank\n");
  return any_failed;
}
