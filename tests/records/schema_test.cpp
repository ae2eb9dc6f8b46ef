// Records: value types, timestamp formats, text conversion, constraints, job-file parsing.
#include "dumpmill/records/schema.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>

#include "dumpmill/core/error.hpp"
#include "dumpmill/records/record_parser.hpp"
#include "dumpmill/records/timestamp.hpp"

namespace dumpmill::records {
namespace {

using parse::RejectReason;

std::int64_t us(std::int64_t seconds) { return seconds * kMicrosPerSecond; }

TEST(ColumnType, NamesRoundTrip) {
  for (int i = 0; i < 7; ++i) {
    const auto t = static_cast<ColumnType>(i);
    EXPECT_EQ(column_type_from_name(column_type_name(t)), t);
  }
  EXPECT_FALSE(column_type_from_name("int"));
  EXPECT_FALSE(column_type_from_name("String"));
}

TEST(Arena, BlocksNeverMoveAndAreReused) {
  Arena arena(16);
  char* a = arena.allocate(10);
  char* b = arena.allocate(10);  // does not fit the first block: a second one
  char* big = arena.allocate(100);
  EXPECT_NE(a, b);
  std::memset(a, 'a', 10);
  std::memset(big, 'z', 100);
  EXPECT_EQ(a[9], 'a');
  arena.reset();
  EXPECT_EQ(arena.allocate(10), a);  // reuse after reset: no new allocation
  EXPECT_EQ(arena.allocate(10), b);
}

TEST(Timestamp, CivilDaysMatchKnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_FALSE(days_from_civil(2023, 2, 29));
  EXPECT_TRUE(days_from_civil(2024, 2, 29));
  EXPECT_FALSE(days_from_civil(2024, 13, 1));
  const CivilDate d = civil_from_days(19723);  // 2024-01-01
  EXPECT_EQ(d.year, 2024);
  EXPECT_EQ(d.month, 1u);
  EXPECT_EQ(d.day, 1u);
  EXPECT_EQ(days_of_timestamp(-1), -1);  // floor, not truncation
}

TEST(Timestamp, Iso8601Forms) {
  const TimestampFormat iso;
  EXPECT_EQ(iso.parse_timestamp("2017-02-28T00:00:00.000"), us(1488240000));
  EXPECT_EQ(iso.parse_timestamp("2017-02-28"), us(1488240000));
  EXPECT_EQ(iso.parse_timestamp("2017-02-28 01:02"), us(1488240000 + 3720));
  EXPECT_EQ(iso.parse_timestamp("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(iso.parse_timestamp("1970-01-01T00:00:00.123456789"), 123456);
  EXPECT_EQ(iso.parse_timestamp("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(iso.parse_timestamp("1970-01-01T00:00:00-0130"), us(5400));
  EXPECT_EQ(iso.parse_timestamp("1969-12-31T23:59:59Z"), us(-1));
  for (const char* bad :
       {"", "2017-02-30", "2017-2-28", "2017-02-28T24:00", "2017-02-28T00:00:", "2017-02-28x",
        "2017-02-28T00:00:00.", "17-02-28", "2017-02-28T00:00+2:00",
        "2017-02-28T00:00:00.0000000001", " 2017-02-28"}) {
    EXPECT_FALSE(iso.parse_timestamp(bad)) << bad;
  }
  EXPECT_EQ(iso.parse_date("2022-01-02"), 18994);
  EXPECT_FALSE(iso.parse_date("2022-01-02T00:00"));
}

TEST(Timestamp, UnixSeconds) {
  const auto f = TimestampFormat::from_spec("unix");
  EXPECT_EQ(f.kind(), TimestampFormat::Kind::kUnixSeconds);
  EXPECT_EQ(f.parse_timestamp("804571201"), us(804571201));
  EXPECT_EQ(f.parse_timestamp("-1.25"), -1'250'000);
  EXPECT_FALSE(f.parse_timestamp("12a"));
  EXPECT_FALSE(f.parse_timestamp(""));
  EXPECT_FALSE(f.parse_timestamp("9999999999999"));  // 13 digits: past the int64 limit
  EXPECT_EQ(f.parse_date("86400"), 1);
}

TEST(Timestamp, PatternApacheLog) {
  const auto f = TimestampFormat::from_spec("%d/%b/%Y:%H:%M:%S %z");
  EXPECT_EQ(f.parse_timestamp("01/Jul/1995:00:00:01 -0400"), us(804571201));
  EXPECT_EQ(f.parse_timestamp("1/JUL/1995:0:0:1 -0400"), us(804571201));
  EXPECT_FALSE(f.parse_timestamp("01/Jux/1995:00:00:01 -0400"));
  EXPECT_FALSE(f.parse_timestamp("01/Jul/1995:00:00:01 -0400 "));
  const auto g = TimestampFormat::from_spec("%F %T.%f");
  EXPECT_EQ(g.parse_timestamp("1970-01-02 00:00:00.25"), us(86400) + 250000);
  EXPECT_EQ(TimestampFormat::from_spec("%s").parse_timestamp("60"), us(60));
  EXPECT_EQ(TimestampFormat::from_spec("100%% %Y").parse_timestamp("100% 1971"), us(365 * 86400));
  EXPECT_THROW(TimestampFormat::from_spec("%Y-%q"), std::invalid_argument);
  EXPECT_THROW(TimestampFormat::from_spec("%Y%"), std::invalid_argument);
}

TEST(ConvertText, EveryType) {
  const TimestampFormat iso;
  Value v;
  EXPECT_FALSE(convert_text("-17", ColumnType::kInt64, iso, v));
  EXPECT_EQ(v.i64, -17);
  EXPECT_FALSE(v.null);
  EXPECT_EQ(convert_text("9223372036854775808", ColumnType::kInt64, iso, v),
            RejectReason::kOutOfRange);
  EXPECT_EQ(convert_text("17.0", ColumnType::kInt64, iso, v), RejectReason::kWrongType);
  EXPECT_EQ(convert_text(" 17", ColumnType::kInt64, iso, v), RejectReason::kWrongType);
  EXPECT_EQ(convert_text("", ColumnType::kInt64, iso, v), RejectReason::kWrongType);
  EXPECT_FALSE(convert_text("18446744073709551615", ColumnType::kUint64, iso, v));
  EXPECT_EQ(v.u64, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(convert_text("-1", ColumnType::kUint64, iso, v), RejectReason::kWrongType);
  EXPECT_FALSE(convert_text("2.5e3", ColumnType::kFloat64, iso, v));
  EXPECT_DOUBLE_EQ(v.f64, 2500.0);
  EXPECT_EQ(convert_text("nan", ColumnType::kFloat64, iso, v), RejectReason::kWrongType);
  EXPECT_EQ(convert_text("inf", ColumnType::kFloat64, iso, v), RejectReason::kWrongType);
  EXPECT_FALSE(convert_text("TRUE", ColumnType::kBool, iso, v));
  EXPECT_EQ(v.i64, 1);
  EXPECT_FALSE(convert_text("0", ColumnType::kBool, iso, v));
  EXPECT_EQ(v.i64, 0);
  EXPECT_EQ(convert_text("yes", ColumnType::kBool, iso, v), RejectReason::kWrongType);
  EXPECT_FALSE(convert_text("caf\xC3\xA9", ColumnType::kString, iso, v));
  EXPECT_EQ(v.text, "caf\xC3\xA9");
  EXPECT_EQ(convert_text("caf\xC3", ColumnType::kString, iso, v), RejectReason::kInvalidUtf8);
  EXPECT_FALSE(convert_text("2022-01-02", ColumnType::kDate, iso, v));
  EXPECT_EQ(v.i64, 18994);
  EXPECT_EQ(convert_text("2022-13-02", ColumnType::kTimestamp, iso, v), RejectReason::kWrongType);
}

TEST(CheckValue, RequiredAllowedAndRange) {
  Column c;
  c.type = ColumnType::kInt64;
  Value null_value;
  EXPECT_EQ(check_value(c, null_value), RejectReason::kMissingField);
  c.required = false;
  EXPECT_FALSE(check_value(c, null_value));
  c.allowed.push_back(*parse_literal("2", ColumnType::kInt64));
  c.allowed.push_back(*parse_literal("3", ColumnType::kInt64));
  Value v;
  v.null = false;
  v.i64 = 3;
  EXPECT_FALSE(check_value(c, v));
  v.i64 = 4;
  EXPECT_EQ(check_value(c, v), RejectReason::kNotAllowed);
  c.allowed.clear();
  c.min = *parse_literal("1", ColumnType::kInt64);
  c.max = *parse_literal("16", ColumnType::kInt64);
  v.i64 = 16;
  EXPECT_FALSE(check_value(c, v));
  v.i64 = 17;
  EXPECT_EQ(check_value(c, v), RejectReason::kOutOfRange);
  v.i64 = 0;
  EXPECT_EQ(check_value(c, v), RejectReason::kOutOfRange);

  Column s;
  s.allowed.push_back(*parse_literal("link", ColumnType::kString));
  std::vector<Column> copies(3, s);  // copying must re-point the literal's view
  Value sv;
  sv.null = false;
  sv.text = "link";
  EXPECT_FALSE(check_value(copies[2], sv));
  sv.text = "lin";
  EXPECT_EQ(check_value(copies[2], sv), RejectReason::kNotAllowed);
}

TEST(SplitList, QuotesCommasAndSpaces) {
  EXPECT_EQ(split_list("a, b c,,d"), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(split_list(R"("New York", "say \"hi\"" x)"),
            (std::vector<std::string>{"New York", "say \"hi\"", "x"}));
  EXPECT_THROW(split_list("\"open"), std::invalid_argument);
}

constexpr std::string_view kVotesJob = R"(
# votes, as the job file spells it
[job]
name = votes
format = jsonl
[schema]
columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp
columns = UserId:int64? BountyAmount:int64?
extra = reject
derive = Year = year(CreationDate), WeekNumber = week(CreationDate)
filter = VoteTypeId in (1, 2, 3)
[column.VoteTypeId]
min = 1
max = 16
[column.CreationDate]
format = %Y-%m-%dT%H:%M:%S.%f
[output]
dir = ignored/by/records
)";

TEST(RecordSpec, VotesJobParses) {
  const RecordSpec spec = parse_record_spec(kVotesJob, "votes.ini");
  EXPECT_EQ(spec.format.format, Format::kJsonl);
  ASSERT_EQ(spec.schema.columns.size(), 6u);
  EXPECT_EQ(spec.schema.columns[3].name, "CreationDate");
  EXPECT_EQ(spec.schema.columns[3].type, ColumnType::kTimestamp);
  EXPECT_EQ(spec.schema.columns[3].format.kind(), TimestampFormat::Kind::kPattern);
  EXPECT_TRUE(spec.schema.columns[0].required);
  EXPECT_FALSE(spec.schema.columns[4].required);
  EXPECT_EQ(spec.schema.extra, ExtraPolicy::kReject);
  ASSERT_TRUE(spec.schema.columns[2].max);
  EXPECT_EQ(spec.schema.columns[2].max->value.i64, 16);
  ASSERT_EQ(spec.derived.size(), 2u);
  EXPECT_EQ(spec.width(), 8u);
  EXPECT_EQ(spec.find("WeekNumber"), 7u);
  EXPECT_EQ(spec.column_type(7), ColumnType::kInt64);
  ASSERT_EQ(spec.filters.size(), 1u);
  EXPECT_EQ(spec.filters[0].op, CompareOp::kIn);
  EXPECT_EQ(spec.filters[0].operands.size(), 3u);
}

TEST(RecordSpec, CsvDefaultsAndOptions) {
  RecordSpec spec = parse_record_spec("[job]\nformat = csv\n[schema]\ncolumns = a:string\n", "j");
  EXPECT_EQ(spec.format.delimiter, ',');
  EXPECT_EQ(spec.format.quote, '"');
  EXPECT_EQ(spec.format.escape, '"');
  EXPECT_EQ(spec.format.null_text, "");
  EXPECT_FALSE(spec.format.header);
  spec = parse_record_spec(
      "[job]\nformat = csv\n[format]\nheader = true\ndelimiter = semicolon\nquote = '\n"
      "escape = \\\nnull = NULL\ncomment = hash\nskip_empty = true\n[schema]\ncolumns = a:string\n",
      "j");
  EXPECT_TRUE(spec.format.header);
  EXPECT_EQ(spec.format.delimiter, ';');
  EXPECT_EQ(spec.format.quote, '\'');
  EXPECT_EQ(spec.format.escape, '\\');
  EXPECT_EQ(spec.format.null_text, "NULL");
  EXPECT_EQ(spec.format.comment, '#');
  EXPECT_TRUE(spec.format.skip_empty);
  spec = parse_record_spec("[job]\nformat = tsv\n[schema]\ncolumns = a:string\n", "j");
  EXPECT_EQ(spec.format.delimiter, '\t');
  EXPECT_EQ(spec.format.quote, '\0');
  EXPECT_EQ(spec.format.null_text, "\\N");
}

// Every bad schema is a ConfigError whose message names the file and the offending key.
TEST(RecordSpec, BadSchemasNameTheKey) {
  struct Case {
    const char* text;
    const char* key;
  };
  const Case cases[] = {
      {"[schema]\ncolumns = a:int64\n", "job.format"},
      {"[job]\nformat = xml\n[schema]\ncolumns = a:int64\n", "job.format"},
      {"[job]\nformat = jsonl\n", "schema.columns"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int\n", "schema.columns"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a\n", "schema.columns"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64 a:string\n", "schema.columns"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nextra = maybe\n", "schema.extra"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\ncolumn = x\n", "schema.column"},
      {"[job]\nformat = jsonl\n[format]\nheader = true\n[schema]\ncolumns = a:int64\n",
       "format.header"},
      {"[job]\nformat = tsv\n[format]\nquote = \"\n[schema]\ncolumns = a:int64\n", "format.quote"},
      {"[job]\nformat = csv\n[format]\ndelimiter = ab\n[schema]\ncolumns = a:int64\n",
       "format.delimiter"},
      {"[job]\nformat = csv\n[format]\nquote = comma\n[schema]\ncolumns = a:int64\n",
       "format.quote"},
      {"[job]\nformat = csv\n[format]\nheadr = true\n[schema]\ncolumns = a:int64\n",
       "format.headr"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.b]\nmin = 1\n", "column.b.min"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.a]\nmin = x\n", "column.a.min"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.a]\nmin = 5\nmax = 1\n",
       "column.a.min"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:string\n[column.a]\nmax = z\n",
       "column.a.max"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.a]\nformat = unix\n",
       "column.a.format"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:timestamp\n[column.a]\nformat = %Q\n",
       "column.a.format"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.a]\nallowed = 1, x\n",
       "column.a.allowed"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\n[column.a]\nrequird = true\n",
       "column.a.requird"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nderive = y = year(a)\n",
       "schema.derive"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nderive = y = yr(a)\n", "schema.derive"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nderive = a = year(b)\n",
       "schema.derive"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nfilter = b = 1\n", "schema.filter"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nfilter = a = x\n", "schema.filter"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nfilter = a ~ 1\n", "schema.filter"},
      {"[job]\nformat = jsonl\n[schema]\ncolumns = a:int64\nfilter = a in 1, 2\n", "schema.filter"},
      {"[job]\nformat = jsonl\nthis line has no equals sign\n", "my.ini"},
  };
  for (const Case& c : cases) {
    try {
      (void)parse_record_spec(c.text, "my.ini");
      ADD_FAILURE() << "no error for:\n" << c.text;
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("my.ini"), std::string::npos) << what;
      EXPECT_NE(what.find(c.key), std::string::npos) << "want key " << c.key << " in: " << what;
      EXPECT_EQ(e.exit_code(), 2);
    }
  }
}

}  // namespace
}  // namespace dumpmill::records
