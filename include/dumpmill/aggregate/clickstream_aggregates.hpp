// The clickstream job's reduce logic: pair dedup + sums, and per-article totals.
//
// Data flow across ranks (the driver wires it; everything here is plain C++):
//   1. parse rank: encode_pair_key(), owner = owner_of(pair_owner_hash_of_key(key), P);
//      optionally dedup locally in a PairReducer and ship PairReducer::for_each_row().
//   2. pair-owner rank: PairReducer::add_encoded(key, n) for every row received; its
//      rows_kept()/duplicates() are the global figures for the pairs it owns.
//   3. pair-owner rank: contribute_articles() into a LOCAL ArticleReducer (pre-aggregation:
//      Main_Page gets one record per rank, not one per referrer), then ship each title's
//      totals to owner_of(hash_bytes(title), P).
//   4. title-owner rank: ArticleReducer::add() merges (all fields are additive).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dumpmill/aggregate/hashing.hpp"
#include "dumpmill/aggregate/key_codec.hpp"
#include "dumpmill/aggregate/keyed_table.hpp"
#include "dumpmill/parse/clickstream.hpp"

namespace dumpmill::aggregate {

// Link types are small integer codes assigned by the parser (clickstream has link,
// external, other; older dumps had redlink). Codes >= kPairTypeCount are rejected.
inline constexpr std::size_t kPairTypeCount = 4;

// Key of one (prev, curr, type): add_string(prev), add_string(curr), add_u8(type).
// Returns builder.view(). Any bytes are allowed in the titles.
std::string_view encode_pair_key(KeyBuilder& builder, std::string_view prev, std::string_view curr,
                                 std::uint8_t type);

struct PairKey {
  std::string_view prev;  // views into the encoded key
  std::string_view curr;
  std::uint8_t type = 0;
};
// Inverse of encode_pair_key. Throws std::out_of_range on a malformed key.
PairKey decode_pair_key(std::string_view key);

// Hash that decides the OWNER of a pair. It leaves the type out, so every type of one
// (prev, curr) lands on one rank and a referrer is counted once per (prev, curr) there.
// Equals hash_bytes() of the encoded key without its last (type) byte, so
// pair_owner_hash_of_key(encode_pair_key(b, p, c, t)) == pair_owner_hash(p, c).
std::uint64_t pair_owner_hash(std::string_view prev, std::string_view curr) noexcept;
// The same from an encoded pair key (cheaper: one-shot hash of the key's prefix).
// Precondition: key is a well-formed pair key (non-empty).
std::uint64_t pair_owner_hash_of_key(std::string_view key) noexcept;

// Dedup + sum of clickstream rows (prev, curr, type, n).
// Rule: an exact duplicate row (same prev, curr, type AND n) is dropped; n is summed over
// the distinct rows of each (prev, curr, type). Every add is counted exactly once as kept
// or duplicate, so rows_kept() + duplicates() == rows added (invariant 2).
// Memory: one 32-byte slot (16-byte value: sum_n + first_n) per key at <= 70% load plus
// the key bytes; a key whose rows disagree on n (rare) also puts (key, n) in a side table,
// so a repeat of that conflicting row is recognised as a duplicate too.
class PairReducer {
 public:
  // true: a new distinct row, kept (n added to the sum); false: exact duplicate dropped.
  // Throws std::invalid_argument if type >= kPairTypeCount.
  bool add(std::string_view prev, std::string_view curr, std::uint8_t type, std::uint64_t n);
  // The same for a key made by encode_pair_key() (as received from the shuffle).
  bool add_encoded(std::string_view key, std::uint64_t n);

