// One chunk of a single-member gzip: marker decoding until the window is known, then zlib with
// checkpoints; and the tail algebra that resolves every chunk's window from its predecessors.
#include "dumpmill/codec/chunk_scan.hpp"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <new>

#include "compressed_span.hpp"
#include "dumpmill/codec/chunk_decode.hpp"
#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "gzip_format.hpp"

namespace dumpmill::codec {
namespace {

constexpr std::uint64_t kNoStop = std::numeric_limits<std::uint64_t>::max();
// zlib phase buffers: 1 MiB of input per pread, 256 KiB of output (only checksummed, then
// dropped), as in build_gzip_index.
constexpr std::size_t kInputBytes = std::size_t{1} << 20;
constexpr std::size_t kOutputBytes = std::size_t{256} << 10;
constexpr std::size_t kMinFeed = 4096;

struct InflateEnd {
  void operator()(z_stream* s) const noexcept {
    inflateEnd(s);
    delete s;
  }
};
using InflateStream = std::unique_ptr<z_stream, InflateEnd>;

InflateStream make_raw_inflate() {
  auto* s = new z_stream{};
  if (inflateInit2(s, -15) != Z_OK) {
    delete s;
    throw std::bad_alloc();
  }
  return InflateStream(s);
}

std::string corrupt(const char* what) { return std::string("corrupt deflate data: ") + what; }

[[noreturn]] void throw_mismatch(const std::string& path, std::uint64_t boundary,
                                 std::uint64_t stop) {
  throw InputError(path, stop / 8,
                   "chunk tiling mismatch: decoding reached a block boundary at bit " +
                       std::to_string(boundary) + " past the next chunk's start at bit " +
                       std::to_string(stop) + " (a false block start)");
}

[[noreturn]] void throw_member_end(const std::string& path, std::uint64_t end_bit,
                                   std::uint64_t stop) {
  throw InputError(path, end_bit / 8,
                   "the gzip member ends at bit " + std::to_string(end_bit) +
                       " before the chunk's end at bit " + std::to_string(stop) +
                       " (more members follow, or a false block start)");
}

// Bits [bit, bit + n) of the file through `in`, whose cursor sits at or just after bit / 8
// (FileInput keeps 16 bytes behind the cursor). n <= 3.
unsigned bits_at(detail::FileInput& in, std::uint64_t bit, unsigned n) {
  in.fill(8);
  const std::uint64_t byte = bit / 8;
  const std::uint8_t* base = in.data() - (in.offset() - byte);
  const std::size_t have = static_cast<std::size_t>(in.offset() - byte) + in.available();
  if (have == 0) return (1u << n) - 1;  // past the end: not a stored-block header
  unsigned v = base[0];
  if (have > 1) v |= static_cast<unsigned>(base[1]) << 8;
  return (v >> (bit % 8)) & ((1u << n) - 1);
}

// zlib reports a boundary right after the previous block's end-of-block code; the block finder
// and marker_inflate report one in front of a stored block at its canonical start (the largest
// position before LEN whose 3 header bits are all zero). Returns that canonical position.
std::uint64_t canonical_boundary(detail::FileInput& in, std::uint64_t pos) {
  if (bits_at(in, pos, 3) != 0) return pos;  // not a non-final stored block
  const std::uint64_t len_bit = (pos + 3 + 7) / 8 * 8;
  for (std::uint64_t p = len_bit - 3; p > pos; --p)
    if (bits_at(in, p, 3) == 0) return p;
  return pos;
}

// Pads symbols to the last kWindowSize of (the unknown window's markers ++ symbols).
std::vector<std::uint16_t> padded_tail(std::span<const std::uint16_t> symbols) {
  std::vector<std::uint16_t> tail;
  tail.reserve(kWindowSize);
  if (symbols.size() < kWindowSize) {
    for (std::size_t i = symbols.size(); i < kWindowSize; ++i)
      tail.push_back(static_cast<std::uint16_t>(kMarkerBit | i));
    tail.insert(tail.end(), symbols.begin(), symbols.end());
  } else {
    tail.assign(symbols.end() - static_cast<std::ptrdiff_t>(kWindowSize), symbols.end());
  }
  return tail;
}

// Symbols kept in the marker phase beyond the 32 KiB history before trimming: a trim moves
// 64 KiB (~5 us), against ~7 ms to decode 1 Mi symbols.
constexpr std::size_t kTrimSymbols = std::size_t{1} << 20;
// Compressed bytes kept behind the decoder before dropping them: a drop moves what was read
// ahead (<= the same again), ~0.1 ms per MiB against ~25 ms to decode a MiB of gzip -6 text.
constexpr std::uint64_t kDropBytes = std::uint64_t{1} << 20;

// Marker phase: decodes block by block from c.start_bit, taking marker checkpoints, until the
// last 32 KiB are marker-free (returns that boundary and fills `window`) or the chunk ends
// (returns kNoStop and fills c.tail). Memory stays bounded: history is trimmed to 32 KiB of
// symbols and compressed bytes already decoded are dropped.
std::uint64_t decode_markers(const std::string& path, ChunkScan& c, std::uint64_t stop_bit,
                             std::uint64_t spacing, std::vector<std::uint8_t>& window) {
  detail::CompressedSpan in(path, c.start_bit / 8, c.start_bit / 8 + detail::kReadSlack);
  MarkerInflateOptions opts;
  opts.window_unknown = true;
  opts.max_blocks = 1;
  std::uint64_t at = c.start_bit - in.base_bit();
  std::vector<std::uint16_t> buf;   // the newest symbols: history for back-references
  std::uint64_t dropped = 0;        // symbols trimmed from the front of buf
  std::uint64_t scanned = 0;        // output offsets [0, scanned) checked for markers
  std::uint64_t marker_end = 0;     // one past the last marker seen (output offset)
  std::uint64_t last_point = 0;
  for (;;) {
    opts.stop_after_bit = stop_bit == kNoStop ? kNoStop : stop_bit - in.base_bit();
    const MarkerInflateResult r = marker_inflate(in.bytes(), at, buf, opts);
    switch (r.status) {
      case MarkerInflateStatus::kInvalid:
        throw InputError(path, (in.base_bit() + r.error_bit) / 8, corrupt(r.error));
      case MarkerInflateStatus::kNeedInput:
        if (in.at_eof()) {
          throw InputError(path, (in.base_bit() + r.end_bit) / 8,
                           "truncated gzip member (deflate stream ends inside a block)");
        }
        in.grow();
        at = r.end_bit;
        continue;
      case MarkerInflateStatus::kFinalBlock:
        c.final_block = true;
        c.end_bit = in.base_bit() + r.end_bit;
        if (stop_bit != kNoStop) throw_member_end(path, c.end_bit, stop_bit);
        c.trailer_offset = (c.end_bit + 7) / 8;
        c.marker_size = dropped + buf.size();
        c.tail = padded_tail(buf);
        return kNoStop;
      case MarkerInflateStatus::kBoundary:
        break;
    }
    at = r.end_bit;
    const std::uint64_t abs = in.base_bit() + at;
    const std::uint64_t out = dropped + buf.size();
    if (stop_bit != kNoStop && abs >= stop_bit) {
      if (abs != stop_bit) throw_mismatch(path, abs, stop_bit);
      c.end_bit = stop_bit;
      c.marker_size = out;
      c.tail = padded_tail(buf);
      return kNoStop;
    }
    for (; scanned < out; ++scanned)
      if (buf[static_cast<std::size_t>(scanned - dropped)] & kMarkerBit) marker_end = scanned + 1;
    if (out - marker_end >= kWindowSize) {
      window.resize(kWindowSize);
      std::copy(buf.end() - static_cast<std::ptrdiff_t>(kWindowSize), buf.end(), window.begin());
      c.marker_size = out;
      return abs;
    }
    if (out - last_point >= spacing) {
      c.marker_points.push_back(MarkerCheckpoint{abs, out, padded_tail(buf)});
      last_point = out;
    }
    if (buf.size() >= kWindowSize + kTrimSymbols) {
      const std::size_t cut = buf.size() - kWindowSize;
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(cut));
      dropped += cut;
    }
    if (at / 8 >= kDropBytes) {
      const std::uint64_t n = at / 8 - 1;  // keep the partial byte the next block starts in
      in.drop_front(n);
      at -= n * 8;
    }
  }
}

// zlib phase: from the block boundary `from_bit` with a concrete window to the stop (or the
// member's end), with checkpoints every `spacing` bytes and the CRC of everything decoded.
void decode_suffix(const std::string& path, ChunkScan& c, std::uint64_t from_bit,
                   std::uint64_t stop_bit, std::uint64_t spacing,
                   const std::vector<std::uint8_t>& window) {
  detail::FileInput in(path, kInputBytes, from_bit / 8);
  InflateStream zs = make_raw_inflate();
  if (from_bit % 8 != 0) {
    const std::uint8_t partial = in.next_byte("deflate block");
    const auto used = static_cast<int>(from_bit % 8);
    if (inflatePrime(zs.get(), 8 - used, partial >> used) != Z_OK) throw std::bad_alloc();
  }
  if (!window.empty() &&
      inflateSetDictionary(zs.get(), window.data(), static_cast<uInt>(window.size())) != Z_OK) {
    throw std::bad_alloc();
  }
  const std::uint64_t base = c.marker_size;
  if (!c.member_start) c.points.push_back(GzipCheckpoint{from_bit, base, false, window});
  std::uint64_t last_point = base;
  std::vector<std::uint8_t> obuf(kOutputBytes);
  for (;;) {
    in.fill(kMinFeed);
    const std::size_t avail = std::min<std::size_t>(in.available(), 1u << 30);
    zs->next_in = in.data();
    zs->avail_in = static_cast<uInt>(avail);
    zs->next_out = obuf.data();
    zs->avail_out = static_cast<uInt>(obuf.size());
    const int ret = inflate(zs.get(), Z_BLOCK);
    const std::size_t consumed = avail - zs->avail_in;
    const std::size_t produced = obuf.size() - zs->avail_out;
    in.consume(consumed);
    c.suffix_crc = detail::gzip_crc32(c.suffix_crc, obuf.data(), produced);
    c.suffix_size += produced;
    if (ret == Z_STREAM_END) {
      c.final_block = true;
      c.end_bit = in.offset() * 8;
      if (stop_bit != kNoStop) throw_member_end(path, c.end_bit, stop_bit);
      c.trailer_offset = in.offset();
      break;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      throw InputError(path, in.offset(), corrupt(zs->msg ? zs->msg : "zlib error"));
    }
    if (consumed == 0 && produced == 0) {
      if (in.at_end()) throw InputError(path, in.offset(), "truncated gzip member");
      in.fill(in.available() + 1);
      continue;
    }
    // data_type: bit 7 = at a block boundary, bit 6 = the last block follows... (zlib.h);
    // bits 0-2 = unused bits of the last consumed byte.
    if ((zs->data_type & 128) == 0 || (zs->data_type & 64) != 0) continue;
    const std::uint64_t pos = in.offset() * 8 - static_cast<std::uint64_t>(zs->data_type & 7);
    if (stop_bit != kNoStop && pos + 8 > stop_bit) {
      if (pos == stop_bit || canonical_boundary(in, pos) == stop_bit) {
        c.end_bit = stop_bit;
        break;
      }
      if (pos > stop_bit) throw_mismatch(path, pos, stop_bit);
    }
    const std::uint64_t at = base + c.suffix_size;
    if (at - last_point >= spacing) {
      GzipCheckpoint p;
      p.in_bit_offset = pos;
      p.out_offset = at;
      p.window.resize(kWindowSize);
      uInt wlen = 0;
      if (inflateGetDictionary(zs.get(), p.window.data(), &wlen) != Z_OK) throw std::bad_alloc();
      p.window.resize(wlen);
      c.points.push_back(std::move(p));
      last_point = at;
    }
  }
  std::vector<std::uint8_t> last(kWindowSize);
  uInt wlen = 0;
  if (inflateGetDictionary(zs.get(), last.data(), &wlen) != Z_OK) throw std::bad_alloc();
  c.tail.assign(last.begin(), last.begin() + wlen);
}

}  // namespace

