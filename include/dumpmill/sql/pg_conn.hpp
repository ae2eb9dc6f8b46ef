// PgConn and PgResult: a checked RAII wrapper over the libpq C API, and the rules for the URL.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>
#include <vector>

namespace dumpmill::sql {

// Accepts only libpq URIs (postgresql:// or postgres://) without a password: passwords come from
// PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass), never argv, job files or logs, because
// argv is visible to every user of the node (ps) and job files and logs get copied around.
// Throws ConfigError (exit 2) saying why; the message never contains the password.
void check_pg_url(const std::string& url);

// The URL with any password (user:PASSWORD@ or ?password=) replaced by "***", for logs.
std::string redact_pg_url(std::string_view url);

// One PGresult; cleared by the destructor. Move-only.
class PgResult {
 public:
  explicit PgResult(PGresult* result) noexcept : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const noexcept;
  bool is_null(int row, int column) const noexcept;
  // Text of a value (text result format); valid while this PgResult lives.
  std::string_view value(int row, int column) const noexcept;
  PGresult* get() const noexcept { return result_; }

 private:
  PGresult* result_ = nullptr;
};

// One libpq connection in blocking mode. Every failure throws dumpmill::OutputError naming the
// redacted URL, the operation and libpq's message. Move-only; the destructor closes (PQfinish),
// which makes the server roll back an open transaction or an unfinished COPY.
class PgConn {
 public:
  // Connects to `url` (checked by check_pg_url first). Sets client_encoding UTF8 (our text is
  // UTF-8) and connect_timeout 10 s unless the URL sets it: libpq's default waits forever for a
  // host that drops packets.
  explicit PgConn(const std::string& url);
  ~PgConn();
  PgConn(PgConn&& other) noexcept;
  PgConn& operator=(PgConn&& other) noexcept;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one command (or several separated by ';' when `params` is empty). Never put values
  // into `sql`: pass them as params ($1, $2 ...; text format, the server casts them).
  PgResult exec(const std::string& sql, const std::vector<std::string>& params = {});

  // COPY ... FROM STDIN: begin (the command must start a COPY IN), send any number of chunks,
  // end (waits for the server's verdict and throws on a rejected row).
  void copy_begin(const std::string& copy_sql);
  void copy_data(std::string_view bytes);
  void copy_end();

  // "name" quoted by libpq for this connection's encoding.
  std::string quote_identifier(std::string_view name);

  const std::string& redacted_url() const noexcept { return url_; }
  PGconn* get() const noexcept { return conn_; }

 private:
  [[noreturn]] void fail(std::string_view operation, std::string_view detail) const;

  PGconn* conn_ = nullptr;
  std::string url_;  // redacted
};

}  // namespace dumpmill::sql
