// Distributed dedup + group-by + aggregates over typed rows: this rank's slice of every table.
//
// Execution (every rank runs the same calls; see TablesRunner):
//  1. Dedup shuffle. Each offered row is encoded (value_codec.hpp; strings copied) with its
//     input position (file index, byte offset) and sent to owner_of(hash(dedup key)); the
//     owner keeps one row per key in a KeyedTable + byte pool and applies keep = first /
//     last / max(C) by comparing positions (or C, then position), so the kept row does not
//     depend on the rank count. Without [dedup] rows stay on the rank that read them.
//     Moves in bounded collective rounds (shuffle::Exchange, options.round_bytes).
//  2. Per grouped table: rows are pre-combined locally by group key into partial states,
//     then one message per local group goes to owner_of(hash(group key)), which merges them.
//     count_distinct is exact with sets on the owner: each rank first drops its local
//     repeats of (aggregate, group, value), then sends the pairs to the group's owner,
//     which counts a pair the first time it sees it.
//  3. `having` filters the finished groups; results become typed columns.
//
// What grows with the data (everything else is bounded by the exchange rounds):
//  - on each rank, the distinct rows it owns (encoded bytes + a 24-byte slot + key bytes),
//    plus, under keep = last / max(C), the bytes of every replaced duplicate (the pool is
//    append-only) - about input bytes / ranks for mostly-unique input;
//  - per grouped table, the local groups and the owned groups (key + one 80-byte
//    AggregateState per aggregate, sizeof on x86-64), and for count_distinct the distinct (group,
//    value) pairs of this rank and of the groups it owns;
//  - the output columns (a copy of each rows table's kept rows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/record_parser.hpp"
#include "dumpmill/records/value.hpp"
#include "dumpmill/shuffle/communicator.hpp"
#include "dumpmill/tables/table_spec.hpp"

namespace dumpmill::tables {

// Where a row came from: its input file's index in the job's file order, and the byte
// offset of its line. Input order = (file, offset); keep = first / last follow it.
struct RowOrigin {
  std::uint32_t file = 0;
  std::uint64_t offset = 0;
};

struct TablesOptions {
  // Bytes a rank buffers before a collective round: the clickstream pipeline's default
  // (kDefaultShuffleRound, 16 MiB); one round's receive side is at most ranks x this.
  std::size_t round_bytes = std::size_t{16} << 20;
};

// One output column, typed, ready for a column writer (HDF5 dataset, SQL COPY).
struct ColumnData {
  std::string name;
  records::ColumnType type = records::ColumnType::kString;
  std::vector<std::int64_t> i64;   // int64, bool (0/1), timestamp (us UTC), date (days)
  std::vector<std::uint64_t> u64;  // uint64
  std::vector<double> f64;         // float64
  std::string chars;               // string: value i is chars[offsets[i], offsets[i + 1])
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint8_t> null;  // 1 where the value is null (its slot holds 0 / "")

  std::size_t size() const noexcept { return null.size(); }
  std::string_view text(std::size_t i) const {
    return std::string_view(chars).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
  // Appends one value of `type` (strings are copied).
  void append(const records::Value& value);
};

// This rank's rows of one table. Rows tables are in input order; grouped tables in group
// key order (numbers ascending, nulls first, strings by length then bytes).
struct TableSlice {
  std::string name;
  std::size_t rows = 0;
  std::vector<ColumnData> columns;
};

struct TablesCounters {
  std::uint64_t rows_in = 0;             // rows offered
  std::uint64_t rows_kept = 0;           // rows left after dedup (counted on their owner)
  std::uint64_t duplicates_dropped = 0;  // rows_in - rows_kept, counted on the owner
  std::vector<std::uint64_t> rows_out;   // per table (spec order), after having
  std::uint64_t exchange_rounds = 0;
  std::uint64_t exchange_bytes_sent = 0;
};

struct TablesResult {
  std::vector<TableSlice> tables;  // spec order
  TablesCounters local;            // this rank
  TablesCounters total;            // summed over ranks (the same on every rank)
};

// The stage as a push interface, for a driver that owns the read loop:
//     bool more = next(row, origin);
//     while (comm.allreduce_or(more)) {
//       while (more && runner.offer(row, origin)) more = next(row, origin);
//       runner.flush_round();
//     }
//     TablesResult result = runner.finish();
// `records` and `spec` must outlive the runner; rows must have records.width() values.
class TablesRunner {
 public:
  // Throws ConfigError if options.round_bytes does not fit shuffle::Exchange's limits.
  TablesRunner(shuffle::Communicator& comm, const records::RecordSpec& records,
               const TablesSpec& spec, TablesOptions options = {});
  ~TablesRunner();
  TablesRunner(const TablesRunner&) = delete;
  TablesRunner& operator=(const TablesRunner&) = delete;

  // Takes the row (encodes and buffers it) and returns true, or takes NOTHING and returns
  // false when this round is full: call flush_round(), then offer the same row again.
  [[nodiscard]] bool offer(const records::Row& row, RowOrigin origin);
  // COLLECTIVE: one exchange round.
  void flush_round();
  // COLLECTIVE, once, after the last offer: finishes the dedup shuffle, builds every
  // table (more collective rounds) and sums the counters over ranks.
  TablesResult finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The driver loop above over a row source: next(records::Row&, RowOrigin&) -> bool fills the
// next row of this rank's input, false at its end. COLLECTIVE.
template <class Next>
TablesResult run_tables(shuffle::Communicator& comm, const records::RecordSpec& records,
                        const TablesSpec& spec, Next&& next, TablesOptions options = {}) {
  TablesRunner runner(comm, records, spec, options);
  records::Row row;
  RowOrigin origin;
  bool more = next(row, origin);
  while (comm.allreduce_or(more)) {
    while (more && runner.offer(row, origin)) more = next(row, origin);
    runner.flush_round();
  }
  return runner.finish();
}

}  // namespace dumpmill::tables
