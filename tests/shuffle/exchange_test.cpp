// Exchange over the in-process communicator: contract, bounds, and the clickstream job at 1-7
// ranks.
#include "dumpmill/shuffle/exchange.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "clickstream_pipeline.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/shuffle/local_comm.hpp"

namespace dumpmill::shuffle {
namespace {

class ExchangeTest : public ::testing::TestWithParam<int> {};

std::span<const char> span_of(const std::string& s) { return {s.data(), s.size()}; }

// Every rank sends `per_dest` numbered entries to every rank (itself included): each must
// arrive exactly once, by source ascending, then in the order added.
void check_all_to_all(int n, std::size_t round_bytes, int per_dest) {
  std::mutex m;
  std::vector<std::vector<std::tuple<int, int, int>>> got(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> rounds(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> over_budget(static_cast<std::size_t>(n));
  std::uint64_t total_sent = 0;
  std::uint64_t total_received = 0;
  run_local(n, [&](Communicator& c) {
    Exchange ex(c, round_bytes);
    std::vector<std::tuple<int, std::string, int>> todo;  // (dest, key, value)
    for (int i = 0; i < per_dest; ++i) {
      for (int d = 0; d < n; ++d) {
        todo.emplace_back(
            d, std::to_string(c.rank()) + ">" + std::to_string(d) + "#" + std::to_string(i), i);
      }
    }
    auto& mine = got[static_cast<std::size_t>(c.rank())];
    auto on_received = [&](std::string_view key, std::span<const char> value) {
      const auto gt = key.find('>');
      const auto hash = key.find('#');
      mine.emplace_back(std::stoi(std::string(key.substr(0, gt))),
                        std::stoi(std::string(key.substr(gt + 1, hash - gt - 1))),
                        value_as<int>(value));
    };
    std::size_t next = 0;
    bool more = !todo.empty();
    while (c.allreduce_or(more)) {
      int in_round = 0;
      while (more && ex.add_value(std::get<0>(todo[next]), std::get<1>(todo[next]),
                                  std::get<2>(todo[next]))) {
        ++in_round;
        more = ++next < todo.size();
      }
      if (ex.buffered_bytes() > round_bytes && in_round > 1)
        ++over_budget[static_cast<std::size_t>(c.rank())];
      ex.flush(on_received);
      if (ex.buffered_bytes() != 0) ++over_budget[static_cast<std::size_t>(c.rank())];
    }
    ex.finish(on_received);
    rounds[static_cast<std::size_t>(c.rank())] = ex.rounds();
    const std::lock_guard lock(m);
    total_sent += ex.bytes_sent();
    total_received += ex.bytes_received();
  });
  EXPECT_EQ(total_sent, total_received);
  for (int r = 0; r < n; ++r) {
    const auto& mine = got[static_cast<std::size_t>(r)];
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(n * per_dest)) << "rank " << r;
    // Per source: everything, once, in the order added.
    std::vector<int> next_from(static_cast<std::size_t>(n), 0);
    for (const auto& [s, d, i] : mine) {
      EXPECT_EQ(d, r);
      EXPECT_EQ(i, next_from[static_cast<std::size_t>(s)]++) << "from rank " << s;
    }
    for (int s = 0; s < n; ++s) EXPECT_EQ(next_from[static_cast<std::size_t>(s)], per_dest);
    // In one round, sources arrive in ascending order.
    if (rounds[0] == 1) {
      std::size_t at = 0;
      for (int s = 0; s < n; ++s) {
        for (int i = 0; i < per_dest; ++i, ++at) {
          EXPECT_EQ(mine[at], std::make_tuple(s, r, i)) << "rank " << r << " entry " << at;
        }
      }
    }
    EXPECT_EQ(over_budget[static_cast<std::size_t>(r)], 0u);
    EXPECT_EQ(rounds[static_cast<std::size_t>(r)], rounds[0]) << "every rank flushes equally";
  }
  if (round_bytes > 1000) {
    EXPECT_EQ(rounds[0], 1u);
  }
  if (round_bytes == 64 && per_dest > 0) {
    EXPECT_GE(rounds[0],
              static_cast<std::uint64_t>(n * per_dest) * 12 / 64);  // entries ~12-16 bytes
  }
}

TEST_P(ExchangeTest, EveryEntryArrivesOnceInOrder) { check_all_to_all(GetParam(), 1 << 20, 50); }

TEST_P(ExchangeTest, TinyRoundsForceManyRounds) { check_all_to_all(GetParam(), 64, 40); }

TEST_P(ExchangeTest, NobodyHasDataFinishDoesNoRound) {
  std::vector<std::uint64_t> rounds(static_cast<std::size_t>(GetParam()), 99);
  int calls = 0;
  run_local(GetParam(), [&](Communicator& c) {
    Exchange ex(c, 64);
    ex.finish([&](std::string_view, std::span<const char>) { ++calls; });
    rounds[static_cast<std::size_t>(c.rank())] = ex.rounds();
  });
  EXPECT_EQ(calls, 0);
  for (auto r : rounds) EXPECT_EQ(r, 0u);
}

TEST_P(ExchangeTest, ClickstreamMatchesSingleRankReference) {
  using namespace testing;
  const int n = GetParam();
  const std::vector<Row> rows = make_rows(42, 6000);
  const Outcome want = reference(rows);
  ASSERT_GT(want.duplicates, 1000u);
  for (const std::size_t round_bytes : {std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20}) {
    std::vector<Outcome> outcome(static_cast<std::size_t>(n));
    std::vector<RunStats> stats(static_cast<std::size_t>(n));
    run_local(n, [&](Communicator& c) {
      const auto r = static_cast<std::size_t>(c.rank());
      outcome[r] = run_distributed(c, rows_of_rank(rows, c.rank(), n), round_bytes, stats[r]);
    });
    EXPECT_TRUE(outcome[0] == want) << "round_bytes " << round_bytes;
    EXPECT_EQ(outcome[0].pairs, want.pairs);
    EXPECT_EQ(outcome[0].articles, want.articles);
    EXPECT_EQ(outcome[0].rows_kept, want.rows_kept);
    EXPECT_EQ(outcome[0].duplicates, want.duplicates);
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    for (const RunStats& s : stats) {
      EXPECT_EQ(s.misrouted, 0u);
      EXPECT_EQ(s.over_budget_rounds, 0u);
      EXPECT_EQ(s.rounds, stats[0].rounds);
      sent += s.entries_sent;
      received += s.entries_received;
    }
    EXPECT_EQ(sent, received);
    if (round_bytes == 64) {
      EXPECT_GT(stats[0].rounds, 50u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, ExchangeTest, ::testing::Values(1, 2, 3, 4, 7));

TEST(Exchange, AddRefusesWhenFullAndOversizedEntriesGoAlone) {
  run_local(2, [](Communicator& c) {
    Exchange ex(c, 64);
    const std::string big(200, 'v');  // entry > round_bytes
    const std::string small(10, 's');
    std::vector<std::size_t> sizes;
    auto on = [&](std::string_view, std::span<const char> v) { sizes.push_back(v.size()); };
    if (c.rank() == 0) {
      EXPECT_TRUE(ex.add(1, "a", span_of(small)));
      EXPECT_FALSE(ex.add(1, "b", span_of(big)));  // would not fit with "a": refused
      EXPECT_TRUE(ex.full());
      EXPECT_FALSE(ex.add(1, "c", span_of(std::string())));  // full until flushed
      EXPECT_EQ(ex.buffered_bytes(), 1u + 1 + 1 + 10);
    }
    ex.flush(on);  // round 1: "a" alone
    if (c.rank() == 0) {
      EXPECT_FALSE(ex.full());
      EXPECT_TRUE(ex.add(1, "b", span_of(big)));  // empty buffers: accepted, alone
      EXPECT_TRUE(ex.full());
      EXPECT_FALSE(ex.add(0, "c", span_of(small)));
    }
    ex.flush(on);  // round 2: "b" alone
    if (c.rank() == 0) {
      EXPECT_TRUE(ex.add(0, "c", span_of(small)));
    }
    ex.finish(on);  // round 3: "c"
    EXPECT_EQ(ex.rounds(), 3u);
    if (c.rank() == 1) {
      EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 200}));
    }
    if (c.rank() == 0) {
      EXPECT_EQ(sizes, (std::vector<std::size_t>{10}));
      EXPECT_EQ(ex.bytes_sent(), 13u + (1 + 1 + 2 + 200) + 13u);
    }
  });
}

TEST(Exchange, RejectsBadConfigAndArguments) {
  run_local(7, [](Communicator& c) {
    EXPECT_THROW(Exchange(c, 0), ConfigError);
    EXPECT_THROW(Exchange(c, (std::size_t{256} << 20) + 1), ConfigError);
    EXPECT_THROW(Exchange(c, std::size_t{200} << 20), ConfigError);  // 7 x 200 MiB > 1 GiB
    EXPECT_NO_THROW(Exchange(c, std::size_t{128} << 20));
    Exchange ex(c, 1024);
    EXPECT_THROW(static_cast<void>(ex.add(7, "k", {})), std::out_of_range);
    EXPECT_THROW(static_cast<void>(ex.add(-1, "k", {})), std::out_of_range);
    EXPECT_EQ(ex.buffered_bytes(), 0u);
  });
  run_local(1, [](Communicator& c) { EXPECT_NO_THROW(Exchange(c, std::size_t{256} << 20)); });
  const std::string three = "abc";
  EXPECT_THROW(value_as<std::uint64_t>(span_of(three)), std::length_error);
  EXPECT_EQ(value_as<char>(span_of(three).subspan(1, 1)), 'b');
}

TEST(Exchange, UnequalFlushCountsAreCaughtByTheMock) {
  EXPECT_THROW(run_local(3,
                         [](Communicator& c) {
                           Exchange ex(c, 64);
                           auto on = [](std::string_view, std::span<const char>) {};
                           if (c.rank() == 0) ex.flush(on);  // only rank 0 flushes
                           ex.finish(on);
                         }),
               std::logic_error);
}

}  // namespace
}  // namespace dumpmill::shuffle
