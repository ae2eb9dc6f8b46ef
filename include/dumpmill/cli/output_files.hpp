// Where a run writes: temporary names while working, final names published by rename (invariant 4).
#pragma once

#include <string>

#include "dumpmill/cli/job_config.hpp"

namespace dumpmill::cli {

// Every output is first written complete under a staged name in the output directory; only when
// all of them are complete does publish() rename them into place, back to back. A run that fails
// or is killed before publish() leaves the previous results untouched (a full disk during the
// SQLite export once left a new .h5 beside the old .sqlite when files were renamed one by one).
class OutputFiles {
 public:
  // `tag` is unique per run (rank 0's pid and start time), identical on every rank.
  OutputFiles(const JobConfig& job, std::string tag);

  std::string hdf5_staged() const;
  std::string hdf5_final() const;
  std::string sqlite_staged() const;  // empty when the job has no SQL export
  std::string sqlite_final() const;
  // The portable .sql script (job.sql_script), staged beside its final path; empty when none.
  std::string sql_script_staged() const;
  std::string sql_script_final() const;
  std::string rejects_part(int rank) const;
  std::string rejects_staged() const;
  std::string rejects_final() const;
  std::string report_final() const;

  // Concatenates the ranks' reject parts (one header) into the staged rejects file and removes
  // the parts (rank 0, after every rank closed its part). Throws OutputError.
  void stage_rejects(int ranks) const;
  // Renames every staged file into place and then writes the JSON report (rank 0).
  void publish(const std::string& report_json) const;
  // The run's tag (unique per run, identical on every rank).
  const std::string& tag() const noexcept { return tag_; }
  // Best effort, never throws: removes this run's staged files after a failure (rank 0).
  void remove_staged() const noexcept;

 private:
  std::string path(const std::string& name) const;
  std::string staged(const std::string& name) const;
  std::string dir_;
  std::string tag_;
  const JobConfig& job_;
};

// Writes `bytes` to `path` through a temporary file in the same directory and renames it.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace dumpmill::cli
