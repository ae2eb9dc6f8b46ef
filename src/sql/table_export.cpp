// Copies one HDF5 table into SQLite: bounded batches, one prepared INSERT, bound parameters.
#include "dumpmill/sql/table_export.hpp"

#include <algorithm>
#include <limits>

#include "dumpmill/core/error.hpp"
#include "dumpmill/h5/table_reader.hpp"

namespace dumpmill::sql {
namespace {

std::string quote_identifier(std::string_view name, const std::string& context) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    throw ConfigError(context + ": SQL identifier is empty or contains a NUL byte");
  }
  std::string out = "\"";
  for (const char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

const char* sql_type(ColumnExport::Kind kind) {
  switch (kind) {
    case ColumnExport::kU64:
    case ColumnExport::kI64:
      return "INTEGER";
    case ColumnExport::kF64:
      return "REAL";
    case ColumnExport::kString:
    case ColumnExport::kDictionary:
      return "TEXT";
  }
  return "BLOB";
}

bool compatible(ColumnExport::Kind want, h5::ColumnKind have) {
  using K = h5::ColumnKind;
  switch (want) {
    case ColumnExport::kU64:
      return have == K::kU64 || have == K::kU32 || have == K::kU8;
    case ColumnExport::kI64:
      return have == K::kI64 || have == K::kU32 || have == K::kU8;
    case ColumnExport::kF64:
      return have == K::kF64;
    case ColumnExport::kString:
      return have == K::kString;
    case ColumnExport::kDictionary:
      return have == K::kDictionary;
  }
  return false;
}

// One batch of one column; buffers are reused across batches.
struct ColumnBatch {
  std::vector<std::uint64_t> u64;
  std::vector<std::int64_t> i64;
  std::vector<double> f64;
  std::vector<std::uint8_t> codes;
  std::vector<std::string> dictionary;
  h5::StringSlice strings;
};

}  // namespace

std::uint64_t export_table(Db& db, const std::string& h5_path, const TableExport& table,
                           std::size_t batch_rows) {
  const std::string context =
      h5_path + ": group " + table.h5_group + " -> SQL table " + table.sql_table;
  if (batch_rows == 0) throw ConfigError(context + ": batch_rows must be at least 1");
  if (table.columns.empty()) throw ConfigError(context + ": no columns to export");

  h5::TableReader reader(h5_path, table.h5_group);
  for (const ColumnExport& c : table.columns) {
    if (!reader.has_column(c.h5_column)) {
      throw OutputError(context + ": HDF5 column '" + c.h5_column + "' does not exist");
    }
    if (!compatible(c.kind, reader.kind(c.h5_column))) {
      throw OutputError(context + ": HDF5 column '" + c.h5_column +
                        "' cannot be exported as the requested kind");
    }
  }

  std::string create = "CREATE TABLE " + quote_identifier(table.sql_table, context) + " (";
  std::string insert = "INSERT INTO " + quote_identifier(table.sql_table, context) + " VALUES (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) {
      create += ", ";
      insert += ", ";
    }
    create += quote_identifier(table.columns[i].sql_name, context);
    create += ' ';
    create += sql_type(table.columns[i].kind);
    insert += '?';
  }
  create += ')';
  insert += ')';
  db.exec(create);
  Statement statement = db.prepare(insert);

  std::vector<ColumnBatch> batches(table.columns.size());
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (table.columns[c].kind == ColumnExport::kDictionary) {
      batches[c].dictionary = reader.dictionary(table.columns[c].h5_column);
    }
  }

  const std::uint64_t rows = reader.rows();
  for (std::uint64_t first = 0; first < rows; first += batch_rows) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(batch_rows, rows - first));
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const ColumnExport& column = table.columns[c];
      ColumnBatch& b = batches[c];
      switch (column.kind) {
        case ColumnExport::kU64:
          b.u64.resize(n);
          reader.read_u64(column.h5_column, first, b.u64);
          break;
        case ColumnExport::kI64:
          b.i64.resize(n);
          reader.read_i64(column.h5_column, first, b.i64);
          break;
        case ColumnExport::kF64:
          b.f64.resize(n);
          reader.read_f64(column.h5_column, first, b.f64);
          break;
        case ColumnExport::kString:
          reader.read_strings(column.h5_column, first, n, b.strings);
          break;
        case ColumnExport::kDictionary:
          b.codes.resize(n);
          reader.read_u8(column.h5_column, first, b.codes);
          break;
      }
    }
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const int index = static_cast<int>(c) + 1;
        const ColumnBatch& b = batches[c];
        switch (table.columns[c].kind) {
          case ColumnExport::kU64:
            if (b.u64[r] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
              throw OutputError(context + ": column '" + table.columns[c].h5_column + "' row " +
                                std::to_string(first + r) + ": " + std::to_string(b.u64[r]) +
                                " exceeds SQLite's INTEGER range");
            }
            statement.bind_int64(index, static_cast<std::int64_t>(b.u64[r]));
            break;
          case ColumnExport::kI64:
            statement.bind_int64(index, b.i64[r]);
            break;
          case ColumnExport::kF64:
            statement.bind_double(index, b.f64[r]);
            break;
          case ColumnExport::kString:
            statement.bind_text(index, b.strings[r]);
            break;
          case ColumnExport::kDictionary:
            if (b.codes[r] >= b.dictionary.size()) {
              throw OutputError(context + ": column '" + table.columns[c].h5_column + "' row " +
                                std::to_string(first + r) + ": code " + std::to_string(b.codes[r]) +
                                " is outside the dictionary");
            }
            statement.bind_text(index, b.dictionary[b.codes[r]]);
            break;
        }
      }
      statement.step();
      statement.reset();
    }
  }
  for (const std::string& sql : table.post_load_sql) db.exec(sql);
  return rows;
}

}  // namespace dumpmill::sql
