// Row filters: simple comparisons of one column with constants, parsed from the job text.
//
// Job syntax: `[schema] filter = <column> <op> <value>`; the key may repeat and a row is
// kept only if every filter holds (AND). Operators: = (or ==), != (or <>), <, <=, >, >=,
// `in (v1, v2, ...)`, `not in (...)`, `is null`, `is not null`. The column may be a schema
// or a derived column. Values are spelled as in the input for numbers and bools, ISO 8601
// for timestamps and dates (`CreationDate >= 2020-01-01`), and bare or in double quotes
// for strings (`url = "/a b"`; `\"` and `\\` inside quotes). A `#` cannot appear in a job
// value (Boost.Program_options starts a comment there). Comparisons with null are false
// (SQL semantics), except `is null`; strings compare bytewise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/derived.hpp"
#include "dumpmill/records/job_text.hpp"
#include "dumpmill/records/schema.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

enum class CompareOp : std::uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
  kIsNull,
  kIsNotNull
};

struct Filter {
  std::string text;        // as written, for reports
  std::size_t column = 0;  // index into Row::values
  ColumnType type = ColumnType::kString;
  CompareOp op = CompareOp::kEq;
  std::vector<Literal> operands;  // one, or the `in` list, or none for is [not] null
};

// Reads every `schema.filter` entry. Throws ConfigError naming `source`, schema.filter and
// the expression for a syntax error, an unknown column or a value not of the column's type.
std::vector<Filter> parse_filters(const std::vector<JobEntry>& entries, const Schema& schema,
                                  const std::vector<DerivedColumn>& derived,
                                  std::string_view source);

bool filter_matches(const Filter& filter, const Row& row);

}  // namespace dumpmill::records
