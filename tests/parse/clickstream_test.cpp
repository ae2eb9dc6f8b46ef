// ClickstreamParser: real 2024 rows, 2024 quoting, 2015 rows, and every reject rule.
#include "dumpmill/parse/clickstream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dumpmill/parse/range_scanner.hpp"
#include "dumpmill/parse/utf8.hpp"
#include "memory_reader.hpp"

namespace dumpmill::parse {
namespace {

using namespace std::string_literals;

// A parse result that owns its strings: the record's views die with the parser and line.
struct Parsed {
  std::optional<RejectReason> reject;
  std::string prev, curr;
  LinkType type{};
  std::uint64_t n = 0;
};

Parsed parse(const std::string& line, ClickSchema schema = ClickSchema::kCurrent,
             QuoteStyle quoting = QuoteStyle::kAuto) {
  ClickstreamParser parser(schema, quoting);
  ClickRecord r{};
  Parsed p;
  p.reject = parser.parse(line, r);
  if (!p.reject) {
    p.prev = r.prev;
    p.curr = r.curr;
    p.type = r.type;
    p.n = r.n;
  }
  return p;
}

std::optional<RejectReason> reject_of(const std::string& line,
                                      ClickSchema schema = ClickSchema::kCurrent,
                                      QuoteStyle quoting = QuoteStyle::kAuto) {
  return parse(line, schema, quoting).reject;
}

// ---- the real 2024-11 head --------------------------------------------------------------

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

TEST(ClickstreamParser, AllRowsOfTheReal2024HeadParse) {
  const std::filesystem::path path =
      std::filesystem::path(DUMPMILL_SHARED_DATA) / "clickstream/enwiki-2024-11_head1039.tsv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();

  // Independent expectation: plain split on '\n' and '\t', std::stoull.
  std::uint64_t expected_sum = 0;
  std::size_t expected_rows = 0;
  std::array<std::size_t, kLinkTypeCount> expected_types{};
  for (const std::string& row : split(text, '\n')) {
    if (row.empty()) continue;
    const std::vector<std::string> f = split(row, '\t');
    ASSERT_EQ(f.size(), 4u) << row;
    expected_sum += std::stoull(f[3]);
    ++expected_rows;
    const std::size_t t = f[2] == "link" ? 0 : f[2] == "external" ? 1 : f[2] == "other" ? 2 : 3;
    ++expected_types[t];
  }
  ASSERT_EQ(expected_rows, 1039u);

  // Through the real path: scanner (small chunks) + parser.
  testing::MemoryReader reader(text, 1000);
  RangeScanner scanner(reader, 0, text.size(), 4096, 1024);
  ClickstreamParser parser(ClickSchema::kCurrent);
  Line line{};
  ClickRecord record{};
  std::uint64_t sum = 0;
  std::size_t rows = 0;
  std::array<std::size_t, kLinkTypeCount> types{};
  while (scanner.next(line)) {
    ASSERT_FALSE(line.too_long);
    if (rows == 0) {
      EXPECT_FALSE(detect_click_header(line.text));
      EXPECT_EQ(guess_click_schema(line.text), ClickSchema::kCurrent);
    }
    const auto reject = parser.parse(line.text, record);
    ASSERT_FALSE(reject) << "offset " << line.offset << ": " << reject_reason_name(*reject)
                         << " in " << line.text;
    EXPECT_FALSE(record.prev.empty());
    EXPECT_EQ(record.type == LinkType::kExternal, is_pseudo_referrer(record.prev))
        << "upstream rule: type external exactly when prev is other-*: " << line.text;
    sum += record.n;
    ++types[static_cast<std::size_t>(record.type)];
    ++rows;
  }
  EXPECT_EQ(rows, expected_rows);
  EXPECT_EQ(sum, expected_sum);
  EXPECT_EQ(types, expected_types);
  EXPECT_EQ(types[0], 553u);  // link, per shared/data/SOURCES.md
  EXPECT_EQ(types[1], 462u);  // external
  EXPECT_EQ(types[2], 24u);   // other
}

// ---- valid rows ---------------------------------------------------------------------------

TEST(ClickstreamParser, ParsesAPlainRow) {
  const Parsed p = parse("other-empty\tMain_Page\texternal\t121508231");
  ASSERT_FALSE(p.reject);
  EXPECT_EQ(p.prev, "other-empty");
  EXPECT_EQ(p.curr, "Main_Page");
  EXPECT_EQ(p.type, LinkType::kExternal);
  EXPECT_EQ(p.n, 121508231u);
}

TEST(ClickstreamParser, ViewsPointIntoTheLineWhenNothingIsUnquoted) {
  const std::string line = "Jake_Paul\tMike_Tyson\tlink\t18";
  ClickstreamParser parser(ClickSchema::kCurrent);
  ClickRecord r{};
  ASSERT_FALSE(parser.parse(line, r));
  EXPECT_EQ(r.prev.data(), line.data());
  EXPECT_EQ(r.curr.data(), line.data() + 10);
  EXPECT_EQ(r.curr.size(), 10u);
}

TEST(ClickstreamParser, AcceptsEveryTypeAndTheNumericExtremes) {
  EXPECT_EQ(parse("A\tB\tlink\t1").type, LinkType::kLink);
  EXPECT_EQ(parse("A\tB\tother\t1").type, LinkType::kOther);
  EXPECT_EQ(parse("A\tB\texternal\t1").type, LinkType::kExternal);
  EXPECT_EQ(parse("A\tB\tlink\t18446744073709551615").n, 18446744073709551615ULL);
  EXPECT_EQ(parse("A\tB\tlink\t0000000000000000000000010").n, 10u);  // leading zeros
}

TEST(ClickstreamParser, OddButRealTitlesAreKept) {
  for (const std::string& title :
       {"NaN"s, "null"s, "None"s, "-"s, "0"s, "\"Live\"_at_the_London_Palladium"s,
        "TBWA\\Chiat\\Day"s, "\"Heroes\""s, "\""s, "\"\""s, "Z\xC3\xBCrich"s,
        "\xE6\x97\xA5\xE6\x9C\xAC"s, "\xF0\x9F\x98\x80_(emoji)"s,
        "A_very_long_title_" + std::string(200, 'x')}) {
    const Parsed p = parse(title + "\t" + title + "\tlink\t10");
    ASSERT_FALSE(p.reject) << title << ": " << reject_reason_name(*p.reject);
    EXPECT_EQ(p.prev, title);
    EXPECT_EQ(p.curr, title);
  }
}

// ---- 2024 quoting -------------------------------------------------------------------------

TEST(ClickstreamParser, UnquotesSparkQuotedTitles) {
  struct Case {
    std::string field, title;
  };
  const Case cases[] = {
      {R"("\"Fast\"_Eddie_Clarke")", R"("Fast"_Eddie_Clarke)"},
      {R"("Carlos_\"Patato\"_Valdes")", R"(Carlos_"Patato"_Valdes)"},
      {R"("After_Hours_with_Miss_\"D\"")", R"(After_Hours_with_Miss_"D")"},
      {R"("\"")", R"(")"},
      {R"("A\\B_\"x\"")", R"(A\B_"x")"},       // \\ -> \ .
      {R"("C:\dir_\"x\"")", R"(C:\dir_"x")"},  // a lone backslash is literal
      {R"("ends_with_backslash\\\"")", R"(ends_with_backslash\")"},
  };
  for (const Case& c : cases) {
    const std::string line = c.field + "\tPhil_Taylor_(musician)\tlink\t2151";
    const Parsed p = parse(line);
    ASSERT_FALSE(p.reject) << c.field << ": " << reject_reason_name(*p.reject);
    EXPECT_EQ(p.prev, c.title) << c.field;
    EXPECT_EQ(p.curr, "Phil_Taylor_(musician)");
    // Both fields quoted at once: both decoded, neither view clobbers the other.
    const Parsed both = parse(c.field + "\t" + R"("\"Other\"_one")" + "\tlink\t5");
    ASSERT_FALSE(both.reject);
    EXPECT_EQ(both.prev, c.title);
    EXPECT_EQ(both.curr, R"("Other"_one)");
  }
}

TEST(ClickstreamParser, ParserReusesItsScratchAcrossCalls) {
  ClickstreamParser parser(ClickSchema::kCurrent);
  ClickRecord r{};
  ASSERT_FALSE(parser.parse(R"("\"A\"_long_quoted_title_number_one"	B	link	10)", r));
  EXPECT_EQ(r.prev, R"("A"_long_quoted_title_number_one)");
  ASSERT_FALSE(parser.parse(R"("\"B\""	C	link	10)", r));
  EXPECT_EQ(r.prev, R"("B")");
  ASSERT_FALSE(parser.parse("plain\tC\tlink\t10", r));
  EXPECT_EQ(r.prev, "plain");
}

TEST(ClickstreamParser, BadQuotingIsRejected) {
  for (const std::string field : {
           R"("\"Fast"_Eddie")",    // an unescaped quote inside
           R"("\"Fast\"_Eddie\")",  // closing quote escaped: never closed
           R"("\"Fast\"_Eddie)",    // no closing quote at all
           R"("\"A\"x"y")",         // a quote in the middle, and one at the end
           R"("\")",                // just an escaped quote
       }) {
    EXPECT_EQ(reject_of(field + "\tB\tlink\t10"), RejectReason::kBadQuoting) << field;
    EXPECT_EQ(reject_of("A\t" + field + "\tlink\t10"), RejectReason::kBadQuoting) << field;
  }
}

TEST(ClickstreamParser, QuoteStyleRawKeepsEveryFieldVerbatim) {
  const std::string field = R"("\"Fast\"_Eddie_Clarke")";
  const Parsed p =
      parse(field + "\t" + R"("\"x)" + "\tlink\t10", ClickSchema::kCurrent, QuoteStyle::kRaw);
  ASSERT_FALSE(p.reject);
  EXPECT_EQ(p.prev, field);
  EXPECT_EQ(p.curr, R"("\"x)");
}

TEST(ClickstreamParser, QuoteStyleSparkIsStrict) {
  const auto spark = [](const std::string& prev) {
    return parse(prev + "\tB\tlink\t10", ClickSchema::kCurrent, QuoteStyle::kSpark);
  };
  EXPECT_EQ(spark(R"("Heroes")").prev, "Heroes");  // a CSV reader's reading
  EXPECT_EQ(spark(R"("\"Fast\"_Eddie_Clarke")").prev, R"("Fast"_Eddie_Clarke)");
  EXPECT_EQ(spark(R"("Live"_at_the_London_Palladium)").reject, RejectReason::kBadQuoting);
  EXPECT_EQ(spark(R"(a"b)").reject, RejectReason::kBadQuoting);  // Spark would have quoted
  EXPECT_EQ(spark(R"("")").reject, RejectReason::kEmptyTitle);
  EXPECT_EQ(spark("TBWA\\Chiat\\Day").prev, "TBWA\\Chiat\\Day");
}

// ---- 2015 schema --------------------------------------------------------------------------

TEST(ClickstreamParser, Parses2015Rows) {
  const ClickSchema legacy = ClickSchema::kLegacy2015;
  Parsed p = parse("\t15580374\t111855861\tother-empty\tMain_Page\tother", legacy);
  ASSERT_FALSE(p.reject);
  EXPECT_EQ(p.prev, "other-empty");
  EXPECT_EQ(p.curr, "Main_Page");
  EXPECT_EQ(p.type, LinkType::kOther);
  EXPECT_EQ(p.n, 111855861u);

  p = parse("3632887\t39451\t21\t!!!\tPSC\tlink", legacy);
  ASSERT_FALSE(p.reject);
  EXPECT_EQ(p.prev, "!!!");
  EXPECT_EQ(p.curr, "PSC");
  EXPECT_EQ(p.type, LinkType::kLink);

  p = parse("2556962\t\t19\tWhitney_Houston\tWhitney_Houston_Live\tredlink", legacy);
  ASSERT_FALSE(p.reject);
  EXPECT_EQ(p.type, LinkType::kRedlink);

  EXPECT_EQ(reject_of("12a\t1\t19\tA\tB\tlink", legacy), RejectReason::kBadId);
  EXPECT_EQ(reject_of("1\t-1\t19\tA\tB\tlink", legacy), RejectReason::kBadId);
  EXPECT_EQ(reject_of("1\t2\t0\tA\tB\tlink", legacy), RejectReason::kBadCount);
  EXPECT_EQ(reject_of("1\t2\t19\t\tB\tlink", legacy), RejectReason::kEmptyTitle);
  EXPECT_EQ(reject_of("1\t2\t19\tA\tB\tlinks", legacy), RejectReason::kBadType);
  EXPECT_EQ(reject_of("A\tB\tlink\t10", legacy), RejectReason::kFieldCount);
  EXPECT_EQ(reject_of("1\t2\t19\tA\tB\tlink", ClickSchema::kCurrent), RejectReason::kFieldCount);
  // redlink only exists in 2015 files.
  EXPECT_EQ(reject_of("A\tB\tredlink\t10"), RejectReason::kBadType);
}

TEST(ClickstreamSchema, DetectsHeadersAndGuessesFromData) {
  EXPECT_EQ(detect_click_header("prev\tcurr\ttype\tn"), ClickSchema::kCurrent);
  EXPECT_EQ(detect_click_header("\xEF\xBB\xBFprev\tcurr\ttype\tn"), ClickSchema::kCurrent);
  EXPECT_EQ(detect_click_header("prev_id\tcurr_id\tn\tprev_title\tcurr_title\ttype"),
            ClickSchema::kLegacy2015);
  EXPECT_EQ(detect_click_header("\xEF\xBB\xBFprev_id\tcurr_id\tn\tprev_title\tcurr_title\ttype"),
            ClickSchema::kLegacy2015);
  EXPECT_FALSE(detect_click_header("other-empty\tMain_Page\texternal\t121508231"));
  EXPECT_FALSE(detect_click_header("prev\tcurr\ttype\tn\textra"));
  EXPECT_FALSE(detect_click_header("Prev\tCurr\tType\tN"));
  EXPECT_FALSE(detect_click_header(""));

  EXPECT_EQ(guess_click_schema("a\tb\tlink\t10"), ClickSchema::kCurrent);
  EXPECT_EQ(guess_click_schema("\t1\t10\ta\tb\tlink"), ClickSchema::kLegacy2015);
  EXPECT_FALSE(guess_click_schema("a\tb\tlink"));
  EXPECT_FALSE(guess_click_schema("a,b,link,10"));

  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBFx"), "x");
  EXPECT_EQ(strip_utf8_bom("\xEF\xBBx"), "\xEF\xBBx");
}

TEST(ClickstreamSchema, PseudoReferrers) {
  for (const char* r : {"other-empty", "other-internal", "other-external", "other-search",
                        "other-other", "other-google", "other-wikipedia", "other-yahoo",
                        "other-bing", "other-facebook", "other-twitter"}) {
    EXPECT_TRUE(is_pseudo_referrer(r)) << r;
  }
  for (const char* t : {"Main_Page", "Other-empty", "other", "Another-empty", "", "NaN"}) {
    EXPECT_FALSE(is_pseudo_referrer(t)) << t;
  }
  EXPECT_EQ(link_type_name(LinkType::kLink), "link");
  EXPECT_EQ(link_type_name(LinkType::kExternal), "external");
  EXPECT_EQ(link_type_name(LinkType::kOther), "other");
  EXPECT_EQ(link_type_name(LinkType::kRedlink), "redlink");
}

// ---- rejects ------------------------------------------------------------------------------

TEST(ClickstreamParser, EmptyLine) { EXPECT_EQ(reject_of(""), RejectReason::kEmptyLine); }

TEST(ClickstreamParser, BadCounts) {
  for (const std::string& n :
       {"0"s, "-1"s, "1e3"s, "12a"s, "99999999999999999999"s, "18446744073709551616"s, ""s, " 12"s,
        "12 "s, "+5"s, "0x10"s, "1.5"s, "\xD9\xA1\xD9\xA2"s /* Arabic-Indic digits */, "00"s}) {
    EXPECT_EQ(reject_of("A\tB\tlink\t" + n), RejectReason::kBadCount) << n;
  }
}

TEST(ClickstreamParser, WrongFieldCounts) {
  for (const std::string& line : {"A"s, "A\tB\tlink"s, "A\tB\tlink\t10\t"s, "A\tB\tlink\t10\tx"s,
                                  "\t\t\t\t"s, "A\tB\t\tlink\t10"s, "A B link 10"s}) {
    EXPECT_EQ(reject_of(line), RejectReason::kFieldCount) << line;
  }
}

TEST(ClickstreamParser, BadTypes) {
  for (const std::string& type : {""s, "Link"s, "links"s, "LINK"s, " link"s, "ext"s, "others"s}) {
    EXPECT_EQ(reject_of("A\tB\t" + type + "\t10"), RejectReason::kBadType) << type;
  }
}

TEST(ClickstreamParser, EmptyTitles) {
  EXPECT_EQ(reject_of("\tB\tlink\t10"), RejectReason::kEmptyTitle);
  EXPECT_EQ(reject_of("A\t\tlink\t10"), RejectReason::kEmptyTitle);
  EXPECT_EQ(reject_of("\t\tlink\t10"), RejectReason::kEmptyTitle);
  // The slow path (a non-ASCII title elsewhere) gives the same answer.
  EXPECT_EQ(reject_of("\xC3\xA9\t\tlink\t10"), RejectReason::kEmptyTitle);
}

TEST(ClickstreamParser, InvalidUtf8InTitles) {
  for (const std::string& bad :
       {"caf\xE9"s, "\xC0\xAF"s, "\xE0\x80\xAF"s, "x\xED\xA0\x80y"s, "trunc\xE2\x82"s, "\x80lead"s,
        "\xF4\x90\x80\x80"s, "\xFF"s, "\xF0\x9F\x98"s}) {
    EXPECT_EQ(reject_of(bad + "\tB\tlink\t10"), RejectReason::kInvalidUtf8) << bad;
    EXPECT_EQ(reject_of("A\t" + bad + "\tlink\t10"), RejectReason::kInvalidUtf8) << bad;
  }
}

TEST(ClickstreamParser, ControlCharactersInTitles) {
  for (const std::string& bad : {"A\0B"s, "\0"s, "A\rB"s, "A\x1B"s, "A\x7F"s, "\x01"s,
                                 "long_title_with_a_NUL_after_sixteen\0"s}) {
    EXPECT_EQ(reject_of(bad + "\tB\tlink\t10"), RejectReason::kControlChar)
        << ::testing::PrintToString(bad);
    EXPECT_EQ(reject_of("A\t" + bad + "\tlink\t10"), RejectReason::kControlChar)
        << ::testing::PrintToString(bad);
  }
}

TEST(ClickstreamParser, FirstBrokenRuleDecidesTheReason) {
  EXPECT_EQ(reject_of("\tB\tbad\t0"), RejectReason::kBadType);
  EXPECT_EQ(reject_of("\tB\tlink\t0"), RejectReason::kBadCount);
  EXPECT_EQ(reject_of("\t\xFF\tlink\t1"), RejectReason::kEmptyTitle);  // prev before curr
  EXPECT_EQ(reject_of("\xFF\t\tlink\t1"), RejectReason::kInvalidUtf8);
  EXPECT_EQ(reject_of("A\0\xFF\tB\tlink\t1"s), RejectReason::kControlChar);  // first in title
}

// ---- a reference model, to check the SIMD/SWAR fast path byte for byte ----------------------

std::optional<RejectReason> reference_title(std::string_view f, QuoteStyle q, std::string& out) {
  if (f.empty()) return RejectReason::kEmptyTitle;
  // Mirror the documented order: first fault in the title wins.
  for (std::size_t i = 0; i < f.size();) {
    const auto c = static_cast<unsigned char>(f[i]);
    if (c < 0x20 || c == 0x7F) return RejectReason::kControlChar;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(f.substr(i));
    if (len == 0) return RejectReason::kInvalidUtf8;
    i += len;
  }
  out.assign(f);
  if (f.find('"') == f.npos || q == QuoteStyle::kRaw) return std::nullopt;
  bool quoted;
  if (q == QuoteStyle::kSpark) {
    if (f[0] != '"') return RejectReason::kBadQuoting;
    quoted = true;
  } else {
    quoted = f[0] == '"' && f.find("\\\"", 1) != f.npos;
  }
  if (!quoted) return std::nullopt;
  // Decode: the closing quote is the last byte, inner quotes escaped, \\ -> \ .
  if (f.size() < 2 || f.back() != '"') return RejectReason::kBadQuoting;
  out.clear();
  const std::string_view inner = f.substr(1, f.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size() && (inner[i + 1] == '"' || inner[i + 1] == '\\')) {
      out += inner[++i];
    } else if (inner[i] == '\\' && i + 1 == inner.size()) {
      // "...\" : the closing quote is escaped, unless this is the only reading
      return RejectReason::kBadQuoting;
    } else if (inner[i] == '"') {
      return RejectReason::kBadQuoting;
    } else {
      out += inner[i];
    }
  }
  if (out.empty()) return RejectReason::kEmptyTitle;
  return std::nullopt;
}

std::optional<RejectReason> reference_parse(const std::string& line, QuoteStyle q,
                                            std::string& prev, std::string& curr,
                                            std::uint64_t& n) {
  if (line.empty()) return RejectReason::kEmptyLine;
  const std::vector<std::string> f = split(line, '\t');
  if (f.size() != 4) return RejectReason::kFieldCount;
  if (f[2] != "link" && f[2] != "external" && f[2] != "other") return RejectReason::kBadType;
  if (f[3].empty() || f[3].find_first_not_of("0123456789") != f[3].npos) {
    return RejectReason::kBadCount;
  }
  const std::string digits = f[3].substr(std::min(f[3].find_first_not_of('0'), f[3].size()));
  if (digits.empty() || digits.size() > 20 ||
      (digits.size() == 20 && digits > "18446744073709551615")) {
    return RejectReason::kBadCount;  // zero, or more than UINT64_MAX
  }
  n = std::stoull(digits);
  if (auto r = reference_title(f[0], q, prev)) return r;
  if (auto r = reference_title(f[1], q, curr)) return r;
  return std::nullopt;
}

TEST(ClickstreamParser, AgreesWithAReferenceModelOnRandomLines) {
  // Short pieces with every byte class the fast path distinguishes; lengths 0..~80 cover the
  // byte, 8-byte and 16-byte paths and every tail length.
  const std::string pieces[] = {"a",
                                "Main_Page",
                                "other-search",
                                "\t",
                                "\t",
                                "\t",
                                "link",
                                "external",
                                "other",
                                "10",
                                "42",
                                "0",
                                "\"",
                                "\\",
                                "\\\"",
                                "\xC3\xA9",
                                "\xE2\x82\xAC",
                                "\xFF",
                                "\xED\xA0\x80",
                                "\r",
                                "\x7F",
                                std::string(1, '\0'),
                                "x_y_z_(film)",
                                "1234567890123456789012"};
  std::mt19937 rng(2024);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> count(0, 14);
  std::array<std::size_t, kRejectReasonCount + 1> seen{};
  for (const QuoteStyle q : {QuoteStyle::kAuto, QuoteStyle::kRaw, QuoteStyle::kSpark}) {
    ClickstreamParser parser(ClickSchema::kCurrent, q);
    for (int iter = 0; iter < 60000; ++iter) {
      std::string line;
      if (iter % 3 == 0) {
        // Mostly well-formed: title, title, type, n with random pieces mixed into titles.
        for (int field = 0; field < 2; ++field) {
          const int k = count(rng) % 5 + 1;
          for (int j = 0; j < k; ++j) {
            const std::size_t p = pick(rng);
            line += pieces[p] == "\t" ? "T" : pieces[p];
          }
          line += '\t';
        }
        line += iter % 2 ? "link\t" : "external\t";
        line += std::to_string(rng() % 100000);
      } else {
        const int k = count(rng);
        for (int j = 0; j < k; ++j) line += pieces[pick(rng)];
      }
      ClickRecord r{};
      const auto got = parser.parse(line, r);
      std::string prev, curr;
      std::uint64_t n = 0;
      const auto want = reference_parse(line, q, prev, curr, n);
      ASSERT_EQ(got, want) << ::testing::PrintToString(line) << " got "
                           << (got ? reject_reason_name(*got) : "valid") << " want "
                           << (want ? reject_reason_name(*want) : "valid");
      if (!got) {
        ASSERT_EQ(r.prev, prev) << ::testing::PrintToString(line);
        ASSERT_EQ(r.curr, curr) << ::testing::PrintToString(line);
        ASSERT_EQ(r.n, n);
      }
      ++seen[got ? static_cast<std::size_t>(*got) : kRejectReasonCount];
    }
  }
  // The generator must reach every outcome the parser can give for this schema.
  for (const RejectReason r :
       {RejectReason::kEmptyLine, RejectReason::kFieldCount, RejectReason::kEmptyTitle,
        RejectReason::kBadType, RejectReason::kBadCount, RejectReason::kBadQuoting,
        RejectReason::kInvalidUtf8, RejectReason::kControlChar}) {
    EXPECT_GT(seen[static_cast<std::size_t>(r)], 0u) << reject_reason_name(r);
  }
  EXPECT_GT(seen[kRejectReasonCount], 1000u) << "valid lines";
}

}  // namespace
}  // namespace dumpmill::parse
