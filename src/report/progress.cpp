// Progress line: bytes done / total, MB/s, ETA.
#include "dumpmill/report/progress.hpp"

#include <unistd.h>

#include <algorithm>

#include "dumpmill/core/byte_size.hpp"

namespace dumpmill::report {
namespace {
// Live lines refresh 4x a second (smooth, cheap); batch logs every 10 s (a 30-minute job
// writes ~180 lines, readable in a Slurm output file).
constexpr double kLiveInterval = 0.25;
constexpr double kLogInterval = 10.0;
}  // namespace

ProgressMode progress_mode(const std::string& setting) {
  if (setting == "never") return ProgressMode::kOff;
  if (setting == "always") return ProgressMode::kLive;
  return ::isatty(STDERR_FILENO) ? ProgressMode::kLive : ProgressMode::kLog;
}

ProgressMeter::ProgressMeter(ProgressMode mode, std::uint64_t total_bytes, bool total_is_estimate,
                             std::FILE* out)
    : mode_(mode), total_(total_bytes), estimate_(total_is_estimate), out_(out) {}

std::string ProgressMeter::line(std::uint64_t done) const {
  const double t = clock_.seconds();
  const double rate = t > 0 ? static_cast<double>(done) / t : 0;
  char buf[200];
  const double pct =
      total_ > 0 ? std::min(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total_))
                 : 0;
  std::string eta = "--";
  if (rate > 0 && total_ > done) {
    const double s = static_cast<double>(total_ - done) / rate;
    char e[32];
    std::snprintf(e, sizeof e, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
    eta = e;
  }
  std::snprintf(buf, sizeof buf, "[dumpmill] %s / %s%s (%.0f%%)  %.1f MB/s  ETA %s",
                format_bytes(done).c_str(), estimate_ ? "~" : "", format_bytes(total_).c_str(), pct,
                rate / 1e6, eta.c_str());
  return buf;
}

void ProgressMeter::update(std::uint64_t done_bytes) {
  if (mode_ == ProgressMode::kOff) return;
  const double now = clock_.seconds();
  const double interval = mode_ == ProgressMode::kLive ? kLiveInterval : kLogInterval;
  if (now - last_print_ < interval) return;
  last_print_ = now;
  if (mode_ == ProgressMode::kLive) {
    std::fprintf(out_, "\r%s\x1b[K", line(done_bytes).c_str());
  } else {
    std::fprintf(out_, "%s\n", line(done_bytes).c_str());
  }
  std::fflush(out_);
  printed_ = true;
}

void ProgressMeter::finish() {
  if (mode_ == ProgressMode::kLive && printed_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

}  // namespace dumpmill::report
