// Peak RSS from getrusage (Linux reports ru_maxrss in KiB).
#include "dumpmill/core/process_stats.hpp"

#include <sys/resource.h>

namespace dumpmill {

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024u;
}

}  // namespace dumpmill
