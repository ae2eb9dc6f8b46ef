// One chunk of a single-member gzip: decoded block by block with markers until the window is
// known, then as bytes with CRC and checkpoints; and the tail algebra that resolves every chunk's
// window from its predecessors.
#include "dumpmill/codec/chunk_scan.hpp"

#include <zlib.h>

#include <algorithm>

#include "compressed_span.hpp"
#include "dumpmill/codec/chunk_decode.hpp"
#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "gzip_format.hpp"

namespace dumpmill::codec {
namespace {

constexpr std::uint64_t kNoStop = std::numeric_limits<std::uint64_t>::max();
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

// Decodes block by block from c.start_bit to the stop (or the member's end). Marker phase (not a
// member start): symbols may hold markers; checkpoints keep symbol windows; it ends when the last
// 32 KiB are marker-free. Concrete phase: every symbol is a byte; its CRC is taken block by block
// and checkpoints keep byte windows. Memory stays bounded: history is trimmed to 32 KiB of
// symbols and compressed bytes already decoded are dropped. marker_inflate is used throughout:
// since it does one lookup per literal, length or distance it is faster than zlib (~310 vs
// ~200 MB/s, bench_codec), and it reports stored-block boundaries where the finder does.
void decode_symbols(const std::string& path, ChunkScan& c, std::uint64_t stop_bit,
                    std::uint64_t spacing) {
  detail::CompressedSpan in(path, c.start_bit / 8, c.start_bit / 8 + detail::kReadSlack);
  MarkerInflateOptions opts;
  opts.window_unknown = !c.member_start;
  opts.max_blocks = 1;
  std::uint64_t at = c.start_bit - in.base_bit();
  std::vector<std::uint16_t> buf;  // the newest symbols: history for back-references
  std::uint64_t dropped = 0;       // symbols trimmed from the front of buf
  std::uint64_t scanned = 0;       // output offsets [0, scanned) checked for markers
  std::uint64_t marker_end = 0;    // one past the last marker seen (output offset)
  std::uint64_t last_point = 0;
  std::uint64_t crc_done = 0;  // concrete phase: output offsets [marker_size, crc_done) checksummed
  bool concrete = c.member_start;
  std::vector<std::uint8_t> bytes;
  const auto to_bytes = [&](std::uint64_t from, std::uint64_t to) {
    bytes.resize(static_cast<std::size_t>(to - from));
    // __restrict: a uint8_t store may alias anything, which kept this loop scalar (17% of a
    // one-rank scan in perf); with it the compiler vectorises the narrowing.
    const std::uint16_t* __restrict src = buf.data() + (from - dropped);
    std::uint8_t* __restrict dst = bytes.data();
    const std::size_t n = bytes.size();
    for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<std::uint8_t>(src[k]);
    return std::span<const std::uint8_t>(bytes);
  };
  const auto checksum_to = [&](std::uint64_t out) {
    c.suffix_crc = gzip_crc32(c.suffix_crc, to_bytes(crc_done, out));
    c.suffix_size += out - crc_done;
    crc_done = out;
  };
  const auto finish = [&](std::uint64_t out) {
    if (concrete) {
      checksum_to(out);
    } else {
      c.marker_size = out;
    }
    if (c.member_start) {  // no unknown window: a short member keeps a short tail
      const std::size_t keep = std::min(buf.size(), kWindowSize);
      c.tail.assign(buf.end() - static_cast<std::ptrdiff_t>(keep), buf.end());
    } else {
      c.tail = padded_tail(buf);
    }
  };
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
        finish(dropped + buf.size());
        return;
      case MarkerInflateStatus::kBoundary:
        break;
    }
    at = r.end_bit;
    const std::uint64_t abs = in.base_bit() + at;
    const std::uint64_t out = dropped + buf.size();
    if (stop_bit != kNoStop && abs >= stop_bit) {
      if (abs != stop_bit) throw_mismatch(path, abs, stop_bit);
      c.end_bit = stop_bit;
      finish(out);
      return;
    }
    if (!concrete) {
      for (; scanned < out; ++scanned)
        if (buf[static_cast<std::size_t>(scanned - dropped)] & kMarkerBit) marker_end = scanned + 1;
      if (out - marker_end >= kWindowSize) {  // the window is known from here on
        concrete = true;
        c.marker_size = out;
        crc_done = out;
        const auto w = to_bytes(out - kWindowSize, out);
        c.points.push_back(GzipCheckpoint{abs, out, false, {w.begin(), w.end()}});
        last_point = out;
      } else if (out - last_point >= spacing) {
        c.marker_points.push_back(MarkerCheckpoint{abs, out, padded_tail(buf)});
        last_point = out;
      }
    } else {
      checksum_to(out);
      if (out - last_point >= spacing) {
        const auto w = to_bytes(out - std::min<std::uint64_t>(out, kWindowSize), out);
        c.points.push_back(GzipCheckpoint{abs, out, false, {w.begin(), w.end()}});
        last_point = out;
      }
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
  decode_symbols(path, c, stop_bit, spacing);
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
