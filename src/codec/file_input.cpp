// Bounded, refillable file input shared by the codec stage's readers and the index builder.
#include "file_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::detail {
namespace {

FileStat from_stat(const struct stat& st) {
  FileStat s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
               static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  return s;
}

}  // namespace

FileStat stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(path, std::nullopt, std::string("cannot stat: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(path, std::nullopt, "is a directory");
  return from_stat(st);
}

FileDescriptor::FileDescriptor(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    throw InputError(path, std::nullopt, std::string("cannot open: ") + std::strerror(errno));
  }
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileStat FileDescriptor::stat(const std::string& path) const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    throw InputError(path, std::nullopt, std::string("cannot stat: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(path, std::nullopt, "is a directory");
  return from_stat(st);
}

std::size_t pread_full(int fd, const std::string& path, void* dst, std::size_t n,
                       std::uint64_t offset) {
  auto* out = static_cast<char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(path, offset + done, std::string("read failed: ") + std::strerror(errno));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

FileInput::FileInput(const std::string& path, std::size_t capacity, std::uint64_t start_offset)
    : path_(path),
      fd_(path),
      stat_(fd_.stat(path)),
      buf_(std::max<std::size_t>(capacity, 4 * kKeepBehind)),
      base_(start_offset) {
  // Every reader here walks the file front to back; the kernel doubles its read-ahead.
  (void)::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
}

std::size_t FileInput::fill(std::size_t want) {
  want = std::min(want, buf_.size() - kKeepBehind);
  if (available() >= want || eof_) return available();
  if (pos_ > kKeepBehind) {
    const std::size_t drop = pos_ - kKeepBehind;
    std::memmove(buf_.data(), buf_.data() + drop, len_ - drop);
    base_ += drop;
    pos_ -= drop;
    len_ -= drop;
  }
  const std::size_t room = buf_.size() - len_;
  const std::size_t got = pread_full(fd_.get(), path_, buf_.data() + len_, room, base_ + len_);
  len_ += got;
  if (got < room) eof_ = true;
  return available();
}

void FileInput::seek(std::uint64_t offset) {
  if (offset >= base_ && offset <= base_ + len_) {
    pos_ = static_cast<std::size_t>(offset - base_);
    return;
  }
  base_ = offset;
  pos_ = 0;
  len_ = 0;
  eof_ = false;
}

std::uint8_t FileInput::next_byte(const char* what) {
  if (fill(1) == 0) throw InputError(path_, offset(), std::string("truncated ") + what);
  const std::uint8_t b = buf_[pos_];
  ++pos_;
  return b;
}

}  // namespace dumpmill::detail
