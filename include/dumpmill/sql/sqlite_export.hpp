// SqliteExport: builds a SQLite file under a temporary name and publishes it atomically.
#pragma once

#include <string>

#include "dumpmill/sql/db.hpp"

namespace dumpmill::sql {

// Loads into "<final_path>.tmp-<pid>", a fresh file (a stale one of the same name is removed)
// opened with journal_mode=OFF and synchronous=OFF and one open transaction: a load that fails
// is thrown away whole, so a rollback journal would only cost time.
// commit() = COMMIT, close, fsync the file, rename() onto final_path, fsync the directory.
// Destroyed without commit() (e.g. an exception during the load), it removes the temporary
// file; the previous final_path is untouched until the rename.
// Not copyable or movable: db() hands out a reference.
class SqliteExport {
 public:
  explicit SqliteExport(const std::string& final_path);
  ~SqliteExport();
  SqliteExport(const SqliteExport&) = delete;
  SqliteExport& operator=(const SqliteExport&) = delete;

  // The connection to load with (inside the open transaction). Throws OutputError after commit.
  Db& db();
  // Publishes. Throws OutputError naming the path if any step fails; the temporary file is then
  // removed by the destructor and final_path keeps its previous content.
  void commit();

  const std::string& final_path() const noexcept { return final_path_; }
  const std::string& temp_path() const noexcept { return temp_path_; }
  bool committed() const noexcept { return committed_; }

 private:
  std::string final_path_;
  std::string temp_path_;
  Db db_;
  bool committed_ = false;
};

}  // namespace dumpmill::sql
