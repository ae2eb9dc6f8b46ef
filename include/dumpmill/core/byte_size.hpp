// Human byte sizes in job files and flags ("64MiB", "1G", "4096") and in reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill {

// Parses a size: digits with an optional suffix K, M, G, T (powers of 1024; "KiB", "KB",
// "k" all mean 1024). Throws ConfigError naming `what` (e.g. "run.range_size") on bad input.
std::uint64_t parse_byte_size(std::string_view text, std::string_view what);

// "1.5 GiB", "312 KiB", "17 B".
std::string format_bytes(std::uint64_t bytes);

}  // namespace dumpmill
