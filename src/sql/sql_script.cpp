// The portable SQL script: DDL, multi-row INSERTs with standard literals, indexes, runs row.
#include "dumpmill/sql/sql_script.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "dumpmill/core/error.hpp"
#include "dumpmill/version.hpp"

namespace dumpmill::sql {
namespace {

// The script is written through this buffer in pieces of this size (no iostreams for bulk data).
constexpr std::size_t kWriteChunk = 1 << 20;

class ScriptFile {
 public:
  explicit ScriptFile(const std::string& path)
      : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) fail("cannot create");
  }
  ~ScriptFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ScriptFile(const ScriptFile&) = delete;
  ScriptFile& operator=(const ScriptFile&) = delete;

  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kWriteChunk) flush();
  }
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
      fail("write failed");
    buffer_.clear();
  }
  void close() {
    flush();
    const bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    const int error = errno;
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (!ok || rc != 0) {
      errno = ok ? errno : error;
      fail("write failed");
    }
  }
  [[noreturn]] void fail(const char* what) const {
    throw OutputError(path_ + ": " + what + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  std::FILE* file_;
  std::string buffer_;
};

void append_integer(std::string& out, std::int64_t v) {
  char b[24];
  const auto r = std::to_chars(b, b + sizeof b, v);
  out.append(b, r.ptr);
}

void append_real(std::string& out, double v) {
  char b[32];
  const int n = std::snprintf(b, sizeof b, "%.17g", v);
  out.append(b, static_cast<std::size_t>(n));
}

[[noreturn]] void throw_unsafe(const std::string& path, const std::string& h5_path,
                               const TableExport& table, std::size_t column, std::uint64_t row) {
  std::string m = path;
  m += ": ";
  m += h5_path;
  m += " table ";
  m += table.h5_group;
  m += " column ";
  m += table.columns[column].h5_column;
  m += " row ";
  m += std::to_string(row);
  m += ": a NUL byte or CR LF cannot be written portably as SQL text";
  throw OutputError(m);
}

void append_value(std::string& out, const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    append_integer(out, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    append_real(out, *d);
  } else {
    append_string_literal(out, std::get<std::string>(v));
  }
}

}  // namespace

bool script_safe(std::string_view text) noexcept {
  return text.find('\0') == std::string_view::npos && text.find("\r\n") == std::string_view::npos;
}

void write_sql_script(const std::string& path, const std::string& h5_path,
                      const std::vector<ExportedTable>& tables,
                      const std::vector<SqlValue>& run_row, std::size_t rows_per_insert) {
  if (rows_per_insert == 0) rows_per_insert = 1;
  ScriptFile file(path);
  std::string& out = file.buffer();
  out += "-- dumpmill ";
  out += kDumpmillVersion;
  out +=
      " portable SQL export. Load with: psql -v ON_ERROR_STOP=1 -f FILE  or  sqlite3 DB < FILE\n"
      "-- Replaces the tables below in one transaction and appends one row to runs.\n"
      "BEGIN;\n";
  for (const ExportedTable& t : tables) {
    const TableSchema schema = t.schema();
    const std::string name = quote_identifier(schema.name);
    out += "DROP TABLE IF EXISTS " + name + ";\n";
    out += create_table_sql(schema, Dialect::kPostgres, schema.name) + ";\n";
    H5Rows rows(h5_path, t.source, 0, H5Rows::kToEnd);
    std::size_t in_statement = 0;
    for (std::size_t n = rows.next(); n > 0; n = rows.next()) {
      for (std::size_t r = 0; r < n; ++r) {
        out += in_statement == 0 ? "INSERT INTO " + name + " VALUES\n(" : std::string(",\n(");
        for (std::size_t c = 0; c < rows.columns(); ++c) {
          if (c > 0) out += ',';
          switch (rows.type(c)) {
            case SqlType::kInteger:
              append_integer(out, rows.integer(c, r));
              break;
            case SqlType::kReal:
              append_real(out, rows.real(c, r));
              break;
            case SqlType::kText: {
              const std::string_view text = rows.text(c, r);
              if (!script_safe(text)) throw_unsafe(path, h5_path, t.source, c, rows.global_row(r));
              append_string_literal(out, text);
              break;
            }
          }
        }
        out += ')';
        if (++in_statement == rows_per_insert) {
          out += ";\n";
          in_statement = 0;
        }
        file.maybe_flush();
      }
    }
    if (in_statement > 0) out += ";\n";
    for (const Index& i : t.indexes) out += create_index_sql(i, i.name, name) + ";\n";
  }
  const TableSchema& runs = runs_table();
  if (run_row.size() != runs.columns.size())
    throw OutputError(path + ": runs row has " + std::to_string(run_row.size()) +
                      " values, the table " + std::to_string(runs.columns.size()) + " columns");
  const std::string runs_name = quote_identifier(runs.name);
  out += create_table_sql(runs, Dialect::kPostgres, runs.name, true) + ";\n";
  out += "INSERT INTO " + runs_name + " VALUES (";
  for (std::size_t i = 0; i < run_row.size(); ++i) {
    if (i > 0) out += ", ";
    append_value(out, run_row[i]);
  }
  out += ");\nCOMMIT;\n";
  file.close();
}

}  // namespace dumpmill::sql
