// The tables stage: dedup shuffle, local pre-combine, group shuffle, having, typed columns.
#include "dumpmill/tables/tables_run.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "dumpmill/aggregate/hashing.hpp"
#include "dumpmill/aggregate/key_codec.hpp"
#include "dumpmill/aggregate/keyed_table.hpp"
#include "dumpmill/shuffle/exchange.hpp"
#include "dumpmill/tables/partial_aggregate.hpp"
#include "dumpmill/tables/value_codec.hpp"

namespace dumpmill::tables {
namespace {

using aggregate::KeyBuilder;
using aggregate::KeyReader;
using records::ColumnType;

// A kept row: its encoded bytes in the pool, and where it came from.
struct StoredRow {
  std::uint64_t pool_offset = 0;
  std::uint32_t length = 0;
  std::uint32_t file = 0;
  std::uint64_t offset = 0;
};

bool before(std::uint32_t file_a, std::uint64_t off_a, std::uint32_t file_b, std::uint64_t off_b) {
  return std::tie(file_a, off_a) < std::tie(file_b, off_b);
}

constexpr std::uint8_t kPartialMessage = 0;
constexpr std::uint8_t kDistinctMessage = 1;

std::span<const char> as_span(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void ColumnData::append(const records::Value& value) {
  null.push_back(value.null ? 1 : 0);
  switch (type) {
    case ColumnType::kString:
      if (!value.null) chars.append(value.text);
      offsets.push_back(chars.size());
      break;
    case ColumnType::kUint64:
      u64.push_back(value.null ? 0 : value.u64);
      break;
    case ColumnType::kFloat64:
      f64.push_back(value.null ? 0 : value.f64);
      break;
    case ColumnType::kInt64:
    case ColumnType::kBool:
    case ColumnType::kTimestamp:
    case ColumnType::kDate:
      i64.push_back(value.null ? 0 : value.i64);
      break;
  }
}

struct TablesRunner::Impl {
  Impl(shuffle::Communicator& c, const records::RecordSpec& r, const TablesSpec& s, TablesOptions o)
      : comm(c), rec(r), spec(s), exchange(c, o.round_bytes) {
    for (std::size_t i = 0; i < rec.width(); ++i) types.push_back(rec.column_type(i));
  }

  shuffle::Communicator& comm;
  const records::RecordSpec& rec;
  const TablesSpec& spec;
  shuffle::Exchange exchange;
  std::vector<ColumnType> types;  // per row column
  KeyBuilder key;
  KeyBuilder value;
  // Kept rows: by key when deduplicating, else in arrival order.
  aggregate::KeyedTable<StoredRow> kept;
  std::vector<StoredRow> unkeyed;
  std::vector<char> pool;  // encoded rows; append-only (offsets stay valid as it grows)
  std::vector<records::Value> scratch_a;
  std::vector<records::Value> scratch_b;
  TablesCounters counters;
  bool finished = false;

  std::string_view pool_bytes(const StoredRow& s) const {
    return {pool.data() + s.pool_offset, s.length};
  }

  StoredRow store(std::string_view row_bytes, std::uint32_t file, std::uint64_t offset) {
    StoredRow s{pool.size(), static_cast<std::uint32_t>(row_bytes.size()), file, offset};
    pool.insert(pool.end(), row_bytes.begin(), row_bytes.end());
    return s;
  }

  // Should the arriving row (bytes, position) replace the kept one under the keep rule?
  bool replaces(std::string_view row_bytes, std::uint32_t file, std::uint64_t offset,
                const StoredRow& old) {
    const bool earlier = before(file, offset, old.file, old.offset);
    switch (spec.dedup.keep) {
      case KeepRule::kFirst:
        return earlier;
      case KeepRule::kLast:
        return before(old.file, old.offset, file, offset);
      case KeepRule::kMax: {
        decode_row(row_bytes, types, scratch_a);
        decode_row(pool_bytes(old), types, scratch_b);
        const std::size_t c = spec.dedup.keep_column;
        const records::Value& a = scratch_a[c];
        const records::Value& b = scratch_b[c];
        if (a.null != b.null) return b.null;
        const int cmp = a.null ? 0 : records::compare_values(a, b, types[c]);
        return cmp > 0 || (cmp == 0 && earlier);
      }
    }
    return false;
  }

  // The owner's side of the dedup shuffle. value = file (u64) offset (u64) [row bytes].
  void on_row(std::string_view k, std::span<const char> v) {
    KeyReader r(std::string_view(v.data(), v.size()));
    const auto file = static_cast<std::uint32_t>(r.u64());
    const std::uint64_t offset = r.u64();
    const std::string_view row_bytes =
        spec.dedup.mode == DedupMode::kExact ? k : std::string_view(v.data() + 16, v.size() - 16);
    bool inserted = false;
    StoredRow& slot = kept.find_or_insert(k, aggregate::hash_bytes(k), inserted);
    if (inserted) {
      slot = store(row_bytes, file, offset);
      ++counters.rows_kept;
      return;
    }
    ++counters.duplicates_dropped;
    if (replaces(row_bytes, file, offset, slot)) {
      // store() may grow the pool, never the table: `slot` stays valid.
      slot = store(row_bytes, file, offset);
    }
  }

  bool offer(const records::Row& row, RowOrigin origin) {
    if (row.values.size() != types.size()) {
      throw std::invalid_argument("TablesRunner::offer: row of " +
                                  std::to_string(row.values.size()) + " values, job rows have " +
                                  std::to_string(types.size()));
    }
    if (spec.dedup.mode == DedupMode::kNone) {
      key.clear();
      encode_row(key, row, types);
      unkeyed.push_back(store(key.view(), origin.file, origin.offset));
      ++counters.rows_in;
      ++counters.rows_kept;
      return true;
    }
    key.clear();
    value.clear();
    value.add_u64(origin.file);
    value.add_u64(origin.offset);
    if (spec.dedup.mode == DedupMode::kExact) {
      encode_row(key, row, types);
    } else {
      encode_columns(key, row, spec.dedup.key_columns, types);
      encode_row(value, row, types);
    }
    const int dest = aggregate::owner_of(aggregate::hash_bytes(key.view()), comm.size());
    if (!exchange.add(dest, key.view(), as_span(value.view()))) return false;
    ++counters.rows_in;
    return true;
  }

  void flush_round() {
    // Without dedup nothing is buffered on any rank (the spec is the same everywhere), so
    // every rank skips the round alike.
    if (spec.dedup.mode == DedupMode::kNone) return;
    exchange.flush([this](std::string_view k, std::span<const char> v) { on_row(k, v); });
  }

  // Kept rows of this rank in input order.
  std::vector<StoredRow> kept_rows() {
    std::vector<StoredRow> rows;
    if (spec.dedup.mode == DedupMode::kNone) {
      rows = std::move(unkeyed);
      unkeyed.clear();
    } else {
      rows.reserve(kept.size());
      kept.for_each([&rows](std::string_view, const StoredRow& s) { rows.push_back(s); });
    }
    std::sort(rows.begin(), rows.end(), [](const StoredRow& a, const StoredRow& b) {
      return before(a.file, a.offset, b.file, b.offset);
    });
    return rows;
  }

  static TableSlice empty_slice(const TableSpec& t) {
    TableSlice slice;
    slice.name = t.name;
    for (const OutputColumn& c : t.output) {
      ColumnData d;
      d.name = c.name;
      d.type = c.type;
      slice.columns.push_back(std::move(d));
    }
    return slice;
  }

  TableSlice rows_table(const TableSpec& t, const std::vector<StoredRow>& rows) {
    TableSlice slice = empty_slice(t);
    records::Row row;
    for (const StoredRow& s : rows) {
      decode_row(pool_bytes(s), types, row.values);
      bool keep = true;
      for (const records::Filter& f : t.having) keep = keep && records::filter_matches(f, row);
      if (!keep) continue;
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        slice.columns[i].append(row.values[t.columns[i]]);
      }
      ++slice.rows;
    }
    return slice;
  }

  TableSlice grouped_table(const TableSpec& t, const std::vector<StoredRow>& rows);
};

TableSlice TablesRunner::Impl::grouped_table(const TableSpec& t,
                                             const std::vector<StoredRow>& rows) {
  const std::size_t n_aggs = t.aggregates.size();
  // 1. Local pre-combine; distinct (aggregate, group, value) triples deduplicated locally.
  aggregate::KeyedTable<std::uint32_t> local_groups;
  std::vector<AggregateState> local_states;
  aggregate::KeyedTable<char> local_distinct;
  std::vector<std::string_view> local_keys;  // views into local_groups' arena
  KeyBuilder gk;
  KeyBuilder dk;
  records::Row row;
  for (const StoredRow& s : rows) {
    decode_row(pool_bytes(s), types, row.values);
    gk.clear();
    encode_columns(gk, row, t.group_by, types);
    const std::uint64_t h = aggregate::hash_bytes(gk.view());
    bool inserted = false;
    std::uint32_t& g = local_groups.find_or_insert(gk.view(), h, inserted);
    if (inserted) {
      g = static_cast<std::uint32_t>(local_keys.size());
      local_keys.emplace_back();
      local_states.resize(local_states.size() + n_aggs);
    }
    const std::uint32_t group = g;
    for (std::size_t k = 0; k < n_aggs; ++k) {
      const AggregateSpec& a = t.aggregates[k];
      if (a.function != AggregateFunction::kCountDistinct) {
        update_state(a, local_states[group * n_aggs + k],
                     a.has_column ? row.values[a.column] : records::Value{});
        continue;
      }
      const records::Value& v = row.values[a.column];
      if (v.null) continue;
      dk.clear();
      dk.add_u8(static_cast<std::uint8_t>(k));
      dk.add_string(gk.view());
      encode_value(dk, v, a.input_type);
      bool fresh = false;
      local_distinct.find_or_insert(dk.view(), aggregate::hash_bytes(dk.view()), fresh);
    }
  }
  local_groups.for_each(
      [&local_keys](std::string_view k, const std::uint32_t& g) { local_keys[g] = k; });
  std::vector<std::string_view> distinct_keys;
  distinct_keys.reserve(local_distinct.size());
  local_distinct.for_each(
      [&distinct_keys](std::string_view k, const char&) { distinct_keys.push_back(k); });

  // 2. Owner side: merge partials, count distinct pairs.
  aggregate::KeyedTable<std::uint32_t> groups;
  std::vector<AggregateState> states;
  aggregate::KeyedTable<char> distinct;
  records::Arena text_store;
  const auto owner_group = [&](std::string_view k) -> std::uint32_t {
    bool inserted = false;
    std::uint32_t& g = groups.find_or_insert(k, aggregate::hash_bytes(k), inserted);
    if (inserted) {
      g = static_cast<std::uint32_t>(states.size() / std::max<std::size_t>(n_aggs, 1));
      states.resize(states.size() + std::max<std::size_t>(n_aggs, 1));
    }
    return g;
  };
  const auto on_received = [&](std::string_view k, std::span<const char> v) {
    KeyReader r(std::string_view(v.data(), v.size()));
    const std::uint8_t tag = r.u8();
    if (tag == kPartialMessage) {
      const std::size_t g = owner_group(k);
      for (std::size_t a = 0; a < n_aggs; ++a) {
        const AggregateState part = decode_state(r, t.aggregates[a]);
        merge_state(t.aggregates[a], states[g * n_aggs + a], part, &text_store);
      }
      return;
    }
    // kDistinctMessage: the sender's local_distinct key (aggregate, group, value).
    bool fresh = false;
    const std::string_view triple(v.data() + 1, v.size() - 1);
    distinct.find_or_insert(triple, aggregate::hash_bytes(triple), fresh);
    if (fresh) {
      KeyReader tr(triple);
      const std::uint8_t a = tr.u8();
      ++states[owner_group(k) * n_aggs + a].count;
    }
  };

  // 3. Send partials then distinct triples in bounded rounds.
  const std::size_t total = local_keys.size() + distinct_keys.size();
  std::size_t next = 0;
  const auto add_next = [&]() -> bool {
    value.clear();
    std::string_view group_key;
    if (next < local_keys.size()) {
      group_key = local_keys[next];
      value.add_u8(kPartialMessage);
      for (std::size_t a = 0; a < n_aggs; ++a) {
        encode_state(value, t.aggregates[a], local_states[next * n_aggs + a]);
      }
    } else {
      const std::string_view triple = distinct_keys[next - local_keys.size()];
      KeyReader tr(triple);
      tr.u8();
      group_key = tr.string();
      value.add_u8(kDistinctMessage);
      // The triple follows the tag; value.view() is rebuilt per call.
      for (const char c : triple) value.add_u8(static_cast<std::uint8_t>(c));
    }
    const int dest = aggregate::owner_of(aggregate::hash_bytes(group_key), comm.size());
    return exchange.add(dest, group_key, as_span(value.view()));
  };
  bool more = next < total;
  while (comm.allreduce_or(more)) {
    while (more && add_next()) more = ++next < total;
    exchange.flush(on_received);
  }
  exchange.finish(on_received);

  // 4. Finish, filter, emit in group key order.
  TableSlice slice = empty_slice(t);
  records::Row out;
  out.values.resize(t.output.size());
  for (const auto& [k, g] : groups.sorted_entries()) {
    KeyReader r(k);
    std::size_t c = 0;
    for (const std::size_t col : t.group_by) out.values[c++] = decode_value(r, types[col]);
    for (std::size_t a = 0; a < n_aggs; ++a) {
      out.values[c++] = finish_state(t.aggregates[a], states[*g * n_aggs + a]);
    }
    bool keep = true;
    for (const records::Filter& f : t.having) keep = keep && records::filter_matches(f, out);
    if (!keep) continue;
    for (std::size_t i = 0; i < out.values.size(); ++i) slice.columns[i].append(out.values[i]);
    ++slice.rows;
  }
  return slice;
}

TablesRunner::TablesRunner(shuffle::Communicator& comm, const records::RecordSpec& records,
                           const TablesSpec& spec, TablesOptions options)
    : impl_(std::make_unique<Impl>(comm, records, spec, options)) {}

TablesRunner::~TablesRunner() = default;

bool TablesRunner::offer(const records::Row& row, RowOrigin origin) {
  return impl_->offer(row, origin);
}

void TablesRunner::flush_round() { impl_->flush_round(); }

TablesResult TablesRunner::finish() {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("TablesRunner::finish called twice");
  m.finished = true;
  m.exchange.finish([&m](std::string_view k, std::span<const char> v) { m.on_row(k, v); });
  const std::vector<StoredRow> rows = m.kept_rows();
  TablesResult result;
  for (const TableSpec& t : m.spec.tables) {
    result.tables.push_back(t.is_rows ? m.rows_table(t, rows) : m.grouped_table(t, rows));
    m.counters.rows_out.push_back(result.tables.back().rows);
  }
  m.counters.exchange_rounds = m.exchange.rounds();
  m.counters.exchange_bytes_sent = m.exchange.bytes_sent();
  result.local = m.counters;
  std::vector<std::uint64_t> sums{m.counters.rows_in, m.counters.rows_kept,
                                  m.counters.duplicates_dropped, m.counters.exchange_rounds,
                                  m.counters.exchange_bytes_sent};
  sums.insert(sums.end(), m.counters.rows_out.begin(), m.counters.rows_out.end());
  const std::vector<std::uint64_t> total = m.comm.allreduce_sum(sums);
  result.total.rows_in = total[0];
  result.total.rows_kept = total[1];
  result.total.duplicates_dropped = total[2];
  result.total.exchange_rounds = total[3];
  result.total.exchange_bytes_sent = total[4];
  result.total.rows_out.assign(total.begin() + 5, total.end());
  return result;
}

}  // namespace dumpmill::tables
