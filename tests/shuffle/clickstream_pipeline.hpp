// Test fixture shared by the LocalComm and MPI tests: the clickstream reduce run across ranks.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dumpmill/aggregate/clickstream_aggregates.hpp"
#include "dumpmill/shuffle/communicator.hpp"
#include "dumpmill/shuffle/exchange.hpp"

namespace dumpmill::shuffle::testing {

using aggregate::ArticleReducer;
using aggregate::ArticleTotals;
using aggregate::PairReducer;

struct Row {
  std::string prev;
  std::string curr;
  std::uint8_t type = 0;
  std::uint64_t n = 0;
};

// Titles from a small pool (collisions), n from {1..4} (conflicts), and a third of the rows
// repeating an earlier row (duplicates that will sit on different ranks).
inline std::vector<Row> make_rows(std::uint32_t seed, std::size_t count) {
  const std::vector<std::string> pool = {
      "Main_Page",           "A", "B", "C\xc3\xa9", std::string("n\0l", 3), "",
      std::string(150, 'L'), "D", "E", "F",         "other-search",         "other-empty"};
  std::mt19937 rng(seed);
  std::vector<Row> rows;
  rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!rows.empty() && rng() % 3 == 0) {
      rows.push_back(rows[rng() % rows.size()]);
      continue;
    }
    rows.push_back(Row{pool[rng() % pool.size()], pool[rng() % (pool.size() - 2)],
                       static_cast<std::uint8_t>(rng() % 4), 1 + rng() % 4});
  }
  return rows;
}

// Uneven split: rank r gets a block proportional to r + 1, except rank 1 (when there are
// at least 3 ranks) which gets nothing: a rank with no input must still take part.
inline std::vector<Row> rows_of_rank(const std::vector<Row>& rows, int rank, int ranks) {
  std::vector<std::size_t> weight(static_cast<std::size_t>(ranks));
  std::size_t total = 0;
  for (int r = 0; r < ranks; ++r) {
    weight[static_cast<std::size_t>(r)] =
        (ranks >= 3 && r == 1) ? 0 : static_cast<std::size_t>(r + 1);
    total += weight[static_cast<std::size_t>(r)];
  }
  std::size_t begin = 0;
  for (int r = 0; r < rank; ++r) begin += rows.size() * weight[static_cast<std::size_t>(r)] / total;
  std::size_t end = begin + rows.size() * weight[static_cast<std::size_t>(rank)] / total;
  if (rank == ranks - 1) end = rows.size();
  return {rows.begin() + static_cast<std::ptrdiff_t>(begin),
          rows.begin() + static_cast<std::ptrdiff_t>(end)};
}

struct Outcome {
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> pairs;
  std::map<std::string, std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> articles;
  std::uint64_t rows_kept = 0;
  std::uint64_t duplicates = 0;
  std::array<std::uint64_t, 4> pairs_by_type{};
  std::array<std::uint64_t, 4> n_by_type{};
  bool operator==(const Outcome&) const = default;
};

struct RunStats {
  std::uint64_t misrouted = 0;           // entries received by a rank that does not own them
  std::uint64_t over_budget_rounds = 0;  // rounds sending > round_bytes with more than one entry
  std::uint64_t rounds = 0;              // pair + article exchange rounds on this rank
  std::uint64_t entries_sent = 0;
  std::uint64_t entries_received = 0;
};

// Single-rank reference: one PairReducer over every row.
inline Outcome reference(const std::vector<Row>& rows) {
  PairReducer pairs;
  for (const Row& r : rows) pairs.add(r.prev, r.curr, r.type, r.n);
  ArticleReducer articles;
  const auto by_type = aggregate::contribute_articles(pairs, articles);
  Outcome out;
  pairs.for_each_sorted(
      [&](std::string_view p, std::string_view c, std::uint8_t t, std::uint64_t n) {
        out.pairs[{std::string(p), std::string(c), t}] = n;
      });
  articles.for_each_sorted([&](std::string_view t, const ArticleTotals& a) {
    out.articles[std::string(t)] = {a.n_in, a.n_out, a.n_referrers};
  });
  out.rows_kept = pairs.rows_kept();
  out.duplicates = pairs.duplicates();
  out.pairs_by_type = by_type.pairs_by_type;
  out.n_by_type = by_type.n_by_type;
  return out;
}

// The documented driver loop over a list of (dest, key, value bytes) entries.
template <class OnReceived>
void drive(Communicator& comm, Exchange& ex,
           const std::vector<std::tuple<int, std::string, std::string>>& entries,
           std::size_t round_bytes, RunStats& stats, OnReceived&& on_received) {
  std::size_t next = 0;
  bool more = next < entries.size();
  while (comm.allreduce_or(more)) {
    std::size_t in_round = 0;
    while (more) {
      const auto& [dest, key, value] = entries[next];
      if (!ex.add(dest, key, std::span<const char>(value.data(), value.size()))) break;
      ++in_round;
      more = ++next < entries.size();
    }
    if (ex.buffered_bytes() > round_bytes && in_round > 1) ++stats.over_budget_rounds;
    stats.entries_sent += in_round;
    ex.flush(on_received);
  }
  ex.finish(on_received);
}

