// Chunked decoding of a single-member gzip file: block finding + confirmation, marker decoding,
// and the sequential chain that checks the chunks tile the member and reproduce its bytes.
#include "dumpmill/codec/chunk_decode.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "compressed_span.hpp"
#include "dumpmill/codec/deflate_block_finder.hpp"
#include "dumpmill/codec/marker_inflate.hpp"
#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "gzip_format.hpp"

namespace dumpmill::codec {
namespace {

using detail::CompressedSpan;
using detail::kReadSlack;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

// After a final block ending at absolute bit end_bit: does the gzip trailer fit there, followed
// by the end of the file, another member or zero padding?
bool trailer_fits(CompressedSpan& in, std::uint64_t end_bit) {
  const std::uint64_t after = (end_bit + 7) / 8 + 8;
  if (after > in.file_size()) return false;
  if (after == in.file_size()) return true;
  in.grow_to(std::min(in.file_size(), after + kReadSlack));
  const auto b = in.bytes().subspan(static_cast<std::size_t>(after - in.base()));
  if (b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b) return true;
  return in.at_eof() && std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

// Decodes from relative bit `at` for kConfirmBlocks blocks (see the rule in the header).
bool confirm(CompressedSpan& in, std::uint64_t at, std::vector<std::uint16_t>& scratch) {
  scratch.clear();
  MarkerInflateOptions opts;
  opts.max_blocks = kConfirmBlocks;
  for (;;) {
    const MarkerInflateResult r = marker_inflate(in.bytes(), at, scratch, opts);
    switch (r.status) {
      case MarkerInflateStatus::kBoundary:
        return true;
      case MarkerInflateStatus::kFinalBlock:
        return trailer_fits(in, in.base_bit() + r.end_bit);
      case MarkerInflateStatus::kInvalid:
        return false;
      case MarkerInflateStatus::kNeedInput:
        if (in.at_eof()) return false;
        in.grow();
        opts.max_blocks -= r.blocks;
        at = r.end_bit;
        break;
    }
  }
}

std::string chunk_error(const char* what) { return std::string("corrupt deflate data: ") + what; }

}  // namespace

std::uint64_t gzip_deflate_start_bit(const std::string& path) {
  detail::FileInput in(path, 4096);
  if (detail::probe_member(in, true) != detail::MemberBoundary::kMember) {
    throw InputError(path, 0, "not a gzip stream");
  }
  detail::read_gzip_header(in);
  return in.offset() * 8;
}

std::optional<std::uint64_t> find_chunk_start(const std::string& path,
                                              std::uint64_t search_from_bit,
                                              std::uint64_t search_until_bit) {
  const std::uint64_t first = gzip_deflate_start_bit(path);
  if (search_from_bit <= first)
    return first < search_until_bit ? std::optional(first) : std::nullopt;
  if (search_until_bit <= search_from_bit) return std::nullopt;
  CompressedSpan in(path, search_from_bit / 8, saturating_add(search_until_bit / 8, kReadSlack));
  std::vector<std::uint16_t> scratch;
  std::uint64_t from = search_from_bit - in.base_bit();
  const std::uint64_t until = search_until_bit - in.base_bit();
  for (;;) {
    const auto candidate = find_deflate_block(in.bytes(), from, until);
    if (!candidate) return std::nullopt;
    if (confirm(in, *candidate, scratch)) return in.base_bit() + *candidate;
    from = *candidate + 1;
  }
}

ChunkDecode decode_chunk(const std::string& path, std::uint64_t start_bit,
                         std::uint64_t stop_after_bit) {
  const std::uint64_t first = gzip_deflate_start_bit(path);
  if (start_bit < first) {
    throw InputError(path, start_bit / 8, "chunk start lies inside the gzip header");
  }
  ChunkDecode chunk;
  chunk.found = true;
  chunk.start_bit = start_bit;
  chunk.member_start = start_bit == first;
  CompressedSpan in(path, start_bit / 8, saturating_add(stop_after_bit / 8, kReadSlack));
  MarkerInflateOptions opts;
  opts.window_unknown = !chunk.member_start;
  opts.stop_after_bit = stop_after_bit >= in.base_bit() ? stop_after_bit - in.base_bit() : 0;
  std::uint64_t at = start_bit - in.base_bit();
  for (;;) {
    const MarkerInflateResult r = marker_inflate(in.bytes(), at, chunk.symbols, opts);
    chunk.blocks += r.blocks;
    if (r.status == MarkerInflateStatus::kInvalid) {
      throw InputError(path, (in.base_bit() + r.error_bit) / 8, chunk_error(r.error));
    }
    if (r.status == MarkerInflateStatus::kNeedInput) {
      if (in.at_eof()) {
        throw InputError(path, (in.base_bit() + r.end_bit) / 8,
                         "truncated gzip member (deflate stream ends inside a block)");
      }
      in.grow();
      at = r.end_bit;
      continue;
    }
    chunk.end_bit = in.base_bit() + r.end_bit;
    chunk.final_block = r.status == MarkerInflateStatus::kFinalBlock;
    break;
  }
  chunk.has_markers = has_markers(chunk.symbols);
  return chunk;
}

ChunkDecode decode_chunk_from(const std::string& path, std::uint64_t search_from_bit,
                              std::uint64_t stop_after_bit) {
  const auto start = find_chunk_start(path, search_from_bit, stop_after_bit);
  if (!start) return ChunkDecode{};
  return decode_chunk(path, *start, stop_after_bit);
}

ChunkedGzipDecode decode_gzip_in_chunks(const std::string& path,
                                        std::span<const std::uint64_t> cut_bytes) {
  ChunkedGzipDecode result;
  std::vector<std::uint64_t> cuts(cut_bytes.begin(), cut_bytes.end());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  result.chunk_starts.push_back(gzip_deflate_start_bit(path));
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const std::uint64_t until =
        i + 1 < cuts.size() ? cuts[i + 1] * 8 : std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t from = cuts[i] * 8;
    if (from <= result.chunk_starts.back()) continue;
    const auto start = find_chunk_start(path, from, until);
    if (start && *start > result.chunk_starts.back()) result.chunk_starts.push_back(*start);
  }

