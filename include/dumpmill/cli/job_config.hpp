// A job: what to read, how to clean it, what to build, where to put it (jobs/*.ini + flags).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dumpmill::cli {

// How a run treats files in the 2015 six-column clickstream layout.
enum class LegacySchemaPolicy { kMap, kReject };

struct JobConfig {
  std::string job_path;  // the job file as given (for messages and provenance)
  std::string job_text;  // its full text, stored in the results
  std::string name = "clickstream";
  std::string format = "clickstream";

  std::vector<std::string> inputs;  // files, directories or glob patterns, relative to the CWD
  LegacySchemaPolicy legacy_schema = LegacySchemaPolicy::kMap;

  std::string dedup = "exact";
  bool table_pairs = true;
  bool table_articles = true;
  bool table_types = true;

  std::string output_dir = "out";
  std::string hdf5_name = "clickstream.h5";
  std::string sqlite_name = "clickstream.sqlite";  // empty: no SQL export
  // output.sql / --sql: one more SQL target (empty: none). A PostgreSQL URI (sql_url) or
  // file:PATH, a portable SQL script (sql_script: a plain name lands in output_dir).
  std::string sql_url;
  std::string sql_script;
  std::string rejects_name = "rejects.tsv";
  std::string report_name = "report.json";
  std::string index_cache;  // where gzip checkpoint indexes go when the input dir is read-only

  std::uint64_t range_size = 0;          // 0 = default (see plan/plan.hpp)
  std::uint64_t memory_per_rank = 0;     // 0 = default
  std::uint64_t shuffle_round = 0;       // 0 = default
  std::uint64_t checkpoint_spacing = 0;  // 0 = default
  std::uint64_t max_line = 1 << 20;
  std::uint64_t gzip_split_min = 4ull << 20;  // gzip files below this are read whole by one rank
  std::string progress = "auto";              // auto | always | never
};

// Command-line values that override the job file; empty / zero means "not given".
struct JobOverrides {
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string hdf5_name;
  std::string sqlite_name;
  bool no_sqlite = false;
  std::string sql;
  std::string index_cache;
  std::string range_size, memory_per_rank, shuffle_round, checkpoint_spacing, max_line,
      gzip_split_min;
  std::string progress;
};

// Reads and validates a job file, applies overrides. Throws ConfigError naming the file and
// the key for unknown keys, bad values, or missing required settings.
JobConfig load_job(const std::string& path, const JobOverrides& overrides);

// The job-file keys with their meaning and default, for `--help` and docs.
std::string job_file_reference();

}  // namespace dumpmill::cli
