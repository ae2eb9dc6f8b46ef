// Positions a decoded stream one byte before a range's start, restoring gzip checkpoints.
#include "dumpmill/plan/range_reader.hpp"

#include "dumpmill/codec/open_decoded.hpp"

namespace dumpmill::plan {
namespace {

// Owns the one-checkpoint index the codec reader starts from, and optionally serves one byte
// (the last byte of the checkpoint's window, i.e. decoded byte begin - 1) before the stream.
class CheckpointReader final : public codec::DecodedReader {
 public:
  CheckpointReader(const InputFile& file, const codec::GzipCheckpoint& start,
                   const std::optional<codec::GzipCheckpoint>& member, std::uint64_t offset,
                   std::size_t buffer_bytes) {
    index_.file_size = file.size;
    index_.file_mtime_ns = file.mtime_ns;
    index_.fingerprint = file.fingerprint;
    index_.decoded_size = file.decoded_size;
    if (member) index_.points.push_back(*member);
    index_.points.push_back(start);
    if (start.out_offset == offset + 1 && !start.window.empty()) {
      prefix_ = static_cast<char>(start.window.back());
      has_prefix_ = true;
      position_ = offset;
      inner_ = codec::open_decoded(file.path, file.codec, offset + 1, &index_, buffer_bytes);
    } else {
      inner_ = codec::open_decoded(file.path, file.codec, offset, &index_, buffer_bytes);
    }
  }

  std::size_t read(char* dst, std::size_t capacity) override {
    if (capacity == 0) return 0;
    if (has_prefix_) {
      dst[0] = prefix_;
      has_prefix_ = false;
      return 1;
    }
    return inner_->read(dst, capacity);
  }

  std::uint64_t position() const override { return has_prefix_ ? position_ : inner_->position(); }

 private:
  codec::GzipIndex index_;
  std::unique_ptr<codec::DecodedReader> inner_;
  char prefix_ = 0;
  bool has_prefix_ = false;
  std::uint64_t position_ = 0;
};

}  // namespace

std::unique_ptr<codec::DecodedReader> open_range(const InputFile& file, const WorkRange& range,
                                                 std::size_t buffer_bytes) {
  const std::uint64_t offset = range.begin == 0 ? 0 : range.begin - 1;
  if (file.codec == codec::Codec::kZstd && range.start && range.begin > 0) {
    return codec::open_zstd_at_frame(file.path, range.start->in_bit_offset / 8,
                                     range.start->out_offset, offset, buffer_bytes);
  }
  if (range.start && range.begin > 0)
    return std::make_unique<CheckpointReader>(file, *range.start, range.member, offset,
                                              buffer_bytes);
  return codec::open_decoded(file.path, file.codec, offset, nullptr, buffer_bytes);
}

}  // namespace dumpmill::plan
