// Private to the codec stage: the DecodedReader implementations behind open_decoded().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "dumpmill/codec/decoded_reader.hpp"
#include "dumpmill/codec/gzip_index.hpp"

namespace dumpmill::detail {

// Base of the decompressing readers: serves read() from the span the last decode_more()
// returned, so the virtual decode call happens once per output buffer, never per record.
class BufferedDecodedReader : public codec::DecodedReader {
 public:
  std::size_t read(char* dst, std::size_t capacity) final;
  std::uint64_t position() const final { return position_; }

 protected:
  // Decodes the next piece of output; an empty span means the end of the decoded stream.
  virtual std::span<const std::uint8_t> decode_more() = 0;

  void set_position(std::uint64_t position) noexcept { position_ = position; }
  // Decodes and drops bytes up to `target`; when the stream ends first, the reader is at its
  // end with position() == target. Call at the end of the derived constructor.
  void skip_to(std::uint64_t target);

 private:
  const std::uint8_t* cur_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  std::uint64_t position_ = 0;
  bool ended_ = false;
};

std::unique_ptr<codec::DecodedReader> make_plain_reader(const std::string& path,
                                                        std::uint64_t start_offset,
                                                        std::size_t buffer_bytes);
std::unique_ptr<codec::DecodedReader> make_gzip_reader(const std::string& path,
                                                       std::uint64_t start_offset,
                                                       const codec::GzipIndex* index,
                                                       std::size_t buffer_bytes);
std::unique_ptr<codec::DecodedReader> make_zstd_reader(const std::string& path,
                                                       std::uint64_t start_offset,
                                                       std::size_t buffer_bytes);

}  // namespace dumpmill::detail
