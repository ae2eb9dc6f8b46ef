// XXH3 fingerprint of an input file's size, head and tail.
#include "dumpmill/codec/fingerprint.hpp"

#include <xxhash.h>

#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include "file_input.hpp"

namespace dumpmill::codec {
namespace {

struct Xxh3StateDeleter {
  void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
};

}  // namespace

std::uint64_t file_fingerprint(const std::string& path) {
  detail::FileDescriptor fd(path);
  const std::uint64_t size = fd.stat(path).size;
  std::unique_ptr<XXH3_state_t, Xxh3StateDeleter> state(XXH3_createState());
  if (!state) throw std::bad_alloc();
  XXH3_64bits_reset(state.get());

  std::uint8_t size_le[8];
  for (int i = 0; i < 8; ++i) size_le[i] = static_cast<std::uint8_t>(size >> (8 * i));
  XXH3_64bits_update(state.get(), size_le, sizeof size_le);

  const std::size_t edge = static_cast<std::size_t>(std::min(size, kFingerprintEdgeBytes));
  std::vector<std::uint8_t> buf(edge);
  for (const std::uint64_t at : {std::uint64_t{0}, size - edge}) {
    const std::size_t got = detail::pread_full(fd.get(), path, buf.data(), edge, at);
    XXH3_64bits_update(state.get(), buf.data(), got);
  }
  return XXH3_64bits_digest(state.get());
}

}  // namespace dumpmill::codec
