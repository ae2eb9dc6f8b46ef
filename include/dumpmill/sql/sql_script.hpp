// write_sql_script: the portable .sql export that both psql and sqlite3 load to the same tables.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/sql/schema.hpp"

namespace dumpmill::sql {

// Writes to `path` (created or truncated; the caller stages and renames it) one transaction:
//   BEGIN; DROP TABLE IF EXISTS t; CREATE TABLE t (...); INSERT INTO t VALUES (...),(...);
//   CREATE INDEX ...; CREATE TABLE IF NOT EXISTS runs (...); INSERT INTO runs ...; COMMIT;
// per table of `tables` (rows read from `h5_path`), so loading it replaces the tables
// atomically and appends to the runs history, in either database:
//   psql -v ON_ERROR_STOP=1 -f out.sql        sqlite3 db.sqlite < out.sql
// The portable subset: types BIGINT / DOUBLE PRECISION / TEXT (SQLite gives them INTEGER,
// REAL and TEXT affinity, so values are stored as the SQLite export stores them), standard
// string literals ('' doubles a quote, no backslash escapes; any other byte, tab and newline
// included, stands for itself inside the quotes), identifiers in double quotes, reals with
// 17 significant digits (round-trip exact). `rows_per_insert` rows share one INSERT.
// Throws OutputError naming the path (I/O, or a value that is not script_safe()).
// Whether a text value can go into the script and come back byte for byte through both loaders:
// false for a NUL byte (PostgreSQL text cannot hold one) and for CR LF (the sqlite3 shell reads
// its input line by line and drops a CR before a newline, even inside a string literal; measured
// with sqlite3 3.40.1 by tests/sql/pg_roundtrip_test.cpp). Parsed titles have neither (the
// parser rejects control bytes).
bool script_safe(std::string_view text) noexcept;

void write_sql_script(const std::string& path, const std::string& h5_path,
                      const std::vector<ExportedTable>& tables,
                      const std::vector<SqlValue>& run_row, std::size_t rows_per_insert = 500);

}  // namespace dumpmill::sql
