// Checked sqlite3 calls: connection and prepared statement.
#include "dumpmill/sql/db.hpp"

#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::sql {
namespace {

// How much of a statement's SQL an error message quotes.
constexpr std::size_t kSqlQuoteChars = 120;

[[noreturn]] void throw_sqlite(const std::string& path, std::string_view operation, int rc,
                               const char* detail) {
  std::string message = path;
  message += ": SQLite ";
  message += operation;
  message += " failed: ";
  message += (detail != nullptr && detail[0] != '\0') ? detail : sqlite3_errstr(rc);
  message += " (code " + std::to_string(rc) + ")";
  throw OutputError(message);
}

std::string quote_sql(std::string_view sql) {
  std::string out(sql.substr(0, kSqlQuoteChars));
  if (sql.size() > kSqlQuoteChars) out += "...";
  return out;
}

}  // namespace

Db::Db(const std::string& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw_sqlite(path_, "open", rc, detail.c_str());
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

void Db::exec(const std::string& sql) {
  if (db_ == nullptr) throw_sqlite(path_, "exec", SQLITE_MISUSE, "database is closed");
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string detail =
        (error != nullptr ? std::string(error) : std::string(sqlite3_errmsg(db_))) +
        " in: " + quote_sql(sql);
    sqlite3_free(error);
    throw_sqlite(path_, "exec", rc, detail.c_str());
  }
}

Statement Db::prepare(std::string_view sql) {
  if (db_ == nullptr) throw_sqlite(path_, "prepare", SQLITE_MISUSE, "database is closed");
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    const std::string detail = std::string(sqlite3_errmsg(db_)) + " in: " + quote_sql(sql);
    throw_sqlite(path_, "prepare", rc, detail.c_str());
  }
  if (stmt == nullptr) throw_sqlite(path_, "prepare", SQLITE_MISUSE, "empty statement");
  return Statement(stmt, *this);
}

void Db::close() {
  if (db_ == nullptr) return;
  // sqlite3_close (not _v2) refuses to close with live statements: report that as a bug.
  const int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    const std::string detail = sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw_sqlite(path_, "close", rc, detail.c_str());
  }
  db_ = nullptr;
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::fail(std::string_view operation, int rc) const {
  std::string detail = sqlite3_errmsg(sqlite3_db_handle(stmt_));
  detail += " in: ";
  detail += quote_sql(sqlite3_sql(stmt_));
  throw_sqlite(db_->path(), operation, rc, detail.c_str());
}

void Statement::bind_int64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail("bind_int64", rc);
}

void Statement::bind_double(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) fail("bind_double", rc);
}

void Statement::bind_text(int index, std::string_view value) {
  // A non-null pointer even for "": a null one would bind SQL NULL instead of ''.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail("bind_text", rc);
}

void Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail("bind_null", rc);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("step", rc);
}

void Statement::reset() {
  const int rc = sqlite3_reset(stmt_);
  if (rc != SQLITE_OK) fail("reset", rc);
}

int Statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

int Statement::column_type(int index) const noexcept { return sqlite3_column_type(stmt_, index); }

std::int64_t Statement::column_int64(int index) const noexcept {
  return sqlite3_column_int64(stmt_, index);
}

double Statement::column_double(int index) const noexcept {
  return sqlite3_column_double(stmt_, index);
}

std::string_view Statement::column_text(int index) const noexcept {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);  // after column_text, as SQLite asks
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(size)};
}

}  // namespace dumpmill::sql
