// Key hashing and the hash -> owner-rank rule shared by every stage that partitions keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace dumpmill::aggregate {

// XXH3-64 of the bytes (seed 0). Stable across runs, hosts and rank counts, so an
// owner computed on one rank agrees with the owner computed on any other.
std::uint64_t hash_bytes(std::string_view bytes) noexcept;

// The rank in [0, ranks) that owns `hash`. Uses only the HIGH 32 bits, mapped with
// Lemire's multiply-shift fast range ((hi * ranks) >> 32, no division), so the hash
// tables on the owner rank can index slots with the LOW bits and still see uniformly
// spread keys: all keys on one rank share a narrow band of high bits, and a table that
// used them would pile up in a few slots (the split Thrill's reduce_functional.hpp makes).
// Precondition: ranks > 0.
constexpr int owner_of(std::uint64_t hash, int ranks) noexcept {
  return static_cast<int>(((hash >> 32) * static_cast<std::uint64_t>(ranks)) >> 32);
}

}  // namespace dumpmill::aggregate