ChunkScan scan_gzip_chunk(const std::string& path, std::uint64_t start_bit, std::uint64_t stop_bit,
                          std::uint64_t spacing) {
  if (spacing == 0) throw ConfigError("gzip index checkpoint spacing must be > 0");
  const std::uint64_t first = gzip_deflate_start_bit(path);
  if (start_bit < first) {
    throw InputError(path, start_bit / 8, "chunk start lies inside the gzip header");
  }
  ChunkScan c;
  c.start_bit = start_bit;
  c.member_start = start_bit == first;
  if (stop_bit != kNoStop && stop_bit <= start_bit) {
    throw InputError(path, stop_bit / 8, "chunk ends before it starts");
  }
  std::vector<std::uint8_t> window;
  std::uint64_t zlib_from = start_bit;
  if (!c.member_start) {
    zlib_from = decode_markers(path, c, stop_bit, spacing, window);
    if (zlib_from == kNoStop) return c;  // the chunk ended during the marker phase
  }
  decode_suffix(path, c, zlib_from, stop_bit, spacing, window);
  if (!c.member_start && c.tail.size() < kWindowSize) {  // cannot happen: the window was full
    throw InputError(path, c.end_bit / 8, "internal: short window after the marker phase");
  }
  return c;
}

std::vector<std::uint16_t> compose_tails(std::span<const std::uint16_t> before,
                                         std::span<const std::uint16_t> after) {
  if (after.size() < kWindowSize) return {after.begin(), after.end()};
  std::vector<std::uint16_t> out(after.begin(), after.end());
  const std::size_t missing = kWindowSize - std::min(before.size(), kWindowSize);
  for (std::uint16_t& s : out) {
    if ((s & kMarkerBit) == 0) continue;
    const std::size_t i = s & (kMarkerBit - 1);
    s = i < missing ? kNoByte : before[i - missing];
  }
  return out;
}

bool window_bytes(std::span<const std::uint16_t> tail, std::vector<std::uint8_t>& out) {
  out.clear();
  out.reserve(tail.size());
  for (const std::uint16_t s : tail) {
    if (s > 0xff) return false;
    out.push_back(static_cast<std::uint8_t>(s));
  }
  return true;
}

std::uint32_t gzip_crc32(std::uint32_t crc, std::span<const std::uint8_t> bytes) noexcept {
  return detail::gzip_crc32(crc, bytes.data(), bytes.size());
}

AfterMember check_member_trailer(const std::string& path, std::uint64_t trailer_offset,
                                 std::uint32_t crc, std::uint64_t size) {
  detail::FileInput in(path, 4096, trailer_offset);
  const detail::GzipTrailer t = detail::read_gzip_trailer(in);
  detail::check_gzip_trailer(in, trailer_offset, t, true, crc, size);
  return detail::probe_member(in, false) == detail::MemberBoundary::kMember
             ? AfterMember::kAnotherMember
             : AfterMember::kEnd;
}

std::uint32_t gzip_crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t size_b) {
  return static_cast<std::uint32_t>(crc32_combine64(crc_a, crc_b, static_cast<z_off64_t>(size_b)));
}

}  // namespace dumpmill::codec
