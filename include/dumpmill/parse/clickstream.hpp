// The Wikimedia clickstream record: schema detection and a zero-copy line parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dumpmill/parse/reject.hpp"

namespace dumpmill::parse {

enum class LinkType : std::uint8_t { kLink, kExternal, kOther, kRedlink };
inline constexpr std::size_t kLinkTypeCount = 4;

// "link", "external", "other", "redlink".
std::string_view link_type_name(LinkType type);

enum class ClickSchema : std::uint8_t {
  kCurrent,     // prev curr type n (2016 onward; header row only in the 2016-2017 releases)
  kLegacy2015,  // prev_id curr_id n prev_title curr_title type (2015-01/02, header row)
};

// How titles may be quoted. Before 2024-04 the dumps wrote titles raw (`"Heroes"`,
// `"Live"_at_the_London_Palladium`, `TBWA\Chiat\Day`); since 2024-04 Spark's CSV writer
// puts a title containing `"` in quotes with inner quotes backslash-escaped
// (`"\"Fast\"_Eddie_Clarke"`). The two cannot be told apart in every case, so:
enum class QuoteStyle : std::uint8_t {
  // Default, for files of unknown month. A field is Spark-quoted iff it starts with `"` and
  // contains the two bytes `\"` after that; it must then end with an unescaped `"` and have
  // every other `"` escaped, else kBadQuoting. Any other field is raw. Rationale: Spark
  // quotes a title only because it contains `"`, so a Spark-quoted title always holds `\"`;
  // a raw title starting with `"` and holding `\"` does not occur in practice, whereas raw
  // titles that start and end with `"` do (`"Heroes"`, an enwiki article), and unquoting
  // those would corrupt them.
  kAuto,
  // Pre-2024-04 files: every field is raw, byte for byte.
  kRaw,
  // 2024-04 onward: a field starting with `"` must be a well-formed quoted field (`""`
  // decodes to empty -> kEmptyTitle); a field containing `"` elsewhere is kBadQuoting,
  // because Spark would have quoted it.
  kSpark,
};
// Unescaping inside a quoted field: `\"` -> `"`, `\\` -> `\`; any other `\` is literal
// (Spark escapes a backslash only before a quote).

// One clickstream row. prev/curr are views into the parsed line or the parser's scratch.
struct ClickRecord {
  std::string_view prev, curr;
  LinkType type;
  std::uint64_t n;
};

// Recognises a header line: "prev\tcurr\ttype\tn" (2016-2017) -> kCurrent,
// "prev_id\tcurr_id\tn\tprev_title\tcurr_title\ttype" (2015) -> kLegacy2015; anything else
// (a data line) -> nullopt. A UTF-8 BOM before the header is tolerated. Headers occur only
// on the first line of a file, so only the range at offset 0 needs to ask.
std::optional<ClickSchema> detect_click_header(std::string_view line);

// Guesses the schema of a headerless file from a data line: 4 fields -> kCurrent,
// 6 fields -> kLegacy2015, otherwise nullopt.
std::optional<ClickSchema> guess_click_schema(std::string_view line);

// Removes a leading UTF-8 byte order mark (EF BB BF), if any.
std::string_view strip_utf8_bom(std::string_view line);

// True for the pseudo-referrers that stand for traffic from outside the wiki's articles:
// other-empty, other-internal, other-external, other-search, other-other (2016 onward) and
// 2015's other-google, other-yahoo, other-bing, other-facebook, other-twitter,
// other-wikipedia. Any title starting with "other-" counts: every Wikipedia in the
// clickstream capitalises the first letter of article titles, so no article starts so.
bool is_pseudo_referrer(std::string_view title);

// Parses one line (terminator already removed, as RangeScanner returns it) into a record.
// Returns nullopt for a valid record, else the reason for the first rule it breaks, checked
// in this order: empty line; field count (exactly 4, or 6 for 2015; tab-separated, so a
// stray tab anywhere is kFieldCount); type; n; ids (2015); prev title; curr title.
//  - type: link, external, other; redlink too for 2015. Exact, case-sensitive.
//  - n: one or more ASCII digits (leading zeros allowed), value > 0 and <= UINT64_MAX.
//  - ids (2015): empty (non-article referrer / redlink target) or ASCII digits.
//  - titles: unquoted per QuoteStyle, then non-empty, valid UTF-8, and free of C0 control
//    bytes and DEL (a title never holds them; a NUL or lone CR means a damaged line).
//    "NaN", "null" and the like are ordinary titles.
// 2015 rows map to prev = prev_title, curr = curr_title. No allocation per record: the
// scratch used by unquoting grows to the longest quoted title seen, then is reused.
class ClickstreamParser {
 public:
  explicit ClickstreamParser(ClickSchema schema, QuoteStyle quoting = QuoteStyle::kAuto);

  // On nullopt, `out` holds the record; its views stay valid until the next parse() call
  // and as long as `line`'s bytes do. On a reject, `out` is unspecified.
  std::optional<RejectReason> parse(std::string_view line, ClickRecord& out);

  ClickSchema schema() const { return schema_; }
  QuoteStyle quoting() const { return quoting_; }

 private:
  std::optional<RejectReason> parse_title(std::string_view field, std::string& scratch,
                                          std::string_view& title) const;

  ClickSchema schema_;
  QuoteStyle quoting_;
  std::string scratch_prev_;
  std::string scratch_curr_;
};

}  // namespace dumpmill::parse
