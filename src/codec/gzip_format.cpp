// gzip member framing: header parsing, trailer checks and end-of-stream detection.
#include "gzip_format.hpp"

#include <isa-l/crc.h>

#include <algorithm>
#include <string>

#include "dumpmill/core/error.hpp"

namespace dumpmill::detail {
namespace {

constexpr std::uint8_t kId1 = 0x1f;
constexpr std::uint8_t kId2 = 0x8b;
constexpr std::uint8_t kMethodDeflate = 8;
constexpr std::uint8_t kFlagHcrc = 0x02;
constexpr std::uint8_t kFlagExtra = 0x04;
constexpr std::uint8_t kFlagName = 0x08;
constexpr std::uint8_t kFlagComment = 0x10;
constexpr std::uint8_t kFlagReserved = 0xe0;

// Reads header bytes one at a time while keeping the CRC FHCRC needs; headers are tens of
// bytes, so byte-wise access costs nothing measurable.
class HeaderBytes {
 public:
  explicit HeaderBytes(FileInput& in) : in_(in) {}
  std::uint8_t next() {
    const std::uint8_t b = in_.next_byte("gzip header");
    crc_ = gzip_crc32(crc_, &b, 1);
    return b;
  }
  void skip_zero_terminated() {
    while (next() != 0) {
    }
  }
  std::uint32_t crc() const noexcept { return crc_; }

 private:
  FileInput& in_;
  std::uint32_t crc_ = 0;
};

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

std::uint32_t gzip_crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size) noexcept {
  // crc32_gzip_refl takes a 64-bit length; it pre- and post-inverts like zlib's crc32().
  return crc32_gzip_refl(crc, data, size);
}

MemberBoundary probe_member(FileInput& in, bool member_required) {
  const std::uint64_t at = in.offset();
  if (in.fill(2) == 0) {
    if (!member_required) return MemberBoundary::kEnd;
    throw InputError(in.path(), at,
                     at == 0 ? "empty file is not a gzip stream"
                             : "truncated gzip stream (expected a member header)");
  }
  const std::uint8_t* p = in.data();
  if (in.available() >= 2 && p[0] == kId1 && p[1] == kId2) return MemberBoundary::kMember;
  if (member_required) throw InputError(in.path(), at, "not a gzip stream (bad magic bytes)");
  // Zero padding to the end of the file is tolerated (tar/tape blocking, preallocation).
  for (;;) {
    const std::size_t n = in.fill(in.capacity());
    if (n == 0) return MemberBoundary::kEnd;
    const std::uint8_t* q = in.data();
    const std::uint8_t* nonzero = std::find_if(q, q + n, [](std::uint8_t b) { return b != 0; });
    if (nonzero != q + n) {
      const std::uint64_t bad = in.offset() + static_cast<std::uint64_t>(nonzero - q);
      throw InputError(in.path(), bad, "trailing garbage after the last gzip member");
    }
    in.consume(n);
  }
}

void read_gzip_header(FileInput& in) {
  const std::uint64_t at = in.offset();
  HeaderBytes h(in);
  if (h.next() != kId1 || h.next() != kId2) {
    throw InputError(in.path(), at, "not a gzip member header (bad magic bytes)");
  }
  if (h.next() != kMethodDeflate) {
    throw InputError(in.path(), at, "gzip member uses an unknown compression method");
  }
  const std::uint8_t flags = h.next();
  if (flags & kFlagReserved) throw InputError(in.path(), at, "gzip header has reserved flags set");
  for (int i = 0; i < 6; ++i) h.next();  // MTIME(4) XFL(1) OS(1)
  if (flags & kFlagExtra) {
    const unsigned lo = h.next();
    const unsigned xlen = lo | static_cast<unsigned>(h.next()) << 8;
    for (unsigned i = 0; i < xlen; ++i) h.next();
  }
  if (flags & kFlagName) h.skip_zero_terminated();
  if (flags & kFlagComment) h.skip_zero_terminated();
  if (flags & kFlagHcrc) {
    const std::uint32_t expect = h.crc() & 0xffffu;
    const unsigned lo = in.next_byte("gzip header");
    const unsigned stored = lo | static_cast<unsigned>(in.next_byte("gzip header")) << 8;
    if (stored != expect) throw InputError(in.path(), at, "gzip header CRC16 mismatch");
  }
}

GzipTrailer read_gzip_trailer(FileInput& in) {
  if (in.fill(8) < 8) {
    throw InputError(in.path(), in.offset() + in.available(),
                     "truncated gzip member (trailer incomplete)");
  }
  GzipTrailer t;
  t.crc32 = load_le32(in.data());
  t.isize = load_le32(in.data() + 4);
  in.consume(8);
  return t;
}

void check_gzip_trailer(const FileInput& in, std::uint64_t trailer_offset,
                        const GzipTrailer& trailer, bool check_crc, std::uint32_t crc,
                        std::uint64_t member_size, bool check_size) {
  if (check_crc && trailer.crc32 != crc) {
    throw InputError(in.path(), trailer_offset, "gzip member CRC32 mismatch (corrupt data)");
  }
  if (check_size && trailer.isize != static_cast<std::uint32_t>(member_size)) {
    throw InputError(in.path(), trailer_offset,
                     "gzip member size mismatch (ISIZE " + std::to_string(trailer.isize) +
                         ", decoded " + std::to_string(member_size) + " mod 2^32)");
  }
}

}  // namespace dumpmill::detail
