// Checked libpq calls: URL rules, connection, commands with parameters, COPY FROM STDIN.
#include "dumpmill/sql/pg_conn.hpp"

#include <cstring>
#include <memory>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::sql {
namespace {

// How much of a statement an error message quotes.
constexpr std::size_t kSqlQuoteChars = 160;

bool starts_with_scheme(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string quote_sql(std::string_view sql) {
  std::string out(sql.substr(0, kSqlQuoteChars));
  if (sql.size() > kSqlQuoteChars) out += "...";
  return out;
}

// libpq messages end in a newline; one-line errors read better.
std::string one_line(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s;
}

}  // namespace

std::string redact_pg_url(std::string_view url) {
  std::string out;
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const std::size_t authority_begin = scheme + 3;
  std::size_t authority_end = url.find_first_of("/?", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  const std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  out.append(url.substr(0, authority_begin));
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    out.append(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out += ":***";
    out.append(authority.substr(at));
  } else {
    out.append(authority);
  }
  std::string_view rest = url.substr(authority_end);
  const std::size_t question = rest.find('?');
  out.append(rest.substr(0, question));
  if (question == std::string_view::npos) return out;
  out += '?';
  std::string_view query = rest.substr(question + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    const std::size_t eq = param.find('=');
    if (!first) out += '&';
    first = false;
    if (eq != std::string_view::npos && percent_decode(param.substr(0, eq)) == "password") {
      out.append(param.substr(0, eq));
      out += "=***";
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void check_pg_url(const std::string& url) {
  const std::string shown = redact_pg_url(url);
  if (!starts_with_scheme(url))
    throw ConfigError("SQL target '" + shown +
                      "' is not a PostgreSQL URI (postgresql://[user@]host[:port]/dbname[?...])");
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string detail = error != nullptr ? one_line(error) : "out of memory";
    PQfreemem(error);
    throw ConfigError("SQL target '" + shown + "' is not a valid PostgreSQL URI: " + detail);
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o)
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0')
      has_password = true;
  PQconninfoFree(options);
  if (has_password)
    throw ConfigError("SQL target '" + shown +
                      "' contains a password; refusing it because command lines and job files "
                      "are visible to other users (ps, shell history, copied job files). Remove "
                      "it from the URL and give it through PGPASSWORD or a password file "
                      "(PGPASSFILE, default ~/.pgpass)");
}

PgResult::~PgResult() { PQclear(result_); }
PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
int PgResult::rows() const noexcept { return result_ != nullptr ? PQntuples(result_) : 0; }
bool PgResult::is_null(int row, int column) const noexcept {
  return PQgetisnull(result_, row, column) != 0;
}
std::string_view PgResult::value(int row, int column) const noexcept {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

PgConn::PgConn(const std::string& url) : url_(redact_pg_url(url)) {
  check_pg_url(url);
  // Later keywords override earlier ones, and the expanded URI sits between: the URL may set
  // connect_timeout; client_encoding is ours.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {"10", "dumpmill", url.c_str(), "UTF8", nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) fail("connect", "out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string detail = one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    fail("connect", detail);
  }
  // The IF EXISTS statements of the export raise NOTICEs ("does not exist, skipping") that
  // libpq would print to stderr on every run; warnings and errors still come through.
  exec("SET client_min_messages = warning");
}

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PgConn::PgConn(PgConn&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), url_(std::move(other.url_)) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    url_ = std::move(other.url_);
  }
  return *this;
}

void PgConn::fail(std::string_view operation, std::string_view detail) const {
  std::string message = "PostgreSQL ";
  message += url_;
  message += ": ";
  message += operation;
  message += " failed: ";
  message += detail;
  throw OutputError(message);
}

PgResult PgConn::exec(const std::string& sql, const std::vector<std::string>& params) {
  if (conn_ == nullptr) fail("exec", "connection is closed");
  PgResult result(nullptr);
  if (params.empty()) {
    result = PgResult(PQexec(conn_, sql.c_str()));
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::string& p : params) values.push_back(p.c_str());
    result = PgResult(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
  }
  const ExecStatusType status =
      result.get() != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    fail("exec", one_line(PQerrorMessage(conn_)) + " in: " + quote_sql(sql));
  return result;
}

void PgConn::copy_begin(const std::string& copy_sql) {
  if (conn_ == nullptr) fail("COPY", "connection is closed");
  const PgResult result(PQexec(conn_, copy_sql.c_str()));
  if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COPY_IN)
    fail("COPY", one_line(PQerrorMessage(conn_)) + " in: " + quote_sql(copy_sql));
}

void PgConn::copy_data(std::string_view bytes) {
  // In blocking mode PQputCopyData returns 1 once queued or -1 on error (never 0).
  if (PQputCopyData(conn_, bytes.data(), static_cast<int>(bytes.size())) != 1)
    fail("COPY data", one_line(PQerrorMessage(conn_)));
}

void PgConn::copy_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1) fail("COPY end", one_line(PQerrorMessage(conn_)));
  // The verdict, then libpq wants the remaining results drained before the next command.
  std::string error;
  while (PGresult* raw = PQgetResult(conn_)) {
    const PgResult result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && error.empty())
      error = one_line(PQresultErrorMessage(raw));
  }
  if (!error.empty()) fail("COPY", error);
}

std::string PgConn::quote_identifier(std::string_view name) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeIdentifier(conn_, name.data(), name.size()), &PQfreemem);
  if (!quoted) fail("quote identifier", one_line(PQerrorMessage(conn_)));
  return quoted.get();
}

}  // namespace dumpmill::sql
