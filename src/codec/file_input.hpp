// Private to the codec stage: a read-only file with one bounded, refillable input window.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dumpmill::detail {

// Size and modification time of a file, as the index records them.
struct FileStat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// stat(2) of `path`; throws InputError naming the path when it cannot be read.
FileStat stat_file(const std::string& path);

// Owns a read-only descriptor. Move-only; closes on destruction (never throws).
class FileDescriptor {
 public:
  FileDescriptor() = default;
  // Opens `path` read-only; throws InputError naming the path on failure.
  explicit FileDescriptor(const std::string& path);
  ~FileDescriptor();
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const noexcept { return fd_; }
  // fstat of the open file (same inode the reads see); throws InputError.
  FileStat stat(const std::string& path) const;

 private:
  int fd_ = -1;
};

// pread(2) until `n` bytes or end of file; returns the count. Retries EINTR and short reads;
// throws InputError(path, offset, strerror) on an I/O error.
std::size_t pread_full(int fd, const std::string& path, void* dst, std::size_t n,
                       std::uint64_t offset);

// A cursor over a file through one buffer of fixed capacity. Bytes before the cursor stay
// addressable for kKeepBehind bytes after a refill, because a decoder that read ahead
// (ISA-L buffers up to 8 bytes in its bit buffer) must be able to step back to the true end
// of a deflate stream.
class FileInput {
 public:
  static constexpr std::size_t kKeepBehind = 16;

  FileInput(const std::string& path, std::size_t capacity, std::uint64_t start_offset = 0);

  const std::string& path() const noexcept { return path_; }
  const FileStat& stat() const noexcept { return stat_; }
  std::size_t capacity() const noexcept { return buf_.size(); }

  // Absolute file offset of the next unconsumed byte.
  std::uint64_t offset() const noexcept { return base_ + pos_; }
  // Unconsumed bytes in the window (non-const: zlib and ISA-L take non-const next_in).
  std::uint8_t* data() noexcept { return buf_.data() + pos_; }
  std::size_t available() const noexcept { return len_ - pos_; }
  void consume(std::size_t n) noexcept { pos_ += n; }
  // True once every byte of the file has been consumed.
  bool at_end() const noexcept { return eof_ && pos_ == len_; }

  // Makes at least min(want, capacity - kKeepBehind) bytes available unless the file ends
  // first; when it reads, it fills the whole buffer (one large pread instead of many small).
  // Returns available().
  std::size_t fill(std::size_t want);

  // Moves the cursor to an absolute offset; stays inside the window when it can.
  void seek(std::uint64_t offset);

  // Consumes and returns one byte; throws InputError("truncated: <what>") at end of file.
  std::uint8_t next_byte(const char* what);

 private:
  std::string path_;
  FileDescriptor fd_;
  FileStat stat_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t base_ = 0;  // file offset of buf_[0]
  std::size_t pos_ = 0;     // cursor inside buf_
  std::size_t len_ = 0;     // valid bytes in buf_
  bool eof_ = false;        // a read hit the end of the file: nothing after buf_[len_)
};

}  // namespace dumpmill::detail
