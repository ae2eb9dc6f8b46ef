// The run report: accounting (invariant 2), data quality, throughput; as text, JSON and SQL rows.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dumpmill/parse/clickstream.hpp"
#include "dumpmill/parse/reject.hpp"

namespace dumpmill::report {

struct FileAccounting {
  std::string path;
  std::string codec;
  std::uint64_t size = 0;
  std::uint64_t fingerprint = 0;
  std::uint64_t ranges = 0;         // byte ranges the plan cut the file into
  std::uint64_t bytes_decoded = 0;  // decoded bytes of the records this run owned in the file
  std::uint64_t header_lines = 0;
  std::uint64_t records_read = 0;  // lines that are not headers
  std::uint64_t valid = 0;
  parse::RejectCounts rejected;
};

struct RunReport {
  std::string tool_version;
  std::string job_name;
  std::string job_path;
  std::string started_utc;
  int ranks = 1;

  std::vector<FileAccounting> files;

  // Totals over files. records_read = valid + rejected; valid = rows_kept + duplicates_dropped.
  std::uint64_t records_read = 0;
  std::uint64_t valid = 0;
  parse::RejectCounts rejected;
  std::uint64_t rows_kept = 0;
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t distinct_pairs = 0;    // (prev, curr, type) keys
  std::uint64_t conflicting_rows = 0;  // kept rows that share a key with another n (summed)
  std::uint64_t distinct_articles = 0;
  std::uint64_t sum_n = 0;
  std::array<std::uint64_t, parse::kLinkTypeCount> pairs_by_type{};
  std::array<std::uint64_t, parse::kLinkTypeCount> n_by_type{};

  std::uint64_t bytes_in = 0;  // compressed bytes on disk
  std::uint64_t bytes_decoded = 0;
  double wall_seconds = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;
  std::vector<std::uint64_t> peak_rss_bytes;  // one per rank
  std::uint64_t shuffle_rounds = 0;
  std::uint64_t shuffle_bytes = 0;

  std::string hdf5_path, sqlite_path, rejects_path, report_path;

  std::uint64_t rejected_total() const { return rejected.total(); }
  // Uncompressed input per rank per second, in MB (10^6 bytes).
  double mb_per_s_per_rank() const;
  // Invariant 2 over the totals and every file.
  bool accounting_holds() const;
};

std::string to_json(const RunReport& report);
std::string to_text(const RunReport& report);

// Escapes a string for a JSON document (UTF-8 passes through; control bytes become \u00XX).
std::string json_escape(std::string_view s);

}  // namespace dumpmill::report
