// DecodedReader over an uncompressed file: pread through one buffer, or straight into the
// caller's buffer when it is at least as large.
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "file_input.hpp"
#include "readers.hpp"

namespace dumpmill::detail {
namespace {

class PlainReader final : public codec::DecodedReader {
 public:
  PlainReader(const std::string& path, std::uint64_t start_offset, std::size_t buffer_bytes)
      : path_(path),
        fd_(path),
        buf_(buffer_bytes),
        file_pos_(start_offset),
        position_(start_offset) {
    (void)fd_.stat(path);  // rejects directories here rather than at the first read
    (void)::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  }

  std::size_t read(char* dst, std::size_t capacity) override {
    std::size_t n = 0;
    while (n < capacity) {
      if (cur_ == len_) {
        if (eof_) break;
        if (capacity - n >= buf_.size()) {
          // A large request skips the copy through buf_.
          const std::size_t want = capacity - n;
          const std::size_t got = pread_full(fd_.get(), path_, dst + n, want, file_pos_);
          file_pos_ += got;
          n += got;
          if (got < want) eof_ = true;
          break;
        }
        cur_ = 0;
        len_ = pread_full(fd_.get(), path_, buf_.data(), buf_.size(), file_pos_);
        file_pos_ += len_;
        if (len_ < buf_.size()) eof_ = true;
        if (len_ == 0) break;
      }
      const std::size_t take = std::min(capacity - n, len_ - cur_);
      std::memcpy(dst + n, buf_.data() + cur_, take);
      cur_ += take;
      n += take;
    }
    position_ += n;
    return n;
  }

  std::uint64_t position() const override { return position_; }

 private:
  std::string path_;
  FileDescriptor fd_;
  std::vector<char> buf_;
  std::size_t cur_ = 0;
  std::size_t len_ = 0;
  std::uint64_t file_pos_;  // file offset of the byte after buf_[len_)
  std::uint64_t position_;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<codec::DecodedReader> make_plain_reader(const std::string& path,
                                                        std::uint64_t start_offset,
                                                        std::size_t buffer_bytes) {
  return std::make_unique<PlainReader>(path, start_offset, buffer_bytes);
}

}  // namespace dumpmill::detail
