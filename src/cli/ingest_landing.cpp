// Listing, identifying and naming the inputs of a landing directory.
#include "dumpmill/cli/ingest_landing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {
namespace fs = std::filesystem;

namespace {

// 1 MiB reads: XXH3 hashes far faster than any disk delivers, so the block size only has to
// amortise the read syscalls.
constexpr std::size_t kHashBlock = 1 << 20;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_input_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && !ends_with(name, ".tmp") &&
         !ends_with(name, ".part") && !ends_with(name, ".dmidx");
}

std::int64_t nanoseconds(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Closes a descriptor on every path out of file_checksum.
struct ScopedFd {
  int fd;
  explicit ScopedFd(int f) : fd(f) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

FileStat stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path, std::nullopt, std::string("cannot stat: ") + std::strerror(errno));
  FileStat s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = nanoseconds(st.st_mtim);
  s.ctime_ns = nanoseconds(st.st_ctim);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  return s;
}

std::vector<LandingFile> list_landing(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ConfigError("--landing " + dir + ": not a directory");
  std::vector<LandingFile> files;
  fs::directory_iterator it(dir, ec);
  if (ec) throw ConfigError("--landing " + dir + ": cannot list: " + ec.message());
  for (const fs::directory_entry& e : it) {
    const std::string name = e.path().filename().string();
    if (!is_input_name(name) || !e.is_regular_file(ec)) continue;
    LandingFile f;
    f.name = name;
    f.path = e.path().string();
    f.stat = stat_file(f.path);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const LandingFile& a, const LandingFile& b) { return a.name < b.name; });
  return files;
}

std::string file_checksum(const std::string& path) {
  const ScopedFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const int fd = file.fd;
  if (fd < 0)
    throw InputError(path, std::nullopt, std::string("cannot open: ") + std::strerror(errno));
  const std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                       &XXH3_freeState);
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK)
    throw InputError(path, std::nullopt, "cannot allocate a hash state");
  std::vector<char> buf(kHashBlock);
  std::uint64_t offset = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(path, offset, std::string("read failed: ") + std::strerror(errno));
    }
    if (got == 0) break;
    XXH3_64bits_update(state.get(), buf.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(state.get())));
  return hex;
}

std::string result_stem(std::string_view name) {
  for (std::string_view suffix : {".gz", ".zst", ".zstd", ".bz2", ".xz"})
    if (ends_with(name, suffix) && name.size() > suffix.size()) {
      name.remove_suffix(suffix.size());
      break;
    }
  for (std::string_view suffix : {".tsv", ".csv", ".txt", ".jsonl", ".json"})
    if (ends_with(name, suffix) && name.size() > suffix.size()) {
      name.remove_suffix(suffix.size());
      break;
    }
  return std::string(name);
}

}  // namespace dumpmill::cli
