// XXH3 from Debian's libxxhash behind a stable function, so callers never include xxhash.h.
#include "dumpmill/aggregate/hashing.hpp"

#include <xxhash.h>

namespace dumpmill::aggregate {

std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace dumpmill::aggregate
