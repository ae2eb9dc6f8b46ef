// The ingest manifest in SQLite: one row per input version, changed one statement at a time.
#include "dumpmill/cli/ingest_manifest.hpp"

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS inputs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  job TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  message TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL,
  result_dir TEXT NOT NULL,
  holder_pid INTEGER NOT NULL DEFAULT 0,
  started_utc TEXT NOT NULL DEFAULT '',
  finished_utc TEXT NOT NULL DEFAULT '',
  records_read INTEGER NOT NULL DEFAULT 0,
  seconds REAL NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  UNIQUE (name, version));
)";

// Manifests written before `attempts` existed get the column in place; 0 for every old row,
// so a row left running by the old binary has two more tries.
constexpr const char* kAddAttempts =
    "ALTER TABLE inputs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0";

static_assert(kMaxAttempts == 3, "Manifest::kGaveUpMessage spells the limit out");

constexpr const char* kColumns =
    "id, name, path, size, mtime_ns, ctime_ns, inode, checksum, job, status, message, version, "
    "result_dir, holder_pid, started_utc, finished_utc, records_read, seconds, attempts";

InputVersion read_row(const sql::Statement& s) {
  InputVersion v;
  int c = 0;
  v.id = s.column_int64(c++);
  v.name = s.column_text(c++);
  v.path = s.column_text(c++);
  v.stat.size = static_cast<std::uint64_t>(s.column_int64(c++));
  v.stat.mtime_ns = s.column_int64(c++);
  v.stat.ctime_ns = s.column_int64(c++);
  v.stat.inode = static_cast<std::uint64_t>(s.column_int64(c++));
  v.checksum = s.column_text(c++);
  v.job = s.column_text(c++);
  v.status = parse_status(s.column_text(c++));
  v.message = s.column_text(c++);
  v.version = s.column_int64(c++);
  v.result_dir = s.column_text(c++);
  v.holder_pid = s.column_int64(c++);
  v.started_utc = s.column_text(c++);
  v.finished_utc = s.column_text(c++);
  v.records_read = s.column_int64(c++);
  v.seconds = s.column_double(c++);
  v.attempts = s.column_int64(c++);
  return v;
}

}  // namespace

std::string_view status_name(InputStatus s) {
  switch (s) {
    case InputStatus::kPending:
      return "pending";
    case InputStatus::kRunning:
      return "running";
    case InputStatus::kDone:
      return "done";
    case InputStatus::kFailed:
      return "failed";
  }
  return "?";
}

InputStatus parse_status(std::string_view word) {
  for (InputStatus s :
       {InputStatus::kPending, InputStatus::kRunning, InputStatus::kDone, InputStatus::kFailed})
    if (status_name(s) == word) return s;
  throw OutputError("manifest: unknown input status '" + std::string(word) + "'");
}

bool gave_up(const InputVersion& v) {
  return v.status == InputStatus::kFailed && v.attempts >= kMaxAttempts;
}

Manifest::Manifest(const std::string& path) : db_(path) {
  // 10 s: the longest a reader's query over a few thousand rows could plausibly hold the file.
  db_.exec("PRAGMA busy_timeout = 10000");
  db_.exec(kSchema);
  bool has_attempts = false;
  {
    sql::Statement columns = db_.prepare("PRAGMA table_info(inputs)");  // column 1 is the name
    while (columns.step())
      if (columns.column_text(1) == "attempts") has_attempts = true;
  }
  if (!has_attempts) db_.exec(kAddAttempts);
}

Manifest::Recovered Manifest::recover_running() {
  Recovered r;
  sql::Statement give_up = db_.prepare(
      "UPDATE inputs SET status = 'failed', message = ?1 WHERE status = 'running' AND "
      "attempts >= ?2");
  give_up.bind_text(1, kGaveUpMessage);
  give_up.bind_int64(2, kMaxAttempts);
  give_up.step();
  r.given_up = sqlite3_changes(db_.get());
  sql::Statement redo = db_.prepare(
      "UPDATE inputs SET status = 'pending', message = 'the ingest that ran it (pid ' || "
      "holder_pid || ') died before it finished; redone' WHERE status = 'running'");
  redo.step();
  r.redone = sqlite3_changes(db_.get());
  return r;
}

