// What this process costs: peak resident memory and wall time, for reports and budgets.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dumpmill {

// Peak resident set size of this process so far, in bytes (getrusage ru_maxrss).
std::uint64_t peak_rss_bytes();

// The current time as "YYYY-MM-DDTHH:MM:SSZ" (UTC), for reports and result attributes.
std::string utc_timestamp();

// Wall-clock stopwatch (steady clock), seconds as double.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace dumpmill
