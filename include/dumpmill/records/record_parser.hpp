// A job's record definition (format, schema, derived columns, filters) and the line -> row step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dumpmill/parse/range_scanner.hpp"
#include "dumpmill/records/delimited.hpp"
#include "dumpmill/records/derived.hpp"
#include "dumpmill/records/filter.hpp"
#include "dumpmill/records/jsonl.hpp"
#include "dumpmill/records/schema.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

// Everything the job file says about one record. Row layout: schema columns, then derived.
struct RecordSpec {
  FormatSpec format;
  Schema schema;
  std::vector<DerivedColumn> derived;
  std::vector<Filter> filters;

  std::size_t width() const { return schema.columns.size() + derived.size(); }
  std::optional<std::size_t> find(std::string_view name) const;
  std::string_view column_name(std::size_t index) const;
  ColumnType column_type(std::size_t index) const;
};

// Reads the record sections of a job file (see schema.hpp, derived.hpp, filter.hpp for the
// keys); other sections are left to their owners. Throws ConfigError naming `source` and
// the key.
RecordSpec parse_record_spec(std::string_view ini_text, std::string_view source);
RecordSpec record_spec_from_entries(const std::vector<JobEntry>& entries, std::string_view source);

enum class RowOutcome : std::uint8_t {
  kRow,       // `row` holds a valid record that passed the filters
  kRejected,  // `reject` says why; count it and write the raw line to the rejects file
  kFiltered,  // valid, but a filter dropped it (counted apart from rejects)
  kSkipped,   // a comment line, or an empty line with skip_empty
  kHeader,    // the file's header line (offset 0, header = true): it bound the columns
};

// Per line, in this order: too long (line_too_long); at offset 0 a UTF-8 BOM is dropped and,
// with header = true, the line is the header; comment / empty lines; the format's parser;
// each schema column's constraints (missing_field, not_allowed, out_of_range); derived
// columns; filters. One switch on the format per line, no virtual call, no allocation
// once the row and parsers are warm.
class RecordParser {
 public:
  // `spec` must outlive the parser.
  explicit RecordParser(const RecordSpec& spec);

  RowOutcome parse(const parse::Line& line, Row& row, RowReject& reject);

  // For ranges that do not start at offset 0 of a file with a header: bind the header line
  // read separately. Throws std::logic_error for jsonl.
  HeaderBinding bind_header(std::string_view line);
  // What the last header line (parse() at offset 0, or bind_header) said.
  const HeaderBinding& header_binding() const { return binding_; }

 private:
  const RecordSpec& spec_;
  std::optional<DelimitedParser> delimited_;
  std::optional<JsonlParser> jsonl_;
  HeaderBinding binding_;
};

}  // namespace dumpmill::records
