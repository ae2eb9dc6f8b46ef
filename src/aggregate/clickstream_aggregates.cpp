// Clickstream reduce logic: dedup rule, pair sums, article totals.
#include "dumpmill/aggregate/clickstream_aggregates.hpp"

#include <stdexcept>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no malloc per call
#include <xxhash.h>

namespace dumpmill::aggregate {
namespace {

void check_type(unsigned type) {
  if (type >= kPairTypeCount) {
    throw std::invalid_argument("pair type code " + std::to_string(type) + " is not below " +
                                std::to_string(kPairTypeCount));
  }
}

}  // namespace

std::string_view encode_pair_key(KeyBuilder& builder, std::string_view prev, std::string_view curr,
                                 std::uint8_t type) {
  builder.clear();
  builder.add_string(prev);
  builder.add_string(curr);
  builder.add_u8(type);
  return builder.view();
}

PairKey decode_pair_key(std::string_view key) {
  KeyReader r(key);
  PairKey k;
  k.prev = r.string();
  k.curr = r.string();
  k.type = r.u8();
  if (!r.done()) throw std::out_of_range("pair key: trailing bytes");
  return k;
}

std::uint64_t pair_owner_hash(std::string_view prev, std::string_view curr) noexcept {
  // Streams exactly the bytes encode_pair_key() writes before the type byte.
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  char len[detail::kMaxVarintBytes];
  XXH3_64bits_update(&state, len, detail::put_varint(prev.size(), len));
  XXH3_64bits_update(&state, prev.data(), prev.size());
  XXH3_64bits_update(&state, len, detail::put_varint(curr.size(), len));
  XXH3_64bits_update(&state, curr.data(), curr.size());
  return XXH3_64bits_digest(&state);
}

std::uint64_t pair_owner_hash_of_key(std::string_view key) noexcept {
  return hash_bytes(key.substr(0, key.size() - 1));
}

bool PairReducer::add(std::string_view prev, std::string_view curr, std::uint8_t type,
                      std::uint64_t n) {
  check_type(type);
  return add_encoded(encode_pair_key(builder_, prev, curr, type), n);
}

bool PairReducer::add_encoded(std::string_view key, std::uint64_t n) {
  if (key.empty()) throw std::invalid_argument("empty pair key");
  check_type(static_cast<std::uint8_t>(key.back()));
  bool inserted = false;
  PairValue& v = pairs_.find_or_insert(key, hash_bytes(key), inserted);
  if (inserted) {
    v.sum_n = n;
    v.first_n = n;
    ++rows_kept_;
    return true;
  }
  if (v.first_n == n) {
    ++duplicates_;
    return false;
  }
  // A second distinct n for this key: remember (key, n) so its repeat is a duplicate.
  std::uint64_t& sum = v.sum_n;  // stays valid: conflicts_ is another table
  scratch_.assign(key);
  for (int shift = 56; shift >= 0; shift -= 8) scratch_.push_back(static_cast<char>(n >> shift));
  conflicts_.find_or_insert(scratch_, hash_bytes(scratch_), inserted);
  if (!inserted) {
    ++duplicates_;
    return false;
  }
  sum += n;
  ++rows_kept_;
  return true;
}

void PairReducer::clear() noexcept {
  pairs_.clear();
  conflicts_.clear();
  rows_kept_ = 0;
  duplicates_ = 0;
}

PairTypeTotals contribute_articles(const PairReducer& pairs, ArticleReducer& articles,
                                   bool (*is_pseudo)(std::string_view)) {
  PairTypeTotals totals;
  std::string sibling;  // the same (prev, curr) with a lower type
  pairs.for_each_encoded([&](std::string_view key, std::uint64_t sum_n) {
    const PairKey k = decode_pair_key(key);
    totals.pairs_by_type[k.type] += 1;
    totals.n_by_type[k.type] += sum_n;
    // The (prev, curr) counts as a referrer only through its lowest type present:
    // at most 3 extra lookups, no extra memory, independent of iteration order.
    bool lowest_type = true;
    sibling.assign(key);
    for (std::uint8_t t = 0; t < k.type && lowest_type; ++t) {
      sibling.back() = static_cast<char>(t);
      lowest_type = !pairs.contains_encoded(sibling);
    }
    articles.add(k.curr, ArticleTotals{sum_n, 0, lowest_type ? 1u : 0u});
    if (!is_pseudo(k.prev)) articles.add(k.prev, ArticleTotals{0, sum_n, 0});
  });
  return totals;
}

}  // namespace dumpmill::aggregate
