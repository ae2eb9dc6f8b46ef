// Db and Statement: a checked RAII wrapper over the sqlite3 C API.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill::sql {

class Statement;

// One open SQLite connection. Every failing sqlite3 call throws dumpmill::OutputError whose
// message names the database path, the operation and sqlite3_errmsg. Move-only; the destructor
// closes (sqlite3_close_v2, failures ignored), close() reports.
class Db {
 public:
  // Opens the database at `path`. The default adds SQLITE_OPEN_NOMUTEX: a Db is used by one
  // thread at a time, and the per-call mutex of SQLite's serialized mode cost 14% of the
  // export's CPU time (perf, bench_sql).
  static constexpr int kDefaultFlags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  explicit Db(const std::string& path, int flags = kDefaultFlags);
  ~Db();
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more SQL statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  // Never pass values through here: bind them with prepare().
  void exec(const std::string& sql);
  // Compiles one statement; placeholders ?1, ?2 ... are bound by 1-based index.
  Statement prepare(std::string_view sql);
  // Closes; throws OutputError if SQLite reports an error (e.g. unfinalized statements).
  void close();

  bool is_open() const noexcept { return db_ != nullptr; }
  sqlite3* get() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// One prepared statement. Bind, step until done, reset, bind again: one compiled INSERT
// serves every row. Move-only; finalized by the destructor. A Statement must not outlive
// the Db that prepared it.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds parameter `index` (1-based). Text is bound with its explicit length and copied
  // (SQLITE_TRANSIENT), so any bytes survive, embedded NUL included, and `value` may die
  // right after the call.
  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_text(int index, std::string_view value);
  void bind_null(int index);

  // Advances: true if a result row is ready (SQLITE_ROW), false when done (SQLITE_DONE).
  bool step();
  // Makes the statement ready to run again; bindings are kept until rebound.
  void reset();

  // Result columns of the current row (0-based index, as in sqlite3_column_*).
  int column_count() const noexcept;
  int column_type(int index) const noexcept;  // SQLITE_INTEGER, SQLITE_TEXT, ...
  std::int64_t column_int64(int index) const noexcept;
  double column_double(int index) const noexcept;
  // Valid until the next step(), reset() or destruction; keeps embedded NUL bytes.
  std::string_view column_text(int index) const noexcept;

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, const Db& db) noexcept : stmt_(stmt), db_(&db) {}
  [[noreturn]] void fail(std::string_view operation, int rc) const;

  sqlite3_stmt* stmt_ = nullptr;
  const Db* db_ = nullptr;
};

}  // namespace dumpmill::sql
