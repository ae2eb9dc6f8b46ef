// The warehouse lock of `dumpmill ingest`: flock(2), released by the kernel when the holder dies.
#include "dumpmill/cli/ingest_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {

std::optional<IngestLock> IngestLock::try_acquire(const std::string& path, std::string* holder) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path + ": cannot open the lock file: " + std::strerror(errno));
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK && holder) {
      char buf[32] = {};
      const ssize_t got = ::pread(fd, buf, sizeof buf - 1, 0);
      std::string pid(buf, got > 0 ? static_cast<std::size_t>(got) : 0);
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      *holder = pid.empty() ? "?" : pid;
    }
    ::close(fd);
    if (err == EWOULDBLOCK) return std::nullopt;
    throw OutputError(path + ": cannot lock: " + std::strerror(err));
  }
  IngestLock lock(fd);
  // Who holds it, for the refused caller's message. A failure here does not weaken the lock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    const ssize_t wrote = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)wrote;
  }
  return lock;
}

IngestLock::IngestLock(IngestLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

IngestLock& IngestLock::operator=(IngestLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

IngestLock::~IngestLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace dumpmill::cli
