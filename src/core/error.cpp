// Formatting of run-ending faults.
#include "dumpmill/core/error.hpp"

namespace dumpmill {
namespace {

std::string describe(const std::string& path, std::optional<std::uint64_t> offset,
                     const std::string& reason) {
  std::string s = path;
  if (offset) s += " at byte " + std::to_string(*offset);
  s += ": " + reason;
  return s;
}

}  // namespace

InputError::InputError(const std::string& path, std::optional<std::uint64_t> offset,
                       const std::string& reason)
    : Error(describe(path, offset, reason), 1), path_(path), offset_(offset) {}

}  // namespace dumpmill
