// The warehouse lock: exclusive, names its holder, and freed by the kernel when the holder dies.
#include "dumpmill/cli/ingest_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

namespace dumpmill::cli {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir(const char* name) {
  const fs::path d = fs::temp_directory_path() /
                     ("dumpmill-" + std::string(name) + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(IngestLock, ExclusiveUntilReleasedAndNamesTheHolder) {
  const fs::path dir = temp_dir("lock");
  const std::string path = (dir / "ingest.lock").string();
  std::string holder;
  {
    std::optional<IngestLock> first = IngestLock::try_acquire(path, &holder);
    ASSERT_TRUE(first.has_value());
    // A second open description, even in the same process, is refused and told who holds it.
    EXPECT_FALSE(IngestLock::try_acquire(path, &holder).has_value());
    EXPECT_EQ(holder, std::to_string(::getpid()));
    IngestLock moved = std::move(*first);  // moving keeps the lock
    first.reset();
    EXPECT_FALSE(IngestLock::try_acquire(path).has_value());
  }
  EXPECT_TRUE(IngestLock::try_acquire(path).has_value()) << "released when the holder is destroyed";
  fs::remove_all(dir);
}

TEST(IngestLock, FreedWhenTheHolderIsKilled) {
  const fs::path dir = temp_dir("lock-kill");
  const std::string path = (dir / "ingest.lock").string();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::optional<IngestLock> lock = IngestLock::try_acquire(path);
    const char ok = lock ? '1' : '0';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(2);
    for (;;) ::pause();  // holds the lock until SIGKILLed
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, '1');
  std::string holder;
  EXPECT_FALSE(IngestLock::try_acquire(path, &holder).has_value());
  EXPECT_EQ(holder, std::to_string(child)) << "the refused caller names the live holder";
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  // No clean-up ran in the child: the kernel dropped the flock with its descriptors.
  EXPECT_TRUE(IngestLock::try_acquire(path).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dumpmill::cli
