// Clickstream dedup/sum and article totals, by hand and against a brute-force std::map model.
#include "dumpmill/aggregate/clickstream_aggregates.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace dumpmill::aggregate {
namespace {

using PairTuple = std::tuple<std::string, std::string, int>;

std::map<PairTuple, std::uint64_t> pairs_of(const PairReducer& r) {
  std::map<PairTuple, std::uint64_t> out;
  r.for_each_sorted([&](std::string_view p, std::string_view c, std::uint8_t t, std::uint64_t n) {
    out[{std::string(p), std::string(c), t}] = n;
  });
  return out;
}

std::map<std::string, ArticleTotals> articles_of(const ArticleReducer& r) {
  std::map<std::string, ArticleTotals> out;
  r.for_each_sorted([&](std::string_view t, const ArticleTotals& a) { out[std::string(t)] = a; });
  return out;
}

TEST(PairKey, RoundTripAndOwnerHashIgnoresType) {
  KeyBuilder b;
  const std::string prev("with\0nul", 8);
  const std::string curr(300, 'c');  // 2-byte varint length
  for (std::uint8_t type = 0; type < kPairTypeCount; ++type) {
    const std::string_view key = encode_pair_key(b, prev, curr, type);
    const PairKey k = decode_pair_key(key);
    EXPECT_EQ(k.prev, prev);
    EXPECT_EQ(k.curr, curr);
    EXPECT_EQ(k.type, type);
    EXPECT_EQ(pair_owner_hash_of_key(key), pair_owner_hash(prev, curr));
  }
  EXPECT_NE(pair_owner_hash("ab", "c"), pair_owner_hash("a", "bc"));
  EXPECT_THROW(decode_pair_key(std::string_view("\1a\1b", 4)), std::out_of_range);      // no type
  EXPECT_THROW(decode_pair_key(std::string_view("\1a\1b\0\0", 6)), std::out_of_range);  // trailing
}

TEST(PairReducer, DropsExactDuplicatesAndSumsDistinctRows) {
  PairReducer r;
  EXPECT_TRUE(r.add("A", "B", 0, 10));
  EXPECT_FALSE(r.add("A", "B", 0, 10));  // exact duplicate
  EXPECT_TRUE(r.add("A", "B", 0, 7));    // conflicting n: a distinct row, summed
  EXPECT_FALSE(r.add("A", "B", 0, 7));   // its repeat is a duplicate too
  EXPECT_TRUE(r.add("A", "B", 0, 3));
  EXPECT_TRUE(r.add("A", "B", 1, 10));  // another type: another key
  EXPECT_FALSE(r.add("A", "B", 0, 3));
  EXPECT_EQ(r.rows_kept(), 4u);
  EXPECT_EQ(r.duplicates(), 3u);
  EXPECT_EQ(r.size(), 2u);
  const auto pairs = pairs_of(r);
  EXPECT_EQ(pairs.at({"A", "B", 0}), 20u);
  EXPECT_EQ(pairs.at({"A", "B", 1}), 10u);
  EXPECT_THROW(r.add("A", "B", 4, 1), std::invalid_argument);
  EXPECT_THROW(r.add_encoded("", 1), std::invalid_argument);
  EXPECT_EQ(r.rows_kept() + r.duplicates(), 7u);  // the rejected calls counted nothing

  // for_each_row ships each distinct row once; a fresh reducer rebuilds the same sums.
  std::multiset<std::pair<std::string, std::uint64_t>> rows;
  PairReducer again;
  r.for_each_row([&](std::string_view key, std::uint64_t n) {
    rows.emplace(std::string(key), n);
    EXPECT_TRUE(again.add_encoded(key, n));
  });
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(pairs_of(again), pairs);

  r.clear();
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.rows_kept(), 0u);
  EXPECT_EQ(r.duplicates(), 0u);
  EXPECT_TRUE(r.add("A", "B", 0, 10));
}