template <class T>
std::string bytes_of(const T& v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

// The distributed job: local dedup, pair shuffle, owner dedup + article pre-aggregation,
// title shuffle, final merge; results gathered to rank 0 (other ranks return an empty
// Outcome). Every rank must call it.
inline Outcome run_distributed(Communicator& comm, const std::vector<Row>& mine,
                               std::size_t round_bytes, RunStats& stats) {
  const int ranks = comm.size();
  const int me = comm.rank();

  PairReducer local;
  for (const Row& r : mine) local.add(r.prev, r.curr, r.type, r.n);
  std::vector<std::tuple<int, std::string, std::string>> pair_entries;
  local.for_each_row([&](std::string_view key, std::uint64_t n) {
    pair_entries.emplace_back(aggregate::owner_of(aggregate::pair_owner_hash_of_key(key), ranks),
                              std::string(key), bytes_of(n));
  });

  PairReducer owned;
  Exchange pair_ex(comm, round_bytes);
  drive(comm, pair_ex, pair_entries, round_bytes, stats,
        [&](std::string_view key, std::span<const char> value) {
          ++stats.entries_received;
          if (aggregate::owner_of(aggregate::pair_owner_hash_of_key(key), ranks) != me)
            ++stats.misrouted;
          owned.add_encoded(key, value_as<std::uint64_t>(value));
        });

  ArticleReducer pre;
  const auto by_type = aggregate::contribute_articles(owned, pre);
  std::vector<std::tuple<int, std::string, std::string>> article_entries;
  pre.for_each([&](std::string_view title, const ArticleTotals& a) {
    article_entries.emplace_back(aggregate::owner_of(aggregate::hash_bytes(title), ranks),
                                 std::string(title), bytes_of(a));
  });
  ArticleReducer final_articles;
  Exchange article_ex(comm, round_bytes);
  drive(comm, article_ex, article_entries, round_bytes, stats,
        [&](std::string_view title, std::span<const char> value) {
          ++stats.entries_received;
          if (aggregate::owner_of(aggregate::hash_bytes(title), ranks) != me) ++stats.misrouted;
          final_articles.add(title, value_as<ArticleTotals>(value));
        });
  stats.rounds = pair_ex.rounds() + article_ex.rounds();

  // Gather everything to rank 0 as encoded keys: [tag u8][fields...].
  aggregate::KeyBuilder b;
  std::string blob;
  owned.for_each_sorted(
      [&](std::string_view p, std::string_view c, std::uint8_t t, std::uint64_t n) {
        b.clear();
        b.add_u8(0);
        b.add_string(p);
        b.add_string(c);
        b.add_u8(t);
        b.add_u64(n);
        blob += b.view();
      });
  final_articles.for_each_sorted([&](std::string_view t, const ArticleTotals& a) {
    b.clear();
    b.add_u8(1);
    b.add_string(t);
    b.add_u64(a.n_in);
    b.add_u64(a.n_out);
    b.add_u64(a.n_referrers);
    blob += b.view();
  });
  const auto gathered = comm.gather(std::vector<char>(blob.begin(), blob.end()), 0);

  std::vector<std::uint64_t> counts = {owned.rows_kept(), local.duplicates() + owned.duplicates()};
  for (std::size_t t = 0; t < 4; ++t) counts.push_back(by_type.pairs_by_type[t]);
  for (std::size_t t = 0; t < 4; ++t) counts.push_back(by_type.n_by_type[t]);
  const auto sums = comm.allreduce_sum(counts);

  Outcome out;
  if (me != 0) return out;
  for (const auto& part : gathered) {
    aggregate::KeyReader r(std::string_view(part.data(), part.size()));
    while (!r.done()) {
      if (r.u8() == 0) {
        std::string p(r.string());
        std::string c(r.string());
        const int t = r.u8();
        out.pairs[{p, c, t}] += r.u64();
      } else {
        std::string t(r.string());
        const std::uint64_t n_in = r.u64();
        const std::uint64_t n_out = r.u64();
        const std::uint64_t refs = r.u64();
        if (!out.articles.emplace(t, std::tuple{n_in, n_out, refs}).second) {
          ++stats.misrouted;  // a title on two ranks
        }
      }
    }
  }
  out.rows_kept = sums[0];
  out.duplicates = sums[1];
  for (std::size_t t = 0; t < 4; ++t) {
    out.pairs_by_type[t] = sums[2 + t];
    out.n_by_type[t] = sums[6 + t];
  }
  return out;
}

}  // namespace dumpmill::shuffle::testing
