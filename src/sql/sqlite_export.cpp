// Atomic SQLite export: load into a temporary file, then fsync + rename into place.
#include "dumpmill/sql/sqlite_export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dumpmill/core/error.hpp"

namespace dumpmill::sql {
namespace {

[[noreturn]] void throw_errno(const std::string& path, std::string_view operation, int error) {
  std::string message = path;
  message += ": ";
  message += operation;
  message += " failed: ";
  message += std::strerror(error);
  throw OutputError(message);
}

// Removes a stale temporary file of the same name (a crashed run that had our pid).
const std::string& fresh_path(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(path, "unlink (stale)", errno);
  return path;
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw_errno(path, "open for fsync", errno);
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    throw_errno(path, "fsync", error);
  }
  if (::close(fd) != 0) throw_errno(path, "close after fsync", errno);
}

}  // namespace

SqliteExport::SqliteExport(const std::string& final_path)
    : final_path_(final_path),
      temp_path_(final_path + ".tmp-" + std::to_string(::getpid())),
      db_(fresh_path(temp_path_)) {
  try {
    // A failed load is discarded whole, so neither a journal nor syncs during it buy anything;
    // durability comes from the fsync in commit().
    db_.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN");
  } catch (...) {
    { const Db closing = std::move(db_); }  // ~SqliteExport does not run for a throwing ctor
    static_cast<void>(::unlink(temp_path_.c_str()));
    throw;
  }
}

SqliteExport::~SqliteExport() {
  if (committed_) return;
  // Close before unlinking so no SQLite handle writes to the removed inode.
  { const Db closing = std::move(db_); }
  static_cast<void>(::unlink(temp_path_.c_str()));
}

Db& SqliteExport::db() {
  if (committed_) throw OutputError(final_path_ + ": SQLite export already committed");
  return db_;
}

void SqliteExport::commit() {
  if (committed_) return;
  db_.exec("COMMIT");
  db_.close();
  fsync_path(temp_path_, O_RDONLY);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw_errno(final_path_, "rename from " + temp_path_, errno);
  }
  committed_ = true;
  // The rename is durable only once the directory entry is on disk.
  std::filesystem::path dir = std::filesystem::path(final_path_).parent_path();
  if (dir.empty()) dir = ".";
  fsync_path(dir.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace dumpmill::sql
