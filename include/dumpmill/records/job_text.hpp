// The job file as an ordered list of `section.key = value` entries (Boost.Program_options).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dumpmill::records {

// One `key = value` line; key is "section.key" (`[column.Id]` + `type` -> "column.Id.type").
struct JobEntry {
  std::string key;
  std::string value;
};

// Reads INI text with boost::program_options::parse_config_file (allow_unregistered), so the
// syntax is exactly the one the cli's job loader accepts: `#` starts a comment anywhere on a
// line (so a value cannot contain `#`: spell a `#` delimiter or comment prefix `hash`),
// whitespace around keys and values is trimmed, a key may repeat. Entries keep file order.
// Throws ConfigError naming `source` for a line that is not `key = value` or `[section]`.
std::vector<JobEntry> read_job_entries(std::string_view text, std::string_view source);

}  // namespace dumpmill::records

namespace dumpmill::records {

// Splits a list value on commas and whitespace: `a, b c` -> {a, b, c}. An item in double
// quotes keeps its commas and spaces (`"New York", Paris`); inside quotes `\"` and `\\`
// stand for `"` and `\`. Throws std::invalid_argument for an unclosed quote.
std::vector<std::string> split_list(std::string_view text);

// Trims ASCII spaces and tabs at both ends.
std::string_view trim(std::string_view text);

}  // namespace dumpmill::records
