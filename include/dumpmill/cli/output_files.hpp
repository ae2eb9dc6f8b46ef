// Where a run writes: temporary names while working, final names published by rename (invariant 4).
#pragma once

#include <string>

#include "dumpmill/cli/job_config.hpp"

namespace dumpmill::cli {

class OutputFiles {
 public:
  // `tag` is unique per run (rank 0's pid and start time), identical on every rank.
  OutputFiles(const JobConfig& job, std::string tag);

  std::string hdf5_temp() const;
  std::string hdf5_final() const;
  std::string sqlite_final() const;
  std::string rejects_part(int rank) const;
  std::string rejects_final() const;
  std::string report_final() const;

  // Renames the finished HDF5 file into place (rank 0). Throws OutputError.
  void publish_hdf5() const;
  // Concatenates the ranks' reject parts (one header) into the final rejects file, atomically,
  // and removes the parts (rank 0, after every rank closed its part).
  void publish_rejects(int ranks) const;
  // Writes the JSON report atomically (rank 0).
  void publish_report(const std::string& json) const;

 private:
  std::string path(const std::string& name) const;
  std::string dir_;
  std::string tag_;
  const JobConfig& job_;
};

// Writes `bytes` to `path` through a temporary file in the same directory and renames it.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace dumpmill::cli