TEST(Articles, HandMadeCase) {
  PairReducer pairs;
  pairs.add("A", "B", 0, 10);
  pairs.add("A", "B", 2, 5);               // second type of (A, B): not a second referrer
  pairs.add("other-search", "B", 1, 100);  // pseudo referrer: a referrer, but no n_out
  pairs.add("B", "C", 0, 3);
  pairs.add("B", "C", 0, 3);  // duplicate, dropped
  ArticleReducer articles;
  const PairTypeTotals by_type = contribute_articles(pairs, articles);
  const auto a = articles_of(articles);
  ASSERT_EQ(a.size(), 3u);  // A, B, C; "other-search" gets no entry
  EXPECT_EQ(a.at("A"), (ArticleTotals{0, 15, 0}));
  EXPECT_EQ(a.at("B"), (ArticleTotals{115, 3, 2}));
  EXPECT_EQ(a.at("C"), (ArticleTotals{3, 0, 1}));
  EXPECT_EQ(by_type.pairs_by_type, (std::array<std::uint64_t, 4>{2, 1, 1, 0}));
  EXPECT_EQ(by_type.n_by_type, (std::array<std::uint64_t, 4>{13, 100, 5, 0}));

  // A custom pseudo rule: nothing is pseudo, so other-search gets n_out too.
  ArticleReducer all;
  contribute_articles(pairs, all, [](std::string_view) { return false; });
  EXPECT_EQ(articles_of(all).at("other-search"), (ArticleTotals{0, 100, 0}));

  // Merging is additive: adding the same totals twice doubles them.
  ArticleReducer twice;
  contribute_articles(pairs, twice);
  contribute_articles(pairs, twice);
  EXPECT_EQ(articles_of(twice).at("B"), (ArticleTotals{230, 6, 4}));
  ASSERT_NE(twice.find("C"), nullptr);
  EXPECT_EQ(twice.find("C")->n_in, 6u);
  EXPECT_EQ(twice.find("nope"), nullptr);
}

// Brute force: the rule written as directly as possible with std containers.
struct Model {
  std::set<std::tuple<std::string, std::string, int, std::uint64_t>> rows;
  std::uint64_t added = 0;
  std::map<PairTuple, std::uint64_t> sums;
  std::map<std::string, ArticleTotals> articles;
  std::array<std::uint64_t, 4> pairs_by_type{}, n_by_type{};

  bool add(const std::string& p, const std::string& c, int t, std::uint64_t n) {
    ++added;
    if (!rows.emplace(p, c, t, n).second) return false;
    sums[{p, c, t}] += n;
    return true;
  }
  void finish() {
    std::set<std::pair<std::string, std::string>> referrers;
    for (const auto& [k, n] : sums) {
      const auto& [p, c, t] = k;
      articles[c].n_in += n;
      if (p.rfind("other-", 0) != 0) articles[p].n_out += n;
      referrers.emplace(p, c);
      pairs_by_type[t] += 1;
      n_by_type[t] += n;
    }
    for (const auto& [p, c] : referrers) articles[c].n_referrers += 1;
  }
};

TEST(Articles, MatchBruteForceOnRandomRows) {
  const std::vector<std::string> pool = {"Main_Page",
                                         "A",
                                         "B",
                                         "C\xc3\xa9",
                                         std::string("n\0l", 3),
                                         "",
                                         std::string(150, 'L'),
                                         "other-search",
                                         "other-empty"};
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    std::mt19937 rng(seed);
    PairReducer reducer;
    Model model;
    for (int i = 0; i < 20000; ++i) {
      const std::string& p = pool[rng() % pool.size()];
      const std::string& c = pool[rng() % (pool.size() - 2)];  // pseudo titles only as prev
      const auto t = static_cast<std::uint8_t>(rng() % 4);
      const std::uint64_t n = 1 + rng() % 4;  // few values: many duplicates and conflicts
      ASSERT_EQ(reducer.add(p, c, t, n), model.add(p, c, t, n));
    }
    model.finish();
    EXPECT_EQ(reducer.rows_kept(), model.rows.size());
    EXPECT_EQ(reducer.duplicates(), model.added - model.rows.size());
    EXPECT_GT(reducer.duplicates(), 0u);
    EXPECT_EQ(pairs_of(reducer), model.sums);
    ArticleReducer articles;
    const PairTypeTotals by_type = contribute_articles(reducer, articles);
    EXPECT_EQ(articles_of(articles), model.articles);
    EXPECT_EQ(by_type.pairs_by_type, model.pairs_by_type);
    EXPECT_EQ(by_type.n_by_type, model.n_by_type);
    EXPECT_GT(reducer.memory_bytes(), 0u);
  }
}

}  // namespace
}  // namespace dumpmill::aggregate