  const auto& starts = result.chunk_starts;
  std::vector<std::uint8_t>& out = result.bytes;
  std::vector<std::uint8_t> window;
  std::uint64_t end_bit = 0;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const bool last = k + 1 == starts.size();
    const std::uint64_t stop = last ? std::numeric_limits<std::uint64_t>::max() : starts[k + 1];
    ChunkDecode chunk = decode_chunk(path, starts[k], stop);
    if (!last && (chunk.final_block || chunk.end_bit != stop)) {
      throw InputError(path, stop / 8,
                       "chunk tiling mismatch: the chunk from bit " + std::to_string(starts[k]) +
                           " ends at bit " + std::to_string(chunk.end_bit) +
                           ", the next chunk starts at bit " + std::to_string(stop));
    }
    const std::size_t keep = std::min(out.size(), kWindowSize);
    window.assign(out.end() - static_cast<std::ptrdiff_t>(keep), out.end());
    try {
      resolve_markers(chunk.symbols, window, out);
    } catch (const Error& e) {
      throw InputError(path, starts[k] / 8, e.what());
    }
    end_bit = chunk.end_bit;
  }

  detail::FileInput in(path, 4096, (end_bit + 7) / 8);
  const std::uint64_t trailer_at = in.offset();
  const detail::GzipTrailer trailer = detail::read_gzip_trailer(in);
  detail::check_gzip_trailer(in, trailer_at, trailer, true,
                             detail::gzip_crc32(0, out.data(), out.size()), out.size());
  return result;
}

}  // namespace dumpmill::codec