  std::uint64_t rows_kept() const noexcept { return rows_kept_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  // Distinct (prev, curr, type) keys.
  std::size_t size() const noexcept { return pairs_.size(); }
  std::size_t memory_bytes() const noexcept {
    return pairs_.memory_bytes() + conflicts_.memory_bytes() + scratch_.capacity();
  }
  bool contains_encoded(std::string_view key) const {
    return pairs_.find(key, hash_bytes(key)) != nullptr;
  }

  // f(std::string_view prev, std::string_view curr, std::uint8_t type, std::uint64_t sum_n)
  // for every key, in encoded-key byte order (deterministic, see key_codec.hpp).
  template <class F>
  void for_each_sorted(F&& f) const {
    for (const auto& [key, value] : pairs_.sorted_entries()) {
      const PairKey k = decode_pair_key(key);
      f(k.prev, k.curr, k.type, value->sum_n);
    }
  }

  // f(std::string_view key, std::uint64_t sum_n) for every key, unordered.
  template <class F>
  void for_each_encoded(F&& f) const {
    pairs_.for_each([&f](std::string_view key, const PairValue& v) { f(key, v.sum_n); });
  }

  // f(std::string_view key, std::uint64_t n) once per distinct kept row, unordered: what a
  // rank that deduplicated locally ships to the pair's owner (which dedups again, so rows
  // repeated on two ranks still count once).
  template <class F>
  void for_each_row(F&& f) const {
    pairs_.for_each([&f](std::string_view key, const PairValue& v) { f(key, v.first_n); });
    conflicts_.for_each([&f](std::string_view row, const unsigned char&) {
      f(row.substr(0, row.size() - 8), KeyReader(row.substr(row.size() - 8)).u64());
    });
  }

  // Forgets all rows and counters; keeps table capacity (see KeyedTable::clear()).
  void clear() noexcept;

 private:
  struct PairValue {
    std::uint64_t sum_n;
    std::uint64_t first_n;  // n of the first row seen; other n values live in conflicts_
  };

  KeyedTable<PairValue> pairs_;
  KeyedTable<unsigned char> conflicts_;  // key: encoded pair key + u64 n; value unused
  KeyBuilder builder_;
  std::string scratch_;
  std::uint64_t rows_kept_ = 0;
  std::uint64_t duplicates_ = 0;
};

struct ArticleTotals {
  std::uint64_t n_in = 0;         // clicks arriving at the article
  std::uint64_t n_out = 0;        // clicks leaving it (never set for pseudo referrers)
  std::uint64_t n_referrers = 0;  // distinct prev (pseudo referrers included) linking to it

  ArticleTotals& operator+=(const ArticleTotals& o) noexcept {
    n_in += o.n_in;
    n_out += o.n_out;
    n_referrers += o.n_referrers;
    return *this;
  }
  friend bool operator==(const ArticleTotals&, const ArticleTotals&) = default;
};

// Per-title additive merge of ArticleTotals. Used twice: on the pair-owner rank
// (pre-aggregation before the title shuffle) and on the title-owner rank after it.
class ArticleReducer {
 public:
  void add(std::string_view title, const ArticleTotals& totals) {
    add(title, hash_bytes(title), totals);
  }
  // When the caller already has hash_bytes(title) (it picked the owner with it).
  void add(std::string_view title, std::uint64_t title_hash, const ArticleTotals& totals) {
    bool inserted = false;
    articles_.find_or_insert(title, title_hash, inserted) += totals;
  }

  std::size_t size() const noexcept { return articles_.size(); }
  std::size_t memory_bytes() const noexcept { return articles_.memory_bytes(); }
  const ArticleTotals* find(std::string_view title) const {
    return articles_.find(title, hash_bytes(title));
  }

  // f(std::string_view title, const ArticleTotals&), unordered (e.g. to ship to owners).
  template <class F>
  void for_each(F&& f) const {
    articles_.for_each(f);
  }
  // f(std::string_view title, const ArticleTotals&) in title byte order.
  template <class F>
  void for_each_sorted(F&& f) const {
    for (const auto& [title, totals] : articles_.sorted_entries()) f(title, *totals);
  }

  void clear() noexcept { articles_.clear(); }

 private:
  KeyedTable<ArticleTotals> articles_;
};

struct PairTypeTotals {
  std::array<std::uint64_t, kPairTypeCount> pairs_by_type{};  // distinct (prev, curr, type)
  std::array<std::uint64_t, kPairTypeCount> n_by_type{};      // sum of n
};

// Adds every final pair (prev, curr, type, sum_n) of `pairs` into `articles`:
//   curr.n_in += sum_n; prev.n_out += sum_n unless is_pseudo(prev);
//   curr.n_referrers += 1 per DISTINCT prev (a (prev, curr) present with two types counts
//   once: only its lowest type contributes). Correct across ranks because all types of a
//   (prev, curr) live on one rank (pair_owner_hash) and the fields are additive.
// Returns this rank's per-type totals (sum them across ranks for the job's figures).
PairTypeTotals contribute_articles(
    const PairReducer& pairs, ArticleReducer& articles,
    bool (*is_pseudo)(std::string_view) = &parse::is_pseudo_referrer);

}  // namespace dumpmill::aggregate
