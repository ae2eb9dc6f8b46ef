// The exported SQL tables, defined once: columns, types per dialect, indexes, and a batch reader
// that turns their HDF5 columns into SQL values for the PostgreSQL and .sql-script exports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dumpmill/h5/table_reader.hpp"
#include "dumpmill/sql/table_export.hpp"

namespace dumpmill::sql {

// The SQL dialects dumpmill writes. They agree on everything but the integer and float type
// names: SQLite's INTEGER is 64-bit, PostgreSQL's is 32-bit (so BIGINT there).
enum class Dialect : std::uint8_t { kSqlite, kPostgres };
enum class SqlType : std::uint8_t { kInteger, kReal, kText };

// INTEGER/BIGINT, REAL/DOUBLE PRECISION, TEXT/TEXT.
std::string_view type_name(SqlType type, Dialect dialect);
// The SQL type a TableExport column kind is stored as (kU64/kI64 -> integer, ...).
SqlType sql_type_of(ColumnExport::Kind kind);

struct Column {
  std::string name;
  SqlType type;
  bool not_null = false;
};

// An index; `columns` is the parenthesised list as SQL both dialects accept ("curr, n DESC").
struct Index {
  std::string name;
  std::string columns;
  bool unique = false;
};

struct TableSchema {
  std::string name;
  std::vector<Column> columns;
  std::vector<Index> indexes;
};

// One exported HDF5-backed table: where its rows come from plus its indexes.
struct ExportedTable {
  TableExport source;  // post_load_sql left empty; indexes below serve every dialect
  std::vector<Index> indexes;

  TableSchema schema() const;
  // The same table for export_table() into SQLite, indexes as post_load_sql.
  TableExport for_sqlite() const;
};

// "name" with '"' doubled. Throws ConfigError on an empty name or a NUL byte.
std::string quote_identifier(std::string_view name);
// 'text' with ' doubled: a standard SQL string literal (no backslash escapes), which both
// PostgreSQL (standard_conforming_strings = on, its default since 9.1) and SQLite read back
// byte for byte. Appends to `out`.
void append_string_literal(std::string& out, std::string_view text);

// CREATE TABLE [IF NOT EXISTS] "table_name" ("col" TYPE [NOT NULL], ...). `table_name` may be
// schema-qualified already quoted text when `quoted_name` is true.
std::string create_table_sql(const TableSchema& table, Dialect dialect, std::string_view table_name,
                             bool if_not_exists = false, bool quoted_name = false);
// CREATE [UNIQUE] INDEX index_name ON table_name (columns). The SQLite export writes
// `CREATE INDEX pairs_by_curr ON pairs (curr, n DESC)` exactly as it always has (SQLite keeps
// the text in sqlite_master); names are passed through unquoted, so they must be plain
// identifiers (quote them first for anything else).
std::string create_index_sql(const Index& index, std::string_view index_name,
                             std::string_view table_name);

// The clickstream result tables (pairs, articles, types) that are switched on, in that order.
std::vector<ExportedTable> clickstream_tables(bool pairs, bool articles, bool types);
// The runs history table (one row per run; not stored in HDF5).
const TableSchema& runs_table();

// One SQL value of the runs row.
using SqlValue = std::variant<std::int64_t, double, std::string>;

// Reads rows [first, first + count) of an exported table from an HDF5 file in batches of at most
// `batch_rows`, as SQL values: no per-row allocation (strings are views into a reused buffer).
// Throws OutputError on a u64 above INT64_MAX or a dictionary code outside the dictionary,
// h5::H5Error on HDF5 failures; messages name the file, table, column and row.
class H5Rows {
 public:
  // As `count`: every row from `first` to the end of the table.
  static constexpr std::uint64_t kToEnd = ~std::uint64_t{0};
  H5Rows(const std::string& h5_path, const TableExport& table, std::uint64_t first,
         std::uint64_t count, std::size_t batch_rows = 65536);

  // Loads the next batch; returns its row count, 0 when done. Views from text() die here.
  std::size_t next();
  std::size_t columns() const noexcept { return table_.columns.size(); }
  std::uint64_t table_rows() const noexcept { return reader_.rows(); }
  SqlType type(std::size_t column) const noexcept { return types_[column]; }
  std::int64_t integer(std::size_t column, std::size_t row) const;
  double real(std::size_t column, std::size_t row) const noexcept { return cols_[column].f64[row]; }
  std::string_view text(std::size_t column, std::size_t row) const noexcept;
  // Global row index of `row` of the current batch (for messages).
  std::uint64_t global_row(std::size_t row) const noexcept { return batch_first_ + row; }

 private:
  struct ColumnBatch {
    std::vector<std::uint64_t> u64;
    std::vector<std::int64_t> i64;
    std::vector<double> f64;
    std::vector<std::uint8_t> codes;
    std::vector<std::string> dictionary;
    h5::StringSlice strings;
  };
  std::string context_;
  TableExport table_;
  h5::TableReader reader_;
  std::vector<SqlType> types_;
  std::vector<ColumnBatch> cols_;
  std::uint64_t next_, end_, batch_first_ = 0;
  std::size_t batch_rows_;
};

}  // namespace dumpmill::sql
