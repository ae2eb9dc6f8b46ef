// Against the throwaway PostgreSQL of tests/e2e/postgres_server.py: bytes the parser never lets
// through (tab, newline, CR) and every other hard byte survive binary COPY exactly, and the
// .sql literal form loads byte-exact through both `psql -f` and `sqlite3 db < file`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/db.hpp"
#include "dumpmill/sql/pg_conn.hpp"
#include "dumpmill/sql/pg_copy.hpp"
#include "dumpmill/sql/schema.hpp"
#include "dumpmill/sql/sql_script.hpp"

namespace dumpmill::sql {
namespace {

namespace fs = std::filesystem;

// "cr\rlf": a lone CR goes through the script too; CR LF does not (sqlite3's shell drops the
// CR, see script_safe) and is covered by the COPY test only.
const std::vector<std::string> kHard = {
    "tab\there", "line\nbreak", "cr\rlf",        "back\\slash\\",
    "\\.",       "\\N",         "O'Brien \"q\"", "Ünïcödé_日本語 😀",
    "",          "'",           "$$x$$",         "a:b :'c'",
    "\n.quit\n", "E'\\x41'",    "end\\"};

// The server's base URL, or "" when the fixture is not running (the test then skips).
std::string base_url() {
  const char* dir = std::getenv("DUMPMILL_TEST_PG_DIR");
  if (dir == nullptr) return {};
  std::ifstream in(fs::path(dir) / "url");
  std::string url;
  std::getline(in, url);
  return url;
}

class PgRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = base_url();
    if (base_.empty()) GTEST_SKIP() << "no PostgreSQL fixture (DUMPMILL_TEST_PG_DIR/url)";
    PgConn admin(base_ + "/postgres");
    admin.exec("DROP DATABASE IF EXISTS dm_roundtrip");
    admin.exec("CREATE DATABASE dm_roundtrip");
    url_ = base_ + "/dm_roundtrip";
  }
  std::vector<std::string> read_back(PgConn& c, const std::string& table) {
    const PgResult r = c.exec("SELECT t FROM " + table + " ORDER BY i");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.value(i, 0));
    return out;
  }
  std::string base_, url_;
};

TEST_F(PgRoundTrip, BinaryCopyKeepsEveryByte) {
  std::vector<std::string> hard = kHard;
  hard.emplace_back("crlf\r\n");
  PgConn c(url_);
  c.exec("CREATE TABLE copied (i BIGINT, t TEXT, x DOUBLE PRECISION)");
  PgBinaryCopy copy;
  for (std::size_t i = 0; i < hard.size(); ++i) {
    copy.begin_row(3);
    copy.integer(static_cast<std::int64_t>(i) - 3'000'000'000'000LL);
    copy.text(hard[i]);
    copy.real(0.1 * static_cast<double>(i));
  }
  copy.finish();
  c.copy_begin("COPY copied (i, t, x) FROM STDIN (FORMAT binary)");
  c.copy_data(copy.bytes());
  c.copy_end();
  EXPECT_EQ(read_back(c, "copied"), hard);
  const PgResult r = c.exec("SELECT min(i), max(x) = 0.1::float8 * 15 FROM copied");
  EXPECT_EQ(r.value(0, 0), "-3000000000000");
  EXPECT_EQ(r.value(0, 1), "t");
}

TEST_F(PgRoundTrip, ARejectedCopyThrowsAndTheConnectionStaysUsable) {
  PgConn c(url_);
  c.exec("CREATE TABLE narrow (i BIGINT)");
  PgBinaryCopy copy;
  copy.begin_row(1);
  copy.text("not eight bytes");
  copy.finish();
  c.copy_begin("COPY narrow (i) FROM STDIN (FORMAT binary)");
  c.copy_data(copy.bytes());
  EXPECT_THROW(c.copy_end(), OutputError);
  EXPECT_EQ(c.exec("SELECT count(*) FROM narrow").value(0, 0), "0");
}

TEST_F(PgRoundTrip, ScriptLiteralsLoadInPsqlAndSqlite3) {
  const fs::path dir = fs::temp_directory_path() / ("dm-literals-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path script = dir / "t.sql";
  {
    std::string s = "BEGIN;\nCREATE TABLE lit (i BIGINT, t TEXT);\nINSERT INTO lit VALUES\n";
    for (std::size_t i = 0; i < kHard.size(); ++i) {
      ASSERT_TRUE(script_safe(kHard[i])) << kHard[i];
      s += (i ? ",\n(" : "(") + std::to_string(i) + ",";
      append_string_literal(s, kHard[i]);
      s += ")";
    }
    s += ";\nCOMMIT;\n";
    std::ofstream(script, std::ios::binary) << s;
  }
  const std::string psql = "psql -X -q -v ON_ERROR_STOP=1 -d '" + url_ + "' -f " + script.string();
  ASSERT_EQ(std::system(psql.c_str()), 0) << psql;
  PgConn c(url_);
  EXPECT_EQ(read_back(c, "lit"), kHard);

  const fs::path db = dir / "t.sqlite";
  const std::string sqlite = "sqlite3 -bail " + db.string() + " < " + script.string();
  ASSERT_EQ(std::system(sqlite.c_str()), 0) << sqlite;
  Db lite(db.string());
  Statement st = lite.prepare("SELECT t FROM lit ORDER BY i");
  std::vector<std::string> got;
  while (st.step()) got.emplace_back(st.column_text(0));
  EXPECT_EQ(got, kHard);
  fs::remove_all(dir);
}

TEST_F(PgRoundTrip, WrongDatabaseGivesOutputErrorNamingTheUrl) {
  try {
    PgConn c(base_ + "/no_such_db");
    ADD_FAILURE() << "connected";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/no_such_db: connect failed"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("does not exist"));
  }
}

}  // namespace
}  // namespace dumpmill::sql
