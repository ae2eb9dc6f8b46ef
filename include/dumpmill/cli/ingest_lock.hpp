// IngestLock: one `dumpmill ingest` at a time per warehouse (flock(2) on warehouse/ingest.lock).
#pragma once

#include <optional>
#include <string>

namespace dumpmill::cli {

// An exclusive flock(2) on a lock file, held while the object lives. flock rather than a pid
// file: the kernel drops the lock when the holder's descriptor goes away, including when the
// holder is SIGKILLed or crashes, so a dead run never blocks the next one and nobody has to
// guess whether a recorded pid is stale (pids are reused; a pid file on a shared file system
// names a process on another node). The holder writes its pid into the file only so that the
// refused caller can say who holds it. On NFS, Linux maps flock to NFS byte-range locks, which
// the server releases when the holder's client dies (its lease expires).
// Locks belong to the open file description: a second try_acquire in the same process fails
// too. The descriptor is close-on-exec, so processes started by the holder do not inherit it.
class IngestLock {
 public:
  // Never waits. Returns the lock, or nullopt when another open description holds it; then
  // `holder` (if given) gets the pid written by the holder, or "?" if it has not written one
  // yet. Creates the file (mode 0644) if missing. Throws OutputError if it cannot be opened.
  static std::optional<IngestLock> try_acquire(const std::string& path,
                                               std::string* holder = nullptr);

  IngestLock(IngestLock&& other) noexcept;
  IngestLock& operator=(IngestLock&& other) noexcept;
  IngestLock(const IngestLock&) = delete;
  IngestLock& operator=(const IngestLock&) = delete;
  ~IngestLock();  // releases (close); never throws

 private:
  explicit IngestLock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dumpmill::cli
