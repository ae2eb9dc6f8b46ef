// Codec names and magic-byte sniffing.
#include "dumpmill/codec/codec.hpp"

#include <array>

#include "file_input.hpp"

namespace dumpmill::codec {

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::kPlain:
      return "plain";
    case Codec::kGzip:
      return "gzip";
    case Codec::kZstd:
      return "zstd";
  }
  return "unknown";
}

Codec sniff_codec(const std::string& path) {
  detail::FileDescriptor fd(path);
  (void)fd.stat(path);  // rejects directories with a clear message
  std::array<std::uint8_t, 4> m{};
  const std::size_t n = detail::pread_full(fd.get(), path, m.data(), m.size(), 0);
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Codec::kGzip;
  if (n == 4) {
    // zstd frame magic 0xFD2FB528 and skippable frames 0x184D2A50..5F, both little-endian.
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return Codec::kZstd;
    if ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18) {
      return Codec::kZstd;
    }
  }
  return Codec::kPlain;
}

}  // namespace dumpmill::codec
