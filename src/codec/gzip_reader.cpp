// DecodedReader over gzip (single- or multi-member) with ISA-L, optionally from an index
// checkpoint.
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "gzip_format.hpp"
#include "readers.hpp"

namespace dumpmill::detail {
namespace {

// Refill the input window when fewer bytes remain: ISA-L's fast path wants >= 8 bytes per
// load and a dynamic block header is up to ~300 bytes; 4 KiB makes short feeds rare.
constexpr std::size_t kMinFeed = 4096;

std::string isal_error(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return "corrupt deflate data (invalid block)";
    case ISAL_INVALID_SYMBOL:
      return "corrupt deflate data (invalid symbol)";
    case ISAL_INVALID_LOOKBACK:
      return "corrupt deflate data (invalid back-reference distance)";
    default:
      return "corrupt deflate data (ISA-L error " + std::to_string(ret) + ")";
  }
}

class GzipReader final : public BufferedDecodedReader {
 public:
  GzipReader(const std::string& path, std::uint64_t start_offset, const codec::GzipIndex* index,
             std::size_t buffer_bytes)
      : in_(path, buffer_bytes / 4),
        out_(buffer_bytes - buffer_bytes / 4),
        state_(std::make_unique<inflate_state>()) {
    if (index != nullptr) start_at_checkpoint(*index, start_offset);
    skip_to(start_offset);
  }

 protected:
  std::span<const std::uint8_t> decode_more() override {
    for (;;) {
      if (phase_ == Phase::kEnd) return {};
      if (phase_ == Phase::kMemberStart) {
        start_member();
        continue;
      }
      const std::size_t produced = inflate_some();
      if (produced > 0) return {out_.data(), produced};
    }
  }

 private:
  enum class Phase { kMemberStart, kDeflate, kEnd };

  void start_at_checkpoint(const codec::GzipIndex& index, std::uint64_t start_offset) {
    if (index.points.empty() || index.file_size != in_.stat().size) {
      throw InputError(in_.path(), std::nullopt,
                       "gzip index does not belong to this file (size differs)");
    }
    // The index may be a subset of a built one (the plan ships each range only its own
    // checkpoint and member start): with no point at or before start_offset, start at byte 0.
    const auto& pts = index.points;
    const auto it = std::upper_bound(
        pts.begin(), pts.end(), start_offset,
        [](std::uint64_t v, const codec::GzipCheckpoint& p) { return v < p.out_offset; });
    if (it == pts.begin()) return;
    const codec::GzipCheckpoint& cp = *std::prev(it);
    set_position(cp.out_offset);
    in_.seek(cp.in_bit_offset / 8);
    if (cp.member_start) {
      phase_ = Phase::kMemberStart;
      return;
    }
    // ISIZE of this member is still checkable when its member-start point is in the index.
    const auto member = std::find_if(std::make_reverse_iterator(it), pts.rend(),
                                     [](const codec::GzipCheckpoint& p) { return p.member_start; });
    member_size_known_ = member != pts.rend();
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_DEFLATE;
    if (!cp.window.empty()) {
      // isal_inflate_set_dict copies the dictionary; the non-const pointer is an API wart.
      std::vector<std::uint8_t> dict(cp.window);
      if (isal_inflate_set_dict(state_.get(), dict.data(),
                                static_cast<std::uint32_t>(dict.size())) != COMP_OK) {
        throw InputError(in_.path(), cp.in_bit_offset / 8, "cannot set inflate window");
      }
    }
    if (const auto bits = static_cast<unsigned>(cp.in_bit_offset % 8); bits != 0) {
      // The block starts inside this byte: hand ISA-L its remaining high bits.
      const std::uint8_t b = in_.next_byte("gzip stream at index checkpoint");
      state_->read_in = static_cast<std::uint64_t>(b >> bits);
      state_->read_in_length = static_cast<std::int32_t>(8 - bits);
    }
    verify_crc_ = false;
    member_out_ = member_size_known_ ? cp.out_offset - member->out_offset : 0;
    member_required_ = false;
    phase_ = Phase::kDeflate;
  }

  void start_member() {
    if (probe_member(in_, member_required_) == MemberBoundary::kEnd) {
      phase_ = Phase::kEnd;
      return;
    }
    member_required_ = false;
    read_gzip_header(in_);
    isal_inflate_reset(state_.get());
    state_->crc_flag = ISAL_DEFLATE;  // we check the CRC ourselves: trailers are ours to parse
    verify_crc_ = true;
    member_size_known_ = true;
    crc_ = 0;
    member_out_ = 0;
    phase_ = Phase::kDeflate;
  }

  // One isal_inflate call; returns the bytes it wrote to out_.
  std::size_t inflate_some() {
    if (in_.available() < kMinFeed) in_.fill(in_.capacity());
    const auto avail = static_cast<std::uint32_t>(
        std::min<std::size_t>(in_.available(), std::numeric_limits<std::uint32_t>::max()));
    state_->next_in = in_.data();
    state_->avail_in = avail;
    state_->next_out = out_.data();
    state_->avail_out = static_cast<std::uint32_t>(out_.size());
    const int ret = isal_inflate(state_.get());
    const std::size_t consumed = avail - state_->avail_in;
    const std::size_t produced = out_.size() - state_->avail_out;
    in_.consume(consumed);
    if (ret < 0) throw InputError(in_.path(), in_.offset(), isal_error(ret));
    if (verify_crc_) crc_ = gzip_crc32(crc_, out_.data(), produced);
    member_out_ += produced;

    if (state_->block_state == ISAL_BLOCK_FINISH) {
      // ISA-L may have pulled whole bytes past the final block into its bit buffer; they are
      // the trailer. FileInput keeps 16 bytes behind its cursor, so this seek stays in memory.
      const auto unread = static_cast<std::uint64_t>(std::max(state_->read_in_length, 0) / 8);
      in_.seek(in_.offset() - unread);
      const std::uint64_t trailer_at = in_.offset();
      const GzipTrailer t = read_gzip_trailer(in_);
      check_gzip_trailer(in_, trailer_at, t, verify_crc_, crc_, member_out_, member_size_known_);
      phase_ = Phase::kMemberStart;
    } else if (consumed == 0 && produced == 0) {
      if (in_.at_end()) throw InputError(in_.path(), in_.offset(), "truncated gzip member");
      in_.fill(in_.available() + 1);
    }
    return produced;
  }

  FileInput in_;
  std::vector<std::uint8_t> out_;
  std::unique_ptr<inflate_state> state_;  // ~90 KiB: heap, not stack
  Phase phase_ = Phase::kMemberStart;
  bool member_required_ = true;  // a header must follow (file start, member checkpoint)
  bool verify_crc_ = true;       // false after a mid-member checkpoint
  std::uint32_t crc_ = 0;
  bool member_size_known_ = true;  // false after a checkpoint whose member start is unknown
  std::uint64_t member_out_ = 0;   // decoded bytes of the current member, for ISIZE
};

}  // namespace

std::unique_ptr<codec::DecodedReader> make_gzip_reader(const std::string& path,
                                                       std::uint64_t start_offset,
                                                       const codec::GzipIndex* index,
                                                       std::size_t buffer_bytes) {
  return std::make_unique<GzipReader>(path, start_offset, index, buffer_bytes);
}

}  // namespace dumpmill::detail