std::optional<InputVersion> Manifest::latest(const std::string& name) {
  sql::Statement s = db_.prepare(std::string("SELECT ") + kColumns +
                                 " FROM inputs WHERE name = ?1 ORDER BY version DESC LIMIT 1");
  s.bind_text(1, name);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::int64_t Manifest::add(const InputVersion& v) {
  sql::Statement s = db_.prepare(
      "INSERT INTO inputs (name, path, size, mtime_ns, ctime_ns, inode, checksum, job, status, "
      "message, version, result_dir) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  int i = 1;
  s.bind_text(i++, v.name);
  s.bind_text(i++, v.path);
  s.bind_int64(i++, static_cast<std::int64_t>(v.stat.size));
  s.bind_int64(i++, v.stat.mtime_ns);
  s.bind_int64(i++, v.stat.ctime_ns);
  s.bind_int64(i++, static_cast<std::int64_t>(v.stat.inode));
  s.bind_text(i++, v.checksum);
  s.bind_text(i++, v.job);
  s.bind_text(i++, status_name(v.status));
  s.bind_text(i++, v.message);
  s.bind_int64(i++, v.version);
  s.bind_text(i++, v.result_dir);
  s.step();
  return sqlite3_last_insert_rowid(db_.get());
}

void Manifest::update_seen(std::int64_t id, const std::string& path, const FileStat& stat) {
  sql::Statement s = db_.prepare(
      "UPDATE inputs SET path = ?2, size = ?3, mtime_ns = ?4, ctime_ns = ?5, inode = ?6 "
      "WHERE id = ?1");
  s.bind_int64(1, id);
  s.bind_text(2, path);
  s.bind_int64(3, static_cast<std::int64_t>(stat.size));
  s.bind_int64(4, stat.mtime_ns);
  s.bind_int64(5, stat.ctime_ns);
  s.bind_int64(6, static_cast<std::int64_t>(stat.inode));
  s.step();
}

void Manifest::mark_running(std::int64_t id, std::int64_t holder_pid,
                            const std::string& started_utc) {
  sql::Statement s = db_.prepare(
      "UPDATE inputs SET status = 'running', holder_pid = ?2, started_utc = ?3, "
      "finished_utc = '', attempts = attempts + 1 WHERE id = ?1");
  s.bind_int64(1, id);
  s.bind_int64(2, holder_pid);
  s.bind_text(3, started_utc);
  s.step();
}

void Manifest::mark_done(std::int64_t id, std::int64_t records_read, double seconds,
                         const std::string& finished_utc) {
  sql::Statement s = db_.prepare(
      "UPDATE inputs SET status = 'done', message = '', records_read = ?2, seconds = ?3, "
      "finished_utc = ?4, attempts = 0 WHERE id = ?1");
  s.bind_int64(1, id);
  s.bind_int64(2, records_read);
  s.bind_double(3, seconds);
  s.bind_text(4, finished_utc);
  s.step();
}

void Manifest::mark_failed(std::int64_t id, const std::string& message,
                           const std::string& finished_utc) {
  set_failed(id, message, finished_utc, true);
}

void Manifest::mark_dying(std::int64_t id, const std::string& message,
                          const std::string& finished_utc) {
  set_failed(id, message, finished_utc, false);
}

void Manifest::set_failed(std::int64_t id, const std::string& message,
                          const std::string& finished_utc, bool finished) {
  sql::Statement s = db_.prepare(
      "UPDATE inputs SET status = 'failed', message = ?2, finished_utc = ?3, "
      "attempts = CASE WHEN ?4 THEN 0 ELSE attempts END WHERE id = ?1");
  s.bind_int64(1, id);
  s.bind_text(2, message);
  s.bind_text(3, finished_utc);
  s.bind_int64(4, finished ? 1 : 0);
  s.step();
}

std::vector<InputVersion> Manifest::all() {
  sql::Statement s =
      db_.prepare(std::string("SELECT ") + kColumns + " FROM inputs ORDER BY name, version");
  std::vector<InputVersion> rows;
  while (s.step()) rows.push_back(read_row(s));
  return rows;
}

}  // namespace dumpmill::cli
