// export_table: copies one HDF5 table (h5::TableReader) into a SQLite table in bounded batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dumpmill/sql/db.hpp"

namespace dumpmill::sql {

// One column to copy. SQL types: kU64/kI64 -> INTEGER, kF64 -> REAL, kString/kDictionary ->
// TEXT (a dictionary column is stored decoded). kU64 reads any unsigned HDF5 column and
// throws OutputError on a value above INT64_MAX (SQLite integers are signed 64-bit).
struct ColumnExport {
  std::string h5_column;
  std::string sql_name;
  enum Kind { kU64, kI64, kF64, kString, kDictionary } kind;
};

// One table to copy: HDF5 group -> SQL table, then post_load_sql (e.g. CREATE INDEX ...),
// run after the rows because building an index once is faster than maintaining it per insert.
struct TableExport {
  std::string h5_group;
  std::string sql_table;
  std::vector<ColumnExport> columns;
  std::vector<std::string> post_load_sql;
};

// CREATE TABLE (names quoted as identifiers), then reads `batch_rows` rows at a time from the
// HDF5 file at `h5_path` and inserts them with one prepared INSERT and bound parameters, then
// runs post_load_sql. Returns the number of rows exported. Memory: one batch of each column.
// Run inside a transaction (SqliteExport opens one): per-row autocommit is ~1000x slower.
// Throws OutputError (h5::H5Error for HDF5 failures) naming the file, table and column.
std::uint64_t export_table(Db& db, const std::string& h5_path, const TableExport& table,
                           std::size_t batch_rows = 65536);

}  // namespace dumpmill::sql
