// The record schema and input format of a job: typed columns, constraints, text -> value.
//
// Job-file syntax (read by parse_format / parse_schema from read_job_entries()):
//
//   [job]
//   format = jsonl                 # tsv | csv | jsonl
//
//   [format]                       # tsv / csv only
//   header = true                  # first line of each file names the columns (default false)
//   delimiter = comma              # csv: tab | comma | semicolon | pipe | space | hash | one
//                                  # character (default comma; tsv is always tab)
//   quote = "                      # csv: a character or `none` (default ")
//   escape = "                     # csv: = quote -> RFC 4180 doubling (""), `\` -> backslash
//                                  # escapes, or `none` (default: the quote character)
//   null = \N                      # field text that means null (default: tsv `\N`, csv the
//                                  # empty unquoted field; a quoted "" is an empty string)
//   comment = hash                 # lines starting with this character are skipped
//   skip_empty = true              # skip empty lines instead of rejecting them (empty_line)
//
//   [schema]
//   columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp UserId:int64?
//   extra = ignore                 # ignore | reject: fields / JSON keys not in `columns`
//   derive = Year = year(CreationDate), WeekNumber = week(CreationDate)   (derived.hpp)
//   filter = VoteTypeId in (2, 3)                                          (filter.hpp)
//
//   [column.CreationDate]          # optional refinements of one column
//   format = %Y-%m-%dT%H:%M:%S.%f  # timestamp/date: iso (default) | unix | pattern
//   required = false               # same as `?` after the type in `columns`
//   allowed = 1, 2, 3              # enum: the value must be one of these
//   min = 2008-01-01               # inclusive bounds (not for string/bool); timestamp and
//   max = 2030-01-01               # date bounds are ISO 8601
//
// `columns` lists name:type pairs separated by spaces or commas, in input order (the order a
// headerless tsv/csv file has them; JSON fields are matched by name). Types: string, int64,
// uint64, float64, bool, timestamp, date. A `?` after the type makes the column optional:
// absent or null is allowed; a required column that is absent or null rejects the row
// (missing_field). The key may repeat to continue a long list. A name with spaces is quoted:
// `"Created Date":timestamp`. Any mistake is a ConfigError naming the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/parse/reject.hpp"
#include "dumpmill/records/job_text.hpp"
#include "dumpmill/records/timestamp.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

enum class Format : std::uint8_t { kTsv, kCsv, kJsonl };
enum class ExtraPolicy : std::uint8_t { kIgnore, kReject };

// How the bytes of one line become fields. Defaults are per format (see above).
struct FormatSpec {
  Format format = Format::kJsonl;
  bool header = false;
  char delimiter = '\t';
  char quote = '\0';   // '\0': no quoting
  char escape = '\0';  // '\0': no escapes; == quote: doubling
  std::string null_text = "\\N";
  char comment = '\0';  // '\0': no comment lines
  bool skip_empty = false;
};

// A constant of some column type (enum member, bound, filter operand). Strings live in
// `text` and value.text views it; copying a Literal re-points the view (SSO moves bytes).
struct Literal {
  Value value;
  std::string text;

  Literal() = default;
  Literal(Value v, std::string t);
  Literal(const Literal& other);
  Literal& operator=(const Literal& other);
  Literal(Literal&& other) noexcept;
  Literal& operator=(Literal&& other) noexcept;
  ~Literal() = default;
};

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool required = true;
  TimestampFormat format;        // timestamp and date columns
  std::vector<Literal> allowed;  // empty: any value
  std::optional<Literal> min;
  std::optional<Literal> max;
};

struct Schema {
  std::vector<Column> columns;
  ExtraPolicy extra = ExtraPolicy::kIgnore;

  std::optional<std::size_t> find(std::string_view name) const;
};

// Converts one field's text to a value of `type` (`format` for timestamp/date). Strict: no
// surrounding spaces; integers are optional `-` (int64) and ASCII digits; float64 as
// std::from_chars, finite only; bool is true/false (any case) or 1/0; strings must be valid
// UTF-8. Returns nullopt on success, else kWrongType (not of the type), kOutOfRange (an
// integer too big for 64 bits) or kInvalidUtf8. Never allocates.
std::optional<parse::RejectReason> convert_text(std::string_view text, ColumnType type,
                                                const TimestampFormat& format, Value& out);

// The column's constraints on a converted value: null -> kMissingField if required;
// kNotAllowed if outside `allowed`; kOutOfRange if outside [min, max].
std::optional<parse::RejectReason> check_value(const Column& column, const Value& value);

// A literal of `type` from job text: timestamps and dates in ISO 8601. nullopt if invalid.
std::optional<Literal> parse_literal(std::string_view text, ColumnType type);

// `job.format` and `[format]`. Throws ConfigError naming `source` and the key.
FormatSpec parse_format(const std::vector<JobEntry>& entries, std::string_view source);

// `[schema] columns/extra` and the `[column.NAME]` sections (derive/filter are read by
// derived.hpp / filter.hpp). Throws ConfigError naming `source` and the key.
Schema parse_schema(const std::vector<JobEntry>& entries, std::string_view source);

}  // namespace dumpmill::records
