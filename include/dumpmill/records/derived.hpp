// Derived columns: values computed from a row's columns (year(ts), week(ts), domain(url), ...).
//
// Job syntax: `[schema] derive = Year = year(CreationDate), WeekNumber = week(CreationDate)`
// (comma-separated `Name = function(column)`; the key may repeat). A derived column may use
// an earlier derived column. It is appended to the row after the schema columns, in the order
// written. A null argument gives null. Times are UTC (timestamps with offsets were converted
// on input). Functions and result types:
//   year(timestamp|date) -> int64      calendar year
//   month(timestamp|date) -> int64     1..12
//   week(timestamp|date) -> int64      SQLite strftime('%W'): 00..53, weeks start on Monday,
//                                      days before the year's first Monday are week 0
//   hour(timestamp) -> int64           0..23
//   date(timestamp) -> date            the UTC day
//   lower(string) -> string            ASCII letters only, as SQLite's built-in lower()
//   domain(string) -> string           the host of a URL, lowercased, without user@ and :port
//                                      ("https://User@Example.COM:8080/a?b" -> "example.com");
//                                      a scheme-less "example.com/x" gives "example.com"; a
//                                      relative URL ("/history/") or no host gives null
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/job_text.hpp"
#include "dumpmill/records/schema.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::records {

enum class DerivedFunction : std::uint8_t { kYear, kMonth, kWeek, kHour, kDate, kLower, kDomain };

// "year", "month", "week", "hour", "date", "lower", "domain".
std::string_view derived_function_name(DerivedFunction function);

struct DerivedColumn {
  std::string name;
  DerivedFunction function = DerivedFunction::kYear;
  std::size_t argument = 0;  // index into Row::values
  ColumnType argument_type = ColumnType::kTimestamp;
  ColumnType type = ColumnType::kInt64;  // of the result
};

// Reads every `schema.derive` entry. Throws ConfigError naming `source` and schema.derive for
// a syntax error, an unknown function or column, a wrong argument type, or a name that is
// already taken.
std::vector<DerivedColumn> parse_derived(const std::vector<JobEntry>& entries, const Schema& schema,
                                         std::string_view source);

// Sets row.values[out] from row.values[column.argument]. lower() and domain() of text with
// upper-case letters write into row.arena; otherwise no copy. Never allocates once warm.
void compute_derived(const DerivedColumn& column, std::size_t out, Row& row);

// The building blocks, public so that tests check them one by one.
std::int64_t sqlite_week_of_year(std::int64_t days);  // strftime('%W') of a day since 1970
std::optional<std::string_view> url_host(std::string_view url);  // host as written, or none

}  // namespace dumpmill::records
