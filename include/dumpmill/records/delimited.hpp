// TSV and CSV lines -> typed rows (zero-copy; unescaped CSV fields go to the row's arena).
//
// TSV: fields split on every tab; no quoting or escapes (a field cannot hold a tab).
// CSV, RFC 4180 with the format's delimiter/quote/escape: a field that starts with the
// quote character runs to the matching closing quote and may hold delimiters and quotes
// (`""` with doubling, `\"` with backslash escapes); after the closing quote comes the
// delimiter or the end of the line, else bad_quoting. A quote inside an unquoted field is
// kept as an ordinary byte (as Python's csv module does: real files have `5" disk`).
//
// Quoted newlines: input reaches the parser one line at a time (RangeScanner splits byte
// ranges at '\n' so that ranks can start anywhere without reading from the file start; no
// scanner can tell from an arbitrary offset whether it is inside quotes without that). So a
// line that ends inside a quoted field is rejected as bad_quoting, and the lines that
// continue the record are parsed as records of their own: usually rejected (field_count,
// bad_quoting, wrong_type), but a continuation that happens to fit the schema is accepted.
// Files with embedded newlines need a conversion first (e.g. to JSONL) - documented, not
// silently mis-split.
//
// Field -> column: by position (schema order), or, after bind_header(), by the header's
// names. Fewer fields than bound columns -> field_count; more -> ignored, or field_count
// with `extra = reject`. A field equal to the format's null text is null; an empty unquoted
// field is null for every non-string column too (an empty number is no number).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/schema.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

// What a header line said about the schema. The caller decides (on_schema_change) whether a
// file with missing required columns or extra columns is processed.
struct HeaderBinding {
  std::vector<std::string> missing_required;
  std::vector<std::string> missing_optional;
  std::vector<std::string> extra;       // header names not in the schema
  std::vector<std::string> duplicates;  // schema names the header has twice (first is used)

  // The parser can run: no required column missing, and no extra one if extra = reject.
  bool usable(ExtraPolicy policy) const {
    return missing_required.empty() && (policy == ExtraPolicy::kIgnore || extra.empty());
  }
};

class DelimitedParser {
 public:
  // `format` must be tsv or csv; `format` and `schema` must outlive the parser.
  DelimitedParser(const FormatSpec& format, const Schema& schema);

  // Binds fields by the names in a header line (BOM already stripped); replaces the
  // positional binding. Header names are matched exactly, after CSV unquoting.
  HeaderBinding bind_header(std::string_view line);
  // Back to schema order (a headerless file after a file with a header).
  void bind_positional();

  // Fills row.values[0, schema columns) (row.values must be at least that wide). Strings
  // are views into `line` or row.arena. Returns the first fault; checks types but not the
  // column constraints (RecordParser does that once for every format).
  std::optional<RowReject> parse(std::string_view line, Row& row);

 private:
  const FormatSpec& format_;
  const Schema& schema_;
  std::vector<std::int32_t> field_to_column_;  // -1: field not in the schema
  std::size_t bound_fields_ = 0;               // fields the binding needs at least
};

}  // namespace dumpmill::records
