// Manifest: the ingest's record of every input version (warehouse/manifest.sqlite).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/cli/ingest_landing.hpp"
#include "dumpmill/sql/db.hpp"

namespace dumpmill::cli {

enum class InputStatus { kPending, kRunning, kDone, kFailed };
std::string_view status_name(InputStatus s);
// Throws OutputError for a word that is not a status (a manifest edited by hand).
InputStatus parse_status(std::string_view word);

// One version of one landing input: a row of the manifest's `inputs` table.
struct InputVersion {
  std::int64_t id = 0;
  std::string name;  // file name in the landing directory
  std::string path;  // where it was last seen
  FileStat stat;
  std::string checksum;  // file_checksum(): XXH3-64 of the whole file
  std::string job;       // the job's name
  InputStatus status = InputStatus::kPending;
  std::string message;          // why it failed, or why it is being redone
  std::int64_t version = 0;     // N of results/<stem>/v<N>
  std::string result_dir;       // relative to the warehouse: results/<stem>/v<N>
  std::int64_t holder_pid = 0;  // rank 0 of the ingest that last ran it
  std::string started_utc, finished_utc;
  std::int64_t records_read = 0;
  double seconds = 0;
  // Runs started (mark_running) since the last one that finished, done or failed on every rank.
  std::int64_t attempts = 0;
};

// Runs of one input version that may die (a rank aborted, a node lost) before the ingest stops
// retrying it. 3: one death can be the node, not the dump (an OOM kill next to another job, a
// lost node); two in a row on the daily schedule are still plausibly bad luck; a third means the
// dump itself kills the run, and every retry holds back the dumps after it in name order.
inline constexpr std::int64_t kMaxAttempts = 3;

// Whether the ingest gave up on `v`: failed, and its last kMaxAttempts runs all died (an ordinary
// failure, which every rank saw, resets `attempts`). Not retried until the file's content
// changes, which makes a new version.
bool gave_up(const InputVersion& v);

// The manifest, opened by rank 0 under the warehouse lock. Every change is one statement in
// its own transaction (SQLite's autocommit), so a kill at any instant leaves every row either
// before or after that change; a default rollback journal, not WAL, because warehouses live on
// shared file systems where WAL's shared memory does not work. Readers (a monitoring query, a
// test) may open the file at any time; writers wait up to 10 s for them (busy_timeout).
// Throws OutputError naming the file on any SQLite failure.
class Manifest {
 public:
  explicit Manifest(const std::string& path);

  struct Recovered {
    int redone = 0;    // became `pending`
    int given_up = 0;  // became `failed` (see gave_up())
  };
  // Rows left `running` become `pending` with a message naming the dead holder's pid, or
  // `failed` when that was their kMaxAttempts-th attempt. Only sound under the warehouse lock:
  // then no live ingest is running any of them.
  Recovered recover_running();
  // The highest version of `name`, if any.
  std::optional<InputVersion> latest(const std::string& name);
  // Inserts `v` (status, version and result_dir as given); returns its id.
  std::int64_t add(const InputVersion& v);
  // The file was seen again at `path` with `stat` (its content hashed equal to the row's).
  void update_seen(std::int64_t id, const std::string& path, const FileStat& stat);
  // Also counts the attempt (`attempts` + 1).
  void mark_running(std::int64_t id, std::int64_t holder_pid, const std::string& started_utc);
  // The run finished: `attempts` back to 0.
  void mark_done(std::int64_t id, std::int64_t records_read, double seconds,
                 const std::string& finished_utc);
  // The run finished with an error every rank saw (or the version was superseded): `attempts`
  // back to 0, so a later run retries it.
  void mark_failed(std::int64_t id, const std::string& message, const std::string& finished_utc);
  // The run is about to die (an error only this rank saw, then MPI_Abort): `failed` with the
  // reason, `attempts` kept, so it counts toward kMaxAttempts like a run killed outright.
  void mark_dying(std::int64_t id, const std::string& message, const std::string& finished_utc);
  // Every row, by name then version.
  std::vector<InputVersion> all();

  const std::string& path() const noexcept { return db_.path(); }

  // recover_running()'s message for a row it gave up on.
  static constexpr const char* kGaveUpMessage =
      "gave up after 3 attempts that did not finish (the run died); replace the file to retry";

 private:
  void set_failed(std::int64_t id, const std::string& message, const std::string& finished_utc,
                  bool finished);

  sql::Db db_;
};

}  // namespace dumpmill::cli
