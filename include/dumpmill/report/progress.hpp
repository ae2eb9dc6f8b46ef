// Progress on long runs: a live line on a terminal, a log line every few seconds in batch jobs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "dumpmill/core/process_stats.hpp"

namespace dumpmill::report {

enum class ProgressMode { kLive, kLog, kOff };

// "auto" picks kLive when stderr is a terminal, else kLog (Slurm output files, cron).
ProgressMode progress_mode(const std::string& setting);

class ProgressMeter {
 public:
  // total_bytes may be an estimate (compressed inputs whose size is not indexed); it is shown with
  // "~".
  ProgressMeter(ProgressMode mode, std::uint64_t total_bytes, bool total_is_estimate,
                std::FILE* out = stderr);
  // Called by rank 0 with the decoded bytes done by all ranks; prints at most once per interval.
  void update(std::uint64_t done_bytes);
  // Ends the live line (a newline), so the summary starts on a clean line.
  void finish();

 private:
  std::string line(std::uint64_t done) const;

  ProgressMode mode_;
  std::uint64_t total_;
  bool estimate_;
  std::FILE* out_;
  Stopwatch clock_;
  double last_print_ = -1e9;
  bool printed_ = false;
};

}  // namespace dumpmill::report
