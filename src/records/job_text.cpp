// INI text -> ordered key/value entries through Boost.Program_options' config-file parser.
#include "dumpmill/records/job_text.hpp"

#include <boost/program_options.hpp>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::records {

std::vector<JobEntry> read_job_entries(std::string_view text, std::string_view source) {
  namespace po = boost::program_options;
  // A job file is a few hundred bytes, read once: an istringstream here is not bulk data.
  std::istringstream in{std::string(text)};
  const po::options_description none;
  std::vector<JobEntry> entries;
  try {
    const po::parsed_options parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    for (const po::option& o : parsed.options) {
      entries.push_back(JobEntry{o.string_key, o.value.empty() ? std::string() : o.value.front()});
    }
  } catch (const po::error& e) {
    throw ConfigError(std::string(source) + ": " + e.what());
  }
  return entries;
}

}  // namespace dumpmill::records

namespace dumpmill::records {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t i = 0;
  const auto is_sep = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
  while (i < text.size()) {
    if (is_sep(text[i])) {
      ++i;
      continue;
    }
    std::string item;
    if (text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < text.size() && (text[i] == '"' || text[i] == '\\')) {
          item += text[i++];
        } else {
          item += c;
        }
      }
      if (!closed) throw std::invalid_argument("unclosed \" in list");
    }
    while (i < text.size() && !is_sep(text[i])) item += text[i++];
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace dumpmill::records
