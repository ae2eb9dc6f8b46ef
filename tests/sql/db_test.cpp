// Unit tests of the sqlite3 wrapper (Db, Statement) and of SqliteExport's atomic publish.
#include "dumpmill/sql/db.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/sqlite_export.hpp"

namespace dumpmill::sql {
namespace {

using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dumpmill-sql-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

TEST(Db, BoundValuesRoundTripExactly) {
  TempDir dir;
  Db db(dir.file("t.db"));
  db.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT)");
  const std::string texts[] = {"",
                               std::string("nul\0inside", 10),
                               "quote ' and \" and ;DROP TABLE t;--",
                               "tab\tback\\slash\nnewline",
                               "Ünïcödé 日本語 😀",
                               std::string("\xff\xfe not utf-8", 13)};
  Statement insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3)");
  std::int64_t i = std::numeric_limits<std::int64_t>::min();
  for (const std::string& text : texts) {
    insert.bind_int64(1, i);
    insert.bind_double(2, -0.5);
    insert.bind_text(3, text);
    EXPECT_FALSE(insert.step());
    insert.reset();
    i = std::numeric_limits<std::int64_t>::max();
  }
  insert.bind_null(3);
  EXPECT_FALSE(insert.step());

  Statement select = db.prepare("SELECT i, r, s FROM t ORDER BY rowid");
  for (const std::string& text : texts) {
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.column_text(2), text);
    EXPECT_EQ(select.column_double(1), -0.5);
  }
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_type(2), SQLITE_NULL);
  EXPECT_EQ(select.column_int64(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(select.step());
  select.reset();
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int64(0), std::numeric_limits<std::int64_t>::min());
}

TEST(Db, ErrorsNameTheDatabaseAndTheCause) {
  TempDir dir;
  const std::string path = dir.file("e.db");
  Db db(path);
  try {
    db.exec("CREATE TABLEX oops");
    ADD_FAILURE() << "no exception";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("syntax error"));
  }
  EXPECT_THROW(db.prepare("SELECT * FROM missing_table"), OutputError);
  db.exec("CREATE TABLE u (k INTEGER PRIMARY KEY)");
  Statement insert = db.prepare("INSERT INTO u VALUES (?)");
  insert.bind_int64(1, 1);
  EXPECT_FALSE(insert.step());
  insert.reset();
  try {
    insert.step();  // same key again
    ADD_FAILURE() << "no exception";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("UNIQUE constraint failed"));
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
  EXPECT_THROW(insert.bind_int64(7, 1), OutputError);  // no parameter 7
  const std::string missing = dir.file("no/such/dir/x.db");
  try {
    Db bad(missing);
    ADD_FAILURE() << "no exception";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing));
  }
}

TEST(Db, CloseRefusesWhileAStatementIsAlive) {
  TempDir dir;
  Db db(dir.file("c.db"));
  {
    Statement s = db.prepare("SELECT 1");
    EXPECT_THROW(db.close(), OutputError);
  }
  EXPECT_FALSE(db.is_open());
}

TEST(SqliteExport, CommitPublishesAndRemovesTheTemporaryFile) {
  TempDir dir;
  const std::string final_path = dir.file("out.db");
  {
    SqliteExport load(final_path);
    EXPECT_EQ(load.temp_path(), final_path + ".tmp-" + std::to_string(::getpid()));
    EXPECT_TRUE(std::filesystem::exists(load.temp_path()));
    EXPECT_FALSE(std::filesystem::exists(final_path));  // nothing published before commit
    load.db().exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)");
    load.commit();
    EXPECT_TRUE(load.committed());
    EXPECT_THROW(load.db(), OutputError);
  }
  EXPECT_EQ(files_in(dir.path()), 1U);
  Db check(final_path, SQLITE_OPEN_READONLY);
  Statement s = check.prepare("SELECT x FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int64(0), 7);
}

TEST(SqliteExport, AbandonedLoadLeavesThePreviousFileByteIdentical) {
  TempDir dir;
  const std::string final_path = dir.file("out.db");
  {
    SqliteExport first(final_path);
    first.db().exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('previous')");
    first.commit();
  }
  const std::string before = slurp(final_path);
  ASSERT_FALSE(before.empty());
  try {
    SqliteExport second(final_path);
    second.db().exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('new')");
    second.db().exec("this is not SQL");  // the load fails half-way
    ADD_FAILURE() << "no exception";
  } catch (const OutputError&) {
  }
  EXPECT_EQ(slurp(final_path), before);
  EXPECT_EQ(files_in(dir.path()), 1U);  // no temporary file left behind
}

TEST(SqliteExport, StaleTemporaryFileIsReplaced) {
  TempDir dir;
  const std::string final_path = dir.file("out.db");
  const std::string stale = final_path + ".tmp-" + std::to_string(::getpid());
  std::ofstream(stale) << "garbage from a crashed run";
  SqliteExport load(final_path);
  load.db().exec("CREATE TABLE t (x INTEGER)");
  load.commit();
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(final_path));
}

TEST(SqliteExport, MissingDirectoryIsAnOutputErrorNamingThePath) {
  TempDir dir;
  const std::string final_path = dir.file("missing/out.db");
  try {
    SqliteExport load(final_path);
    ADD_FAILURE() << "no exception";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(final_path));
  }
  EXPECT_EQ(files_in(dir.path()), 0U);
}

}  // namespace
}  // namespace dumpmill::sql
