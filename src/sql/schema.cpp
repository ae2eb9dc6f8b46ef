// The exported tables' one definition, their DDL per dialect, and the HDF5 -> SQL value reader.
#include "dumpmill/sql/schema.hpp"

#include <algorithm>
#include <limits>

#include "dumpmill/core/error.hpp"

namespace dumpmill::sql {

std::string_view type_name(SqlType type, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  switch (type) {
    case SqlType::kInteger:
      return pg ? "BIGINT" : "INTEGER";
    case SqlType::kReal:
      return pg ? "DOUBLE PRECISION" : "REAL";
    case SqlType::kText:
      return "TEXT";
  }
  return "TEXT";
}

SqlType sql_type_of(ColumnExport::Kind kind) {
  switch (kind) {
    case ColumnExport::kU64:
    case ColumnExport::kI64:
      return SqlType::kInteger;
    case ColumnExport::kF64:
      return SqlType::kReal;
    case ColumnExport::kString:
    case ColumnExport::kDictionary:
      return SqlType::kText;
  }
  return SqlType::kText;
}

TableSchema ExportedTable::schema() const {
  TableSchema s{source.sql_table, {}, indexes};
  for (const ColumnExport& c : source.columns)
    s.columns.push_back({c.sql_name, sql_type_of(c.kind)});
  return s;
}

TableExport ExportedTable::for_sqlite() const {
  TableExport t = source;
  for (const Index& i : indexes)
    t.post_load_sql.push_back(create_index_sql(i, i.name, t.sql_table));
  return t;
}

std::string quote_identifier(std::string_view name) {
  if (name.empty() || name.find('\0') != std::string_view::npos)
    throw ConfigError("SQL identifier '" + std::string(name) + "' is empty or contains a NUL byte");
  std::string out = "\"";
  for (const char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

void append_string_literal(std::string& out, std::string_view text) {
  out += '\'';
  for (;;) {
    const std::size_t quote = text.find('\'');
    out.append(text.substr(0, quote));
    if (quote == std::string_view::npos) break;
    out += "''";
    text.remove_prefix(quote + 1);
  }
  out += '\'';
}

std::string create_table_sql(const TableSchema& table, Dialect dialect, std::string_view table_name,
                             bool if_not_exists, bool quoted_name) {
  std::string s = if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ";
  s += quoted_name ? std::string(table_name) : quote_identifier(table_name);
  s += " (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const Column& c = table.columns[i];
    if (i > 0) s += ", ";
    s += quote_identifier(c.name);
    s += ' ';
    s += type_name(c.type, dialect);
    if (c.not_null) s += " NOT NULL";
  }
  s += ')';
  return s;
}

std::string create_index_sql(const Index& index, std::string_view index_name,
                             std::string_view table_name) {
  std::string s = index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
  s += index_name;
  s += " ON ";
  s += table_name;
  s += " (";
  s += index.columns;
  s += ')';
  return s;
}

std::vector<ExportedTable> clickstream_tables(bool pairs, bool articles, bool types) {
  std::vector<ExportedTable> t;
  if (pairs)
    t.push_back({{"pairs",
                  "pairs",
                  {{"prev", "prev", ColumnExport::kString},
                   {"curr", "curr", ColumnExport::kString},
                   {"type", "type", ColumnExport::kDictionary},
                   {"n", "n", ColumnExport::kU64}},
                  {}},
                 // top referrers of an article; top targets of a referrer
                 {{"pairs_by_curr", "curr, n DESC"}, {"pairs_by_prev", "prev, n DESC"}}});
  if (articles)
    t.push_back({{"articles",
                  "articles",
                  {{"title", "title", ColumnExport::kString},
                   {"n_in", "n_in", ColumnExport::kU64},
                   {"n_out", "n_out", ColumnExport::kU64},
                   {"n_referrers", "n_referrers", ColumnExport::kU64}},
                  {}},
                 {{"articles_by_title", "title", true}, {"articles_by_n_in", "n_in DESC"}}});
  if (types)
    t.push_back({{"types",
                  "types",
                  {{"type", "type", ColumnExport::kDictionary},
                   {"pairs", "pairs", ColumnExport::kU64},
                   {"n", "n", ColumnExport::kU64}},
                  {}},
                 {}});
  return t;
}

const TableSchema& runs_table() {
  using T = SqlType;
  static const TableSchema kRuns{"runs",
                                 {{"started_utc", T::kText, true},
                                  {"finished_utc", T::kText, true},
                                  {"dumpmill_version", T::kText, true},
                                  {"job", T::kText, true},
                                  {"ranks", T::kInteger, true},
                                  {"inputs", T::kText, true},
                                  {"records_read", T::kInteger, true},
                                  {"valid", T::kInteger, true},
                                  {"rejected", T::kInteger, true},
                                  {"duplicates_dropped", T::kInteger, true},
                                  {"rows_kept", T::kInteger, true},
                                  {"distinct_pairs", T::kInteger, true},
                                  {"distinct_articles", T::kInteger, true},
                                  {"sum_n", T::kInteger, true},
                                  {"bytes_in", T::kInteger, true},
                                  {"bytes_decoded", T::kInteger, true},
                                  {"wall_seconds_before_export", T::kReal, true},
                                  {"hdf5", T::kText, true}},
                                 {}};
  return kRuns;
}

H5Rows::H5Rows(const std::string& h5_path, const TableExport& table, std::uint64_t first,
               std::uint64_t count, std::size_t batch_rows)
    : context_(h5_path + ": group " + table.h5_group + " -> SQL table " + table.sql_table),
      table_(table),
      reader_(h5_path, table.h5_group),
      cols_(table.columns.size()),
      next_(first),
      end_(count == kToEnd ? reader_.rows() : first + count),
      batch_rows_(std::max<std::size_t>(batch_rows, 1)) {
  if (end_ > reader_.rows() || end_ < first)
    throw OutputError(context_ + ": rows " + std::to_string(first) + "+" + std::to_string(count) +
                      " outside the table's " + std::to_string(reader_.rows()) + " rows");
  for (std::size_t c = 0; c < table_.columns.size(); ++c) {
    const ColumnExport& col = table_.columns[c];
    if (!reader_.has_column(col.h5_column))
      throw OutputError(context_ + ": HDF5 column '" + col.h5_column + "' does not exist");
    types_.push_back(sql_type_of(col.kind));
    if (col.kind == ColumnExport::kDictionary)
      cols_[c].dictionary = reader_.dictionary(col.h5_column);
  }
}

std::size_t H5Rows::next() {
  if (next_ >= end_) return 0;
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(batch_rows_, end_ - next_));
  batch_first_ = next_;
  for (std::size_t c = 0; c < table_.columns.size(); ++c) {
    const ColumnExport& column = table_.columns[c];
    ColumnBatch& b = cols_[c];
    switch (column.kind) {
      case ColumnExport::kU64:
        b.u64.resize(n);
        reader_.read_u64(column.h5_column, next_, b.u64);
        for (std::size_t r = 0; r < n; ++r)
          if (b.u64[r] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw OutputError(context_ + ": column '" + column.h5_column + "' row " +
                              std::to_string(next_ + r) + ": " + std::to_string(b.u64[r]) +
                              " exceeds the SQL 64-bit integer range");
        break;
      case ColumnExport::kI64:
        b.i64.resize(n);
        reader_.read_i64(column.h5_column, next_, b.i64);
        break;
      case ColumnExport::kF64:
        b.f64.resize(n);
        reader_.read_f64(column.h5_column, next_, b.f64);
        break;
      case ColumnExport::kString:
        reader_.read_strings(column.h5_column, next_, n, b.strings);
        break;
      case ColumnExport::kDictionary:
        b.codes.resize(n);
        reader_.read_u8(column.h5_column, next_, b.codes);
        for (std::size_t r = 0; r < n; ++r)
          if (b.codes[r] >= b.dictionary.size())
            throw OutputError(context_ + ": column '" + column.h5_column + "' row " +
                              std::to_string(next_ + r) + ": code " + std::to_string(b.codes[r]) +
                              " is outside the dictionary");
        break;
    }
  }
  next_ += n;
  return n;
}

std::int64_t H5Rows::integer(std::size_t column, std::size_t row) const {
  const ColumnBatch& b = cols_[column];
  return table_.columns[column].kind == ColumnExport::kI64 ? b.i64[row]
                                                           : static_cast<std::int64_t>(b.u64[row]);
}

std::string_view H5Rows::text(std::size_t column, std::size_t row) const noexcept {
  const ColumnBatch& b = cols_[column];
  return table_.columns[column].kind == ColumnExport::kDictionary
             ? std::string_view(b.dictionary[b.codes[row]])
             : b.strings[row];
}

}  // namespace dumpmill::sql
