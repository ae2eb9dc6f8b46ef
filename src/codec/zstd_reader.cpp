// DecodedReader over a zstd file of one or more frames (ZSTD_decompressStream), from the file
// start or from any frame start.
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "readers.hpp"

namespace dumpmill::detail {
namespace {

// Refill when fewer input bytes than this remain: zstd block headers are 3 bytes, frame
// headers <= 18, so any small number avoids tiny calls; 4 KiB keeps calls per MiB low.
constexpr std::size_t kMinFeed = 4096;

struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

class ZstdReader final : public BufferedDecodedReader {
 public:
  // Decoding starts at file offset compressed_offset: the file start or a frame start whose
  // first byte has decoded offset decoded_offset.
  ZstdReader(const std::string& path, std::uint64_t compressed_offset, std::uint64_t decoded_offset,
             std::uint64_t start_offset, std::size_t buffer_bytes)
      : in_(path, buffer_bytes / 4, compressed_offset),
        out_(buffer_bytes - buffer_bytes / 4),
        dctx_(ZSTD_createDCtx()) {
    if (!dctx_) throw std::bad_alloc();
    if (compressed_offset > in_.stat().size) {
      throw InputError(path, compressed_offset,
                       "zstd frame start lies past the end of the file (" +
                           std::to_string(in_.stat().size) + " bytes)");
    }
    set_position(decoded_offset);
    skip_to(start_offset);
  }

 protected:
  std::span<const std::uint8_t> decode_more() override {
    for (;;) {
      if (in_.available() < kMinFeed) in_.fill(in_.capacity());
      if (in_.available() == 0 && !output_was_full_) {
        if (in_.offset() == 0) throw InputError(in_.path(), 0, "empty file is not a zstd stream");
        if (frame_open_) throw InputError(in_.path(), in_.offset(), "truncated zstd frame");
        return {};
      }
      ZSTD_inBuffer ib{in_.data(), in_.available(), 0};
      ZSTD_outBuffer ob{out_.data(), out_.size(), 0};
      const std::size_t r = ZSTD_decompressStream(dctx_.get(), &ob, &ib);
      in_.consume(ib.pos);
      if (ZSTD_isError(r)) {
        throw InputError(in_.path(), in_.offset(),
                         std::string("corrupt zstd data (") + ZSTD_getErrorName(r) + ")");
      }
      // r == 0: a frame just ended and everything is flushed; otherwise more is expected.
      frame_open_ = r != 0;
      output_was_full_ = ob.pos == ob.size;
      if (ob.pos > 0) return {out_.data(), ob.pos};
      if (ib.pos == 0 && in_.available() > 0) {
        throw InputError(in_.path(), in_.offset(), "zstd decoder made no progress");
      }
    }
  }

 private:
  FileInput in_;
  std::vector<std::uint8_t> out_;
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx_;
  bool frame_open_ = false;
  bool output_was_full_ = false;
};

}  // namespace

std::unique_ptr<codec::DecodedReader> make_zstd_reader(const std::string& path,
                                                       std::uint64_t start_offset,
                                                       std::size_t buffer_bytes) {
  return std::make_unique<ZstdReader>(path, 0, 0, start_offset, buffer_bytes);
}

}  // namespace dumpmill::detail

namespace dumpmill::codec {

std::unique_ptr<DecodedReader> open_zstd_at_frame(const std::string& path,
                                                  std::uint64_t compressed_offset,
                                                  std::uint64_t decoded_offset,
                                                  std::uint64_t start_offset,
                                                  std::size_t buffer_bytes) {
  if (start_offset < decoded_offset) {
    throw Error(path + ": zstd reader asked to start at decoded offset " +
                std::to_string(start_offset) + ", before its frame's first byte (" +
                std::to_string(decoded_offset) + ")");
  }
  // Same clamp as open_decoded: ISA-L and zstd take 32-bit buffer lengths.
  buffer_bytes = std::clamp(buffer_bytes, kMinDecodeBufferBytes, std::size_t{1} << 30);
  return std::make_unique<detail::ZstdReader>(path, compressed_offset, decoded_offset, start_offset,
                                              buffer_bytes);
}

}  // namespace dumpmill::codec
