// Records: TSV, CSV (RFC 4180) and JSONL row parsers, the BOM, and over-long lines.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dumpmill/records/record_parser.hpp"
#include "records_test_util.hpp"

namespace dumpmill::records {
namespace {

using parse::RejectReason;
using testing::run_records;

RecordSpec spec_of(const std::string& format_section, const std::string& schema_section) {
  return parse_record_spec(format_section + "\n[schema]\n" + schema_section, "test.ini");
}

// Parses one line (not at offset 0 unless asked) and returns the outcome.
// Holds the parser too: JSON strings in the row live in its buffer.
struct One {
  std::unique_ptr<RecordParser> parser;
  RowOutcome outcome = RowOutcome::kSkipped;
  RowReject reject{};
  Row row;
};
One parse_one(const RecordSpec& spec, std::string_view text, std::uint64_t offset = 100) {
  One r;
  r.parser = std::make_unique<RecordParser>(spec);
  r.outcome = r.parser->parse(parse::Line{text, offset, false}, r.row, r.reject);
  return r;
}

void expect_reject(const RecordSpec& spec, std::string_view text, RejectReason reason,
                   std::int32_t column = RowReject::kNoColumn) {
  const One r = parse_one(spec, text);
  ASSERT_EQ(r.outcome, RowOutcome::kRejected) << text;
  EXPECT_EQ(parse::reject_reason_name(r.reject.reason), parse::reject_reason_name(reason)) << text;
  EXPECT_EQ(r.reject.column, column) << text;
}

// ---- TSV ----

TEST(Tsv, FieldsByPositionWithNullMarker) {
  const auto spec = spec_of("[job]\nformat = tsv",
                            "columns = host:string time:timestamp n:int64?\n"
                            "[column.time]\nformat = unix");
  One r = parse_one(spec, "a.b\t804571201\t\\N");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "a.b");
  EXPECT_EQ(r.row.values[1].i64, 804571201LL * kMicrosPerSecond);
  EXPECT_TRUE(r.row.values[2].null);
  r = parse_one(spec, "\t1\t");  // empty string stays a string; empty int64 is null
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_FALSE(r.row.values[0].null);
  EXPECT_EQ(r.row.values[0].text, "");
  EXPECT_TRUE(r.row.values[2].null);
  expect_reject(spec, "a\t1", RejectReason::kFieldCount);
  expect_reject(spec, "a\tnoon\t3", RejectReason::kWrongType, 1);
  expect_reject(spec, "a\t1\tx", RejectReason::kWrongType, 2);
  expect_reject(spec, "a\t\\N\t3", RejectReason::kMissingField, 1);
  EXPECT_EQ(parse_one(spec, "a\t1\t2\textra").outcome, RowOutcome::kRow);
  const auto strict = spec_of("[job]\nformat = tsv", "columns = a:string b:string\nextra = reject");
  expect_reject(strict, "x\ty\tz", RejectReason::kFieldCount);
  EXPECT_EQ(parse_one(strict, "x\t\"y").outcome, RowOutcome::kRow);  // no quoting in tsv
}

TEST(Tsv, HeaderBindsByNameAndReportsDifferences) {
  const auto spec = spec_of("[job]\nformat = tsv\n[format]\nheader = true",
                            "columns = url:string host:string bytes:int64? missing:string?");
  const std::string text = "host\tlogname\turl\tbytes\nh1\t-\t/a\t10\nh2\t-\t/b\t\n";
  std::vector<std::string> seen;
  const auto out = run_records(spec, text, [&](const Row& row) {
    seen.push_back(std::string(row.values[0].text) + "|" + std::string(row.values[1].text));
  });
  EXPECT_EQ(out.headers, 1u);
  EXPECT_EQ(out.rows, 2u);
  EXPECT_EQ(seen, (std::vector<std::string>{"/a|h1", "/b|h2"}));
  RecordParser p(spec);
  const HeaderBinding b = p.bind_header("host\tlogname\tbytes\tbytes");
  EXPECT_EQ(b.missing_required, (std::vector<std::string>{"url"}));
  EXPECT_EQ(b.missing_optional, (std::vector<std::string>{"missing"}));
  EXPECT_EQ(b.extra, (std::vector<std::string>{"logname"}));
  EXPECT_EQ(b.duplicates, (std::vector<std::string>{"bytes"}));
  EXPECT_FALSE(b.usable(ExtraPolicy::kIgnore));
}

TEST(Tsv, CommentsEmptyLinesAndBom) {
  const auto spec = spec_of("[job]\nformat = tsv\n[format]\ncomment = hash\nskip_empty = true",
                            "columns = a:int64 b:string");
  const auto out = run_records(spec, "\xEF\xBB\xBF# comment\n\n1\tx\n#2\ty\n3\tz\n");
  EXPECT_EQ(out.rows, 2u);
  EXPECT_EQ(out.skipped, 3u);
  const auto plain = spec_of("[job]\nformat = tsv", "columns = a:int64 b:string");
  const auto out2 = run_records(plain,
                                "\xEF\xBB\xBF"
                                "1\tx\n\n2\ty\n");
  EXPECT_EQ(out2.rows, 2u);  // BOM dropped at offset 0
  ASSERT_EQ(out2.rejected, 1u);
  EXPECT_EQ(out2.rejects[0].reason, RejectReason::kEmptyLine);
  // A BOM anywhere else is data: here it makes the int64 field wrong.
  expect_reject(plain,
                "\xEF\xBB\xBF"
                "1\tx",
                RejectReason::kWrongType, 0);
}

// ---- CSV ----

TEST(Csv, Rfc4180Quoting) {
  const auto spec = spec_of("[job]\nformat = csv", "columns = a:string b:string c:int64?");
  One r = parse_one(spec, R"("x, y","say ""hi""",7)");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "x, y");
  EXPECT_EQ(r.row.values[1].text, "say \"hi\"");
  EXPECT_EQ(r.row.values[2].i64, 7);
  r = parse_one(spec, R"("",,)");               // quoted empty is a string; unquoted empty is null
  ASSERT_EQ(r.outcome, RowOutcome::kRejected);  // b is required and null
  EXPECT_EQ(r.reject.reason, RejectReason::kMissingField);
  EXPECT_EQ(r.reject.column, 1);
  r = parse_one(spec, R"("","",)");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "");
  EXPECT_FALSE(r.row.values[1].null);
  EXPECT_TRUE(r.row.values[2].null);
  r = parse_one(spec, R"(5" disk,b,1)");  // a quote inside an unquoted field is a byte
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "5\" disk");
  expect_reject(spec, R"("unclosed,b,1)", RejectReason::kBadQuoting);
  expect_reject(spec, R"("a"x,b,1)", RejectReason::kBadQuoting);
  expect_reject(spec, "a,b", RejectReason::kFieldCount);
  expect_reject(spec, "a,b,1.5", RejectReason::kWrongType, 2);
}

TEST(Csv, QuotedNewlineIsRejectedNotMisSplit) {
  const auto spec =
      spec_of("[job]\nformat = csv", "columns = id:int64 note:string\nextra = reject");
  const auto out = run_records(spec, "1,\"two\nlines\"\n2,ok\n");
  EXPECT_EQ(out.rows, 1u);
  ASSERT_EQ(out.rejected, 2u);
  EXPECT_EQ(out.rejects[0].reason, RejectReason::kBadQuoting);  // `1,"two`
  EXPECT_EQ(out.reject_offsets[0], 0u);
  // `lines"` is an unquoted field holding a quote: its own record, not an int64 id.
  EXPECT_EQ(out.rejects[1].reason, RejectReason::kWrongType);
  EXPECT_EQ(out.rejects[1].column, 0);
}

TEST(Csv, BackslashEscapeDelimiterAndQuoteOptions) {
  const auto spec = spec_of("[job]\nformat = csv\n[format]\ndelimiter = tab\nescape = \\",
                            "columns = a:string b:string");
  One r = parse_one(spec, "\"\\\"Fast\\\"_Eddie\\\\\"\tb");  // Spark style: "\"Fast\"_Eddie\\"
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "\"Fast\"_Eddie\\");
  const auto semi = spec_of("[job]\nformat = csv\n[format]\ndelimiter = semicolon\nquote = none",
                            "columns = a:string b:string");
  r = parse_one(semi, "\"a\";b");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].text, "\"a\"");
}

TEST(Csv, HeaderWithQuotedNames) {
  const auto spec = spec_of("[job]\nformat = csv\n[format]\nheader = true",
                            "columns = \"Created Date\":date n:uint64");
  std::vector<std::int64_t> days;
  const auto out = run_records(spec, "n,\"Created Date\"\n5,2022-01-02\n6,2022-01-03\n",
                               [&](const Row& row) { days.push_back(row.values[0].i64); });
  EXPECT_EQ(out.rows, 2u);
  EXPECT_EQ(days, (std::vector<std::int64_t>{18994, 18995}));
}

// ---- JSONL ----

RecordSpec votes_spec(const std::string& extra = "ignore") {
  return spec_of("[job]\nformat = jsonl",
                 "columns = Id:int64 PostId:int64 CreationDate:timestamp UserId:int64? "
                 "Note:string? Score:float64? Ok:bool?\nextra = " +
                     extra);
}

TEST(Jsonl, NumbersAndNumericStrings) {
  const auto spec = votes_spec();
  One r = parse_one(spec, R"({"Id":"17","PostId":3,"CreationDate":"2022-01-02T00:00:00.000"})");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[0].i64, 17);
  EXPECT_EQ(r.row.values[1].i64, 3);
  EXPECT_EQ(r.row.values[2].i64, 18994LL * kMicrosPerDay);
  EXPECT_TRUE(r.row.values[3].null);  // optional, absent
  r = parse_one(spec, R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02","UserId":null,)"
                      R"("Note":12.50,"Score":"2.5","Ok":true,"Other":[1,{"x":2}]})");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_TRUE(r.row.values[3].null);
  EXPECT_EQ(r.row.values[4].text, "12.50");  // a number for a string column: its JSON text
  EXPECT_DOUBLE_EQ(r.row.values[5].f64, 2.5);
  EXPECT_EQ(r.row.values[6].i64, 1);
  r = parse_one(spec,
                R"({"Note":"caf\u00e9 \"q\"","Id":1,"PostId":2,"CreationDate":"2022-01-02"})");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[4].text, "caf\xC3\xA9 \"q\"");
}

TEST(Jsonl, BadInputsAreValuesNamingTheColumn) {
  const auto spec = votes_spec();
  const std::string tail = R"(,"PostId":2,"CreationDate":"2022-01-02"})";
  expect_reject(spec, R"({"Id":"x")" + tail, RejectReason::kWrongType, 0);
  expect_reject(spec, R"({"Id":1.5)" + tail, RejectReason::kWrongType, 0);
  expect_reject(spec, R"({"Id":[1])" + tail, RejectReason::kWrongType, 0);
  expect_reject(spec, R"({"Id":true)" + tail, RejectReason::kWrongType, 0);
  expect_reject(spec, R"({"Id":99999999999999999999)" + tail, RejectReason::kOutOfRange, 0);
  expect_reject(spec, R"({"Id":null)" + tail, RejectReason::kMissingField, 0);
  expect_reject(spec, R"({"PostId":2,"CreationDate":"2022-01-02"})", RejectReason::kMissingField,
                0);
  expect_reject(spec, R"({"Id":1,"PostId":2,"CreationDate":"02/01/2022"})",
                RejectReason::kWrongType, 2);
  expect_reject(spec, R"({"Id":1,"Id":2)" + tail, RejectReason::kDuplicateField, 0);
  expect_reject(spec, R"({"Id":1,"Ok":"yes")" + tail, RejectReason::kWrongType, 6);
  // Broken JSON.
  for (const std::string& bad : std::vector<std::string>{
           R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02")", R"({"Id":1,"PostId":2,)",
           R"({"Id":1 "PostId":2})", R"([1,2,3])", R"("just a string")", R"({"Id":1)" + tail + "x",
           R"({"Id":1)" + tail + R"({"Id":2})", R"({"Id":nul)" + tail, R"({"Id:1)" + tail,
           "{\"Note\":\"bad \xC3\"" + tail.substr(0)}) {
    SCOPED_TRACE(bad);
    const One r = parse_one(spec, bad);
    ASSERT_EQ(r.outcome, RowOutcome::kRejected);
    EXPECT_EQ(r.reject.reason, RejectReason::kBadJson);
  }
}

TEST(Jsonl, ExtraKeysRejectedWhenAsked) {
  const auto strict = votes_spec("reject");
  expect_reject(strict, R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02","Bounty":5})",
                RejectReason::kExtraField);
  EXPECT_EQ(parse_one(votes_spec(), R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02","Bounty":5})")
                .outcome,
            RowOutcome::kRow);
}

TEST(Jsonl, BomAtFileStart) {
  const auto spec = votes_spec();
  const std::string line = R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02"})";
  const auto out = run_records(spec, "\xEF\xBB\xBF" + line + "\n" + line + "\n");
  EXPECT_EQ(out.rows, 2u);
  EXPECT_EQ(out.rejected, 0u);
  expect_reject(spec, "\xEF\xBB\xBF" + line, RejectReason::kBadJson);  // not at offset 0
}

// A 10 MB line through RangeScanner's max_line: rejected as line_too_long, the lines around
// it parse, and memory stays bounded by the scanner buffer.
TEST(Jsonl, TenMegabyteLineIsRejectedByMaxLine) {
  const auto spec = votes_spec();
  const std::string good = R"({"Id":1,"PostId":2,"CreationDate":"2022-01-02"})";
  std::string huge = R"({"Id":2,"PostId":2,"CreationDate":"2022-01-02","Note":")";
  huge.append(10u << 20, 'x');
  huge += "\"}";
  const std::string text = good + "\n" + huge + "\n" + good + "\n";
  const auto out = testing::run_records(
      spec, text, [](const Row&) {}, 1 << 20);
  EXPECT_EQ(out.rows, 2u);
  ASSERT_EQ(out.rejected, 1u);
  EXPECT_EQ(out.rejects[0].reason, RejectReason::kLineTooLong);
  EXPECT_EQ(out.reject_offsets[0], good.size() + 1);
  // With max_line above it, the same line parses: the parser itself has no length limit.
  std::size_t note_size = 0;
  const auto big = testing::run_records(
      spec, text,
      [&](const Row& row) { note_size = std::max(note_size, row.values[4].text.size()); },
      16u << 20);
  EXPECT_EQ(big.rows, 3u);
  EXPECT_EQ(note_size, 10u << 20);
}

TEST(RecordParser, FiltersAndDerivedAfterChecks) {
  const auto spec = spec_of("[job]\nformat = jsonl",
                            "columns = Id:int64 T:timestamp\nderive = W = week(T)\n"
                            "filter = W >= 1\n[column.Id]\nallowed = 1, 2");
  EXPECT_EQ(parse_one(spec, R"({"Id":1,"T":"2022-01-02"})").outcome, RowOutcome::kFiltered);
  const One r = parse_one(spec, R"({"Id":2,"T":"2022-01-03"})");
  ASSERT_EQ(r.outcome, RowOutcome::kRow);
  EXPECT_EQ(r.row.values[2].i64, 1);
  expect_reject(spec, R"({"Id":3,"T":"2022-01-03"})", RejectReason::kNotAllowed, 0);
}

}  // namespace
}  // namespace dumpmill::records
