// Unit tests without a server: binary COPY bytes, SQL literals, URL rules, DDL per dialect.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/pg_conn.hpp"
#include "dumpmill/sql/pg_copy.hpp"
#include "dumpmill/sql/pg_export.hpp"
#include "dumpmill/sql/schema.hpp"
#include "dumpmill/sql/sql_script.hpp"

namespace dumpmill::sql {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (const int c : b) s += static_cast<char>(c);
  return s;
}

TEST(PgBinaryCopy, HeaderRowAndTrailerAreThePostgresLayout) {
  PgBinaryCopy c;
  const std::string header =
      std::string("PGCOPY\n\xff\r\n\0", 11) + bytes({0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(c.bytes(), header);
  c.clear();
  c.begin_row(3);
  c.integer(-2);
  c.real(1.5);
  c.text("a\tb\n\r\\'\"é");
  c.finish();
  const std::string want = bytes({0, 3}) + bytes({0, 0, 0, 8}) +
                           bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}) +
                           bytes({0, 0, 0, 8}) + bytes({0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) +
                           bytes({0, 0, 0, 10}) + "a\tb\n\r\\'\"\xc3\xa9" + bytes({0xff, 0xff});
  EXPECT_EQ(c.bytes(), want);
}

TEST(PgBinaryCopy, RefusesNulBytesPostgresTextCannotHold) {
  PgBinaryCopy c;
  EXPECT_THROW(c.text(std::string("a\0b", 3)), OutputError);
}

TEST(SqlLiteral, DoublesQuotesAndKeepsEveryOtherByte) {
  std::string out;
  append_string_literal(out, "O'Brien's \\ \t\n\r \"x\" ''");
  EXPECT_EQ(out, "'O''Brien''s \\ \t\n\r \"x\" '''''");
  out.clear();
  append_string_literal(out, "");
  EXPECT_EQ(out, "''");
}

TEST(SqlLiteral, ScriptSafeRefusesNulAndCrLfOnly) {
  EXPECT_TRUE(script_safe("tab\t lf\n cr\r back\\ quote' \xc3\xa9"));
  EXPECT_FALSE(script_safe("crlf\r\n"));
  EXPECT_FALSE(script_safe(std::string("nul\0", 4)));
}

TEST(PgUrl, RefusesPasswordsWithoutPrintingThem) {
  for (const std::string url : {"postgresql://me:s3cret@db.example:5432/dm",
                                "postgres://me@db.example/dm?sslmode=require&password=s3cret",
                                "postgresql://me@db.example/dm?pass%77ord=s3cret"}) {
    try {
      check_pg_url(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), Not(HasSubstr("s3cret")));
      EXPECT_THAT(e.what(), HasSubstr("PGPASSWORD"));
      EXPECT_EQ(e.exit_code(), 2);
    }
    EXPECT_THAT(redact_pg_url(url), Not(HasSubstr("s3cret")));
  }
  EXPECT_EQ(redact_pg_url("postgresql://me:pw@h:1,g:2/db?a=1&password=x&b=2"),
            "postgresql://me:***@h:1,g:2/db?a=1&password=***&b=2");
  EXPECT_NO_THROW(check_pg_url("postgresql://me@db.example:5432/dm?sslmode=require"));
  EXPECT_NO_THROW(check_pg_url("postgresql:///dm?host=/tmp/sock"));
  EXPECT_THROW(check_pg_url("host=db password=x"), ConfigError);  // key=value form: not a URI
  EXPECT_THROW(check_pg_url("mysql://db/dm"), ConfigError);
  EXPECT_THROW(check_pg_url("postgresql://db/dm?nosuchoption=1"), ConfigError);
}

TEST(Schema, SqliteDdlIsUnchangedAndPostgresUsesBigint) {
  const std::vector<ExportedTable> tables = clickstream_tables(true, true, true);
  ASSERT_EQ(tables.size(), 3u);
  const TableExport pairs = tables[0].for_sqlite();
  EXPECT_EQ(pairs.post_load_sql,
            (std::vector<std::string>{"CREATE INDEX pairs_by_curr ON pairs (curr, n DESC)",
                                      "CREATE INDEX pairs_by_prev ON pairs (prev, n DESC)"}));
  EXPECT_EQ(tables[1].for_sqlite().post_load_sql[0],
            "CREATE UNIQUE INDEX articles_by_title ON articles (title)");
  EXPECT_EQ(create_table_sql(tables[0].schema(), Dialect::kSqlite, "pairs"),
            R"(CREATE TABLE "pairs" ("prev" TEXT, "curr" TEXT, "type" TEXT, "n" INTEGER))");
  EXPECT_EQ(create_table_sql(tables[0].schema(), Dialect::kPostgres, "pairs"),
            R"(CREATE TABLE "pairs" ("prev" TEXT, "curr" TEXT, "type" TEXT, "n" BIGINT))");
  const std::string runs = create_table_sql(runs_table(), Dialect::kPostgres, "runs", true);
  EXPECT_THAT(runs, HasSubstr(R"(CREATE TABLE IF NOT EXISTS "runs" ("started_utc" TEXT NOT NULL)"));
  EXPECT_THAT(runs, HasSubstr(R"("wall_seconds_before_export" DOUBLE PRECISION NOT NULL)"));
  EXPECT_EQ(runs_table().columns.size(), 18u);
  EXPECT_EQ(clickstream_tables(false, true, false).size(), 1u);
}

TEST(PgStagingNames, TagsBecomeIdentifierSafe) {
  EXPECT_EQ(pg_tag("12345-1700000000"), "12345_1700000000");
  EXPECT_EQ(pg_tag("Ab-9.x"), "ab_9_x");
  EXPECT_EQ(pg_staging_name("pairs", "1_2"), "pairs_stage_1_2");
}

}  // namespace
}  // namespace dumpmill::sql
