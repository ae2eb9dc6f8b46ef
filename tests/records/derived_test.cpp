// Records: derived columns (calendar parts checked against SQLite itself), lower, domain, filters.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "dumpmill/core/error.hpp"
#include "dumpmill/records/record_parser.hpp"

namespace dumpmill::records {
namespace {

// SQLite's strftime over an in-memory database: the reference the job's SQL export will use.
class Sqlite {
 public:
  Sqlite() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK) throw std::runtime_error("sqlite3_open");
    if (sqlite3_prepare_v2(db_, "SELECT strftime(?1, ?2)", -1, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
  }
  ~Sqlite() {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  std::string strftime(const std::string& format, const std::string& time) {
    sqlite3_reset(stmt_);
    sqlite3_bind_text(stmt_, 1, format.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt_, 2, time.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt_) != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db_));
    return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, 0));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string iso_day(std::int64_t days) {
  const CivilDate d = civil_from_days(days);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

RecordSpec derive_spec() {
  return parse_record_spec(
      "[job]\nformat = jsonl\n[schema]\ncolumns = T:timestamp D:date? U:string?\n"
      "derive = Y = year(T), M = month(T), W = week(T), H = hour(T), Day = date(T)\n"
      "derive = WD = week(D), L = lower(U), Host = domain(U), YD = year(Day)\n",
      "derive.ini");
}

struct Parsed {
  std::unique_ptr<RecordParser> parser;
  Row row;
  RowOutcome outcome;
};
Parsed parse_line(const RecordSpec& spec, const std::string& line) {
  Parsed p{std::make_unique<RecordParser>(spec), Row{}, RowOutcome::kSkipped};
  RowReject reject{};
  p.outcome = p.parser->parse(parse::Line{line, 1, false}, p.row, reject);
  return p;
}

// Every day of 2020-2024 (1,827 days, two leap years, years starting on Wednesday, Friday,
// Saturday, Sunday and Monday), at 13:45 so hour() is checked too: year, month, %W, hour and
// date against sqlite3's strftime on the same instant.
TEST(Derived, CalendarPartsMatchSqliteForEveryDay2020To2024) {
  Sqlite sql;
  const RecordSpec spec = derive_spec();
  const std::int64_t first = *days_from_civil(2020, 1, 1);
  const std::int64_t last = *days_from_civil(2024, 12, 31);
  ASSERT_EQ(last - first + 1, 1827);
  RecordParser parser(spec);
  Row row;
  RowReject reject{};
  for (std::int64_t day = first; day <= last; ++day) {
    const std::string date = iso_day(day);
    const std::string time = date + "T13:45:00";
    const std::string line = R"({"T":")" + time + R"(","D":")" + date + R"("})";
    ASSERT_EQ(parser.parse(parse::Line{line, 1, false}, row, reject), RowOutcome::kRow) << line;
    const auto& v = row.values;
    EXPECT_EQ(v[3].i64, std::stoll(sql.strftime("%Y", time))) << time;
    EXPECT_EQ(v[4].i64, std::stoll(sql.strftime("%m", time))) << time;
    EXPECT_EQ(v[5].i64, std::stoll(sql.strftime("%W", time))) << time;
    EXPECT_EQ(v[6].i64, std::stoll(sql.strftime("%H", time))) << time;
    EXPECT_EQ(iso_day(v[7].i64), sql.strftime("%Y-%m-%d", time)) << time;
    EXPECT_EQ(v[8].i64, v[5].i64) << "week(date) == week(timestamp) on " << date;
    EXPECT_EQ(sqlite_week_of_year(day), std::stoll(sql.strftime("%W", date))) << date;
  }
}

TEST(Derived, WeekZeroAndLastWeekBoundaries) {
  // 2022-01-02 is a Sunday before the first Monday: week 0; 2022-01-03 (Monday): week 1.
  EXPECT_EQ(sqlite_week_of_year(*days_from_civil(2022, 1, 2)), 0);
  EXPECT_EQ(sqlite_week_of_year(*days_from_civil(2022, 1, 3)), 1);
  // 2024 starts on a Monday: Jan 1 is week 1 and Dec 30 (Monday) is week 53.
  EXPECT_EQ(sqlite_week_of_year(*days_from_civil(2024, 1, 1)), 1);
  EXPECT_EQ(sqlite_week_of_year(*days_from_civil(2024, 12, 30)), 53);
  // Before the epoch too (floor arithmetic): 1969-12-29 was a Monday, week 52.
  EXPECT_EQ(sqlite_week_of_year(-3), 52);
}

TEST(Derived, HourAndDateBeforeEpochAndWithOffsets) {
  const RecordSpec spec = derive_spec();
  Parsed p = parse_line(spec, R"({"T":"1969-12-31T23:30:00"})");
  ASSERT_EQ(p.outcome, RowOutcome::kRow);
  EXPECT_EQ(p.row.values[3].i64, 1969);
  EXPECT_EQ(p.row.values[6].i64, 23);
  EXPECT_EQ(p.row.values[7].i64, -1);
  EXPECT_TRUE(p.row.values[8].null);                             // week(D) of a null D
  EXPECT_EQ(p.row.values[11].i64, 1969);                         // year(Day): derived of derived
  p = parse_line(spec, R"({"T":"2022-01-01T01:00:00+02:00"})");  // 2021-12-31T23:00Z
  EXPECT_EQ(p.row.values[3].i64, 2021);
  EXPECT_EQ(p.row.values[6].i64, 23);
}

TEST(Derived, LowerAndDomain) {
  const RecordSpec spec = derive_spec();
  const struct {
    const char* url;
    const char* lower;
    const char* host;  // nullptr: null
  } cases[] = {
      {"https://User@Example.COM:8080/a?b", "https://user@example.com:8080/a?b", "example.com"},
      {"http://www.nasa.gov/", "http://www.nasa.gov/", "www.nasa.gov"},
      {"ftp://[::1]:21/x", "ftp://[::1]:21/x", "[::1]"},
      {"//cdn.example.org/lib.js", "//cdn.example.org/lib.js", "cdn.example.org"},
      {"example.com/path", "example.com/path", "example.com"},
      {"/history/apollo/", "/history/apollo/", nullptr},
      {"http:///nohost", "http:///nohost", nullptr},
      {"", "", nullptr},
      {"Caf\xC3\x89", "caf\xC3\x89", "caf\xC3\x89"},  // ASCII only, as SQLite's lower()
  };
  for (const auto& c : cases) {
    const Parsed p = parse_line(spec, std::string(R"({"T":"2022-01-01","U":")") + c.url + "\"}");
    ASSERT_EQ(p.outcome, RowOutcome::kRow) << c.url;
    EXPECT_EQ(p.row.values[9].text, c.lower) << c.url;
    if (c.host == nullptr) {
      EXPECT_TRUE(p.row.values[10].null) << c.url;
    } else {
      EXPECT_FALSE(p.row.values[10].null) << c.url;
      EXPECT_EQ(p.row.values[10].text, c.host) << c.url;
    }
  }
}

TEST(Derived, ArgumentTypesAreChecked) {
  for (const char* derive : {"y = year(U)", "h = hour(D)", "l = lower(T)", "d = domain(T)",
                             "x = week T", "T = year(T)", "a = year(T) b = year(T)"}) {
    EXPECT_THROW(
        (void)parse_record_spec(std::string("[job]\nformat = jsonl\n[schema]\n"
                                            "columns = T:timestamp D:date U:string\nderive = ") +
                                    derive + "\n",
                                "x.ini"),
        ConfigError)
        << derive;
  }
}

// ---- filters ----

struct FilterCase {
  const char* filter;
  const char* line;
  bool keep;
};

TEST(Filter, ComparisonsOnEveryType) {
  const std::string head =
      "[job]\nformat = jsonl\n[schema]\ncolumns = I:int64? U:uint64? F:float64? B:bool? "
      "S:string? T:timestamp? D:date?\nderive = Y = year(T)\nfilter = ";
  const FilterCase cases[] = {
      {"I = 5", R"({"I":5})", true},
      {"I == 5", R"({"I":6})", false},
      {"I != 5", R"({"I":6})", true},
      {"I <> 5", R"({"I":5})", false},
      {"I < -1", R"({"I":-2})", true},
      {"I <= -2", R"({"I":-2})", true},
      {"I > 10", R"({"I":10})", false},
      {"I >= 10", R"({"I":10})", true},
      {"I in (1, 2, 3)", R"({"I":"2"})", true},
      {"I in (1,2,3)", R"({"I":4})", false},
      {"I not in (1, 2)", R"({"I":4})", true},
      {"I NOT IN (1, 2)", R"({"I":1})", false},
      {"I = 5", R"({})", false},  // null compares false
      {"I != 5", R"({})", false},
      {"I not in (5)", R"({})", false},
      {"I is null", R"({})", true},
      {"I is not null", R"({})", false},
      {"I IS NOT NULL", R"({"I":0})", true},
      {"U > 18446744073709551614", R"({"U":18446744073709551615})", true},
      {"F < 2.5", R"({"F":2.4999})", true},
      {"F >= 1e3", R"({"F":"999.9"})", false},
      {"B = true", R"({"B":true})", true},
      {"B = 0", R"({"B":true})", false},
      {"S = GET", R"({"S":"GET"})", true},
      {"S = \"a b\"", R"({"S":"a b"})", true},
      {"S < b", R"({"S":"a"})", true},
      {"S in (\"x, y\", z)", R"({"S":"x, y"})", true},
      {"S != \"\"", R"({"S":""})", false},
      {"T >= 2020-01-01", R"({"T":"2019-12-31T23:59:59"})", false},
      {"T >= 2020-01-01", R"({"T":"2020-01-01T00:00:00"})", true},
      {"T < 2020-01-01 12:00", R"({"T":"2020-01-01T11:59:59Z"})", true},
      {"D = 2022-01-02", R"({"D":"2022-01-02"})", true},
      {"Y = 2022", R"({"T":"2022-06-01"})", true},
      {"Y in (2020, 2021)", R"({"T":"2022-06-01"})", false},
  };
  for (const FilterCase& c : cases) {
    const RecordSpec spec = parse_record_spec(head + c.filter + "\n", "f.ini");
    ASSERT_EQ(spec.filters.size(), 1u);
    const Parsed p = parse_line(spec, c.line);
    EXPECT_EQ(p.outcome, c.keep ? RowOutcome::kRow : RowOutcome::kFiltered)
        << c.filter << " on " << c.line;
  }
}

TEST(Filter, SeveralFiltersAreAnded) {
  const RecordSpec spec = parse_record_spec(
      "[job]\nformat = jsonl\n[schema]\ncolumns = I:int64\nfilter = I > 1\nfilter = I < 4\n", "f");
  EXPECT_EQ(parse_line(spec, R"({"I":1})").outcome, RowOutcome::kFiltered);
  EXPECT_EQ(parse_line(spec, R"({"I":2})").outcome, RowOutcome::kRow);
  EXPECT_EQ(parse_line(spec, R"({"I":4})").outcome, RowOutcome::kFiltered);
}

TEST(Filter, BadFiltersAreConfigErrors) {
  for (const char* f : {"I", "I =", "I = x", "J = 1", "I in ()", "I in (1, x)", "I is nul",
                        "I like 5", "= 5", "I in (1", "S = \"open"}) {
    try {
      (void)parse_record_spec(std::string("[job]\nformat = jsonl\n[schema]\n"
                                          "columns = I:int64 S:string\nfilter = ") +
                                  f + "\n",
                              "f.ini");
      ADD_FAILURE() << "accepted: " << f;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("schema.filter"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dumpmill::records
