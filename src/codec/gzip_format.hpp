// Private to the codec stage: gzip member framing (RFC 1952) around raw deflate data.
#pragma once

#include <cstddef>
#include <cstdint>

#include "file_input.hpp"

namespace dumpmill::detail {

// Deflate's back-reference distance limit (RFC 1951): the window a checkpoint must carry.
inline constexpr std::uint32_t kDeflateWindow = 32 * 1024;

// CRC-32 as gzip stores it (ISA-L's PCLMUL implementation, several GB/s; zlib's is ~3x slower).
std::uint32_t gzip_crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size) noexcept;

// What the file holds at a member boundary.
enum class MemberBoundary { kMember, kEnd };

// Looks at in.offset(): kMember when a gzip header starts there; kEnd at end of file or when
// only zero bytes remain (tape/block padding, consumed). Anything else throws InputError;
// when member_required (file start, member-start checkpoint) the end of file throws too.
MemberBoundary probe_member(FileInput& in, bool member_required);

// Parses the member header at in.offset() (FEXTRA, FNAME, FCOMMENT and FHCRC included) and
// leaves the cursor on the first deflate byte. Throws InputError on a bad or truncated header.
void read_gzip_header(FileInput& in);

struct GzipTrailer {
  std::uint32_t crc32 = 0;
  std::uint32_t isize = 0;  // decoded size of the member mod 2^32
};

// Reads the 8-byte trailer at in.offset(); throws InputError when it is truncated.
GzipTrailer read_gzip_trailer(FileInput& in);

// Throws InputError when the trailer disagrees with what was decoded. `trailer_offset` is
// where the trailer starts; pass check_crc = false when the member was not decoded from its
// start (a mid-member checkpoint cannot know the CRC of the bytes before it), and
// check_size = false when the member's decoded start is unknown too.
void check_gzip_trailer(const FileInput& in, std::uint64_t trailer_offset,
                        const GzipTrailer& trailer, bool check_crc, std::uint32_t crc,
                        std::uint64_t member_size, bool check_size = true);

}  // namespace dumpmill::detail
