// The cumulative tables of a warehouse: articles and types summed over every dump's current result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dumpmill::cli {

// One dump's current result: results/<stem>/current -> v<version>, and its SQLite file.
struct CumulativeSource {
  std::string stem;
  std::int64_t version = 0;
  std::string sqlite_path;  // relative to the warehouse
  std::uint64_t size = 0;   // of the SQLite file: with mtime, tells a redone result apart
  std::int64_t mtime_ns = 0;
  bool operator==(const CumulativeSource&) const = default;
};

// The current result of every results/<stem>/ that has a `current` link to a v<N> directory
// holding `sqlite_name`, by stem. Throws OutputError on an unreadable results directory.
std::vector<CumulativeSource> current_results(const std::string& warehouse,
                                              const std::string& sqlite_name);

// True when `cumulative_path` is missing, unreadable, or was built from other sources (another
// version became current: a new dump, a re-processed one, or a roll-back by hand).
bool cumulative_is_stale(const std::string& cumulative_path,
                         const std::vector<CumulativeSource>& sources);

// Rebuilds `cumulative_path` (in the warehouse) from scratch: tables `articles` (title, n_in,
// n_out, n_referrers, dumps) and `types` (type, pairs, n) with every column summed over the
// sources' tables of the same name (n_referrers is then the sum of each dump's distinct
// referrers; `dumps` counts the dumps a title appears in), and `sources` saying what was summed.
// Exact: integer sums in SQLite. Written under a temporary name and renamed into place
// (sql::SqliteExport). Returns the number of rows in `articles`. Throws OutputError.
std::uint64_t rebuild_cumulative(const std::string& warehouse, const std::string& cumulative_path,
                                 const std::vector<CumulativeSource>& sources);

}  // namespace dumpmill::cli
