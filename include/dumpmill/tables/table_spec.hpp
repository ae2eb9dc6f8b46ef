// A job's [dedup] and [table.NAME] sections: which rows are duplicates, and which tables to build.
//
// Job syntax (read from records::read_job_entries, beside the records sections):
//
//   [dedup]                        # optional; without it every row is kept
//   by = Id                        # key columns (comma/space list), or `exact` (whole row)
//   keep = first                   # first | last | max(Column); first/last follow input order
//                                  # (file index, then byte offset), so the kept row is the
//                                  # same at any rank count; max(Column) keeps the row with
//                                  # the largest Column (non-null beats null), ties go to
//                                  # the first in input order
//
//   [table.votes]                  # no group_by and no aggregates: the deduplicated rows
//   columns = Id, PostId           # projection; `*` (the default) = every row column. A
//                                  # section with no key is invisible to the INI reader:
//                                  # write `columns = *` for a plain rows table
//   having = VoteTypeId = 2        # optional, repeatable (AND): records::Filter syntax
//
//   [table.weekly]                 # one or more; NAME is [A-Za-z0-9_]+
//   group_by = Year, WeekNumber    # row columns (schema or derived); may be empty with
//                                  # aggregates (one group: the whole table)
//   aggregates = VoteCount = count(), Users = count_distinct(UserId), Avg = mean(Seconds),
//                Total = sum(n), Lo = min(x), Hi = max(x)
//   having = VoteCount > 1         # over the output columns (group columns + aggregates)
//
// Aggregates (nulls are skipped, as in SQL; a group whose inputs are all null gets null):
//   count()            int64    rows in the group          count(C): rows with C not null
//   count_distinct(C)  int64    exact distinct non-null values of C
//   sum(C)             int64 for int64/bool columns, uint64 for uint64, float64 for float64
//                      (integer sums wrap modulo 2^64 on overflow)
//   mean(C)            float64  of an int64/uint64/bool/float64 column (int sums are exact)
//   min(C), max(C)     C's type (strings bytewise)
// float64 sum/mean add partials in an order that depends on the rank count, so their last
// bits may differ between rank counts; every other result is identical at any rank count.
// `having` compares one output column with constants; it cannot refer to other groups
// (a rule like |1 - x / mean over all groups| > 0.2 needs a table-level aggregate, not yet
// in the language). Any mistake is a ConfigError naming `source` and section.key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/filter.hpp"
#include "dumpmill/records/job_text.hpp"
#include "dumpmill/records/record_parser.hpp"

namespace dumpmill::tables {

enum class DedupMode : std::uint8_t { kNone, kExact, kByKey };
enum class KeepRule : std::uint8_t { kFirst, kLast, kMax };

struct DedupSpec {
  DedupMode mode = DedupMode::kNone;
  std::vector<std::size_t> key_columns;  // row column indices (kByKey)
  KeepRule keep = KeepRule::kFirst;
  std::size_t keep_column = 0;  // kMax: the compared row column
};

enum class AggregateFunction : std::uint8_t {
  kCount,
  kCountDistinct,
  kSum,
  kMean,
  kMin,
  kMax,
};

// "count", "count_distinct", "sum", "mean", "min", "max".
std::string_view aggregate_function_name(AggregateFunction function);

struct AggregateSpec {
  std::string name;  // the output column
  AggregateFunction function = AggregateFunction::kCount;
  bool has_column = false;  // false only for count()
  std::size_t column = 0;   // row column index
  records::ColumnType input_type = records::ColumnType::kInt64;
  records::ColumnType result_type = records::ColumnType::kInt64;
};

// One output column of a table: its name and type.
struct OutputColumn {
  std::string name;
  records::ColumnType type = records::ColumnType::kString;
};

struct TableSpec {
  std::string name;
  bool is_rows = true;                // no group_by and no aggregates
  std::vector<std::size_t> columns;   // rows table: projected row columns
  std::vector<std::size_t> group_by;  // row column indices
  std::vector<AggregateSpec> aggregates;
  // Output columns: rows table -> the projected row columns; else group_by then aggregates.
  std::vector<OutputColumn> output;
  // Rows table: over row columns; else over output columns (filter.column indexes output).
  std::vector<records::Filter> having;
};

struct TablesSpec {
  DedupSpec dedup;
  std::vector<TableSpec> tables;  // in order of first appearance in the job
};

// Reads `dedup.*` and `table.*` entries against the record layout of `records`. Throws
// ConfigError naming `source` and the key (e.g. "job.ini: table.weekly.aggregates: ...").
TablesSpec parse_tables_spec(const std::vector<records::JobEntry>& entries,
                             const records::RecordSpec& records, std::string_view source);

}  // namespace dumpmill::tables
