// JSON Lines -> typed rows with simdjson's On-Demand API (one JSON object per line).
//
// Fields are matched to columns by key (exact, after JSON unescaping). Per column type a
// value may be: the JSON type itself, or a string holding the text form ("Id":"17" for
// int64, which is how votes.jsonl spells every number); a JSON number or true/false for a
// string column is kept as its JSON text. JSON null is null. Arrays and objects are
// wrong_type for every column. A key twice -> duplicate_field; a key not in the schema is
// skipped (extra = ignore) or rejected (extra_field). Anything that is not exactly one
// well-formed object -> bad_json (truncation, trailing bytes, invalid UTF-8 anywhere in the
// line: simdjson validates the whole line). Values of skipped keys are checked only as far
// as simdjson's structural pass does (brackets and strings), not value by value.
//
// Memory: On-Demand needs 64 readable bytes after the input (SIMDJSON_PADDING); a line
// from RangeScanner is a view into its buffer with no such promise, so each line is copied
// into a padded buffer that grows to the longest line seen (a memcpy per record, no
// allocation). Strings in the row point into simdjson's string buffer, valid until the
// next parse(), while the parser lives.
//
// Speed: On-Demand is header code compiled for the CPU the compiler targets; our default
// x86-64 flags select simdjson's `fallback` (scalar) kernel, not haswell/westmere (no runtime
// dispatch for On-Demand in 3.0.1). Measured with it: see bench/bench_records.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "dumpmill/records/schema.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

class JsonlParser {
 public:
  // `schema` must outlive the parser.
  explicit JsonlParser(const Schema& schema);
  ~JsonlParser();
  JsonlParser(const JsonlParser&) = delete;
  JsonlParser& operator=(const JsonlParser&) = delete;
  JsonlParser(JsonlParser&&) noexcept;
  JsonlParser& operator=(JsonlParser&&) = delete;

  // Fills row.values[0, schema columns); absent columns stay null. Types are checked,
  // column constraints are not (RecordParser does that for every format).
  std::optional<RowReject> parse(std::string_view line, Row& row);

 private:
  struct Impl;  // keeps simdjson.h (1.27 MB of header) out of every includer
  std::unique_ptr<Impl> impl_;
};

}  // namespace dumpmill::records
