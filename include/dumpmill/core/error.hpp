// Run-ending faults: every subclass carries what a user needs to find the cause.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace dumpmill {

// Base of every run-ending fault. A bad *record* is never an Error: it is a value
// (see parse/reject.hpp). The top of main() turns an Error into one line and exit code.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = 1)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// Bad command line or job file (exit code 2, like most Unix tools for usage errors).
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what, 2) {}
};

// An input file that cannot be opened, read, or decoded. Names the file and,
// where known, the byte offset (in the compressed file) where it went wrong.
class InputError : public Error {
 public:
  InputError(const std::string& path, std::optional<std::uint64_t> offset,
             const std::string& reason);
  const std::string& path() const noexcept { return path_; }
  std::optional<std::uint64_t> offset() const noexcept { return offset_; }

 private:
  std::string path_;
  std::optional<std::uint64_t> offset_;
};

// Writing results failed (disk full, permission, HDF5 or SQL error).
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& what) : Error(what, 3) {}
};

// An MPI call returned an error code.
class MpiError : public Error {
 public:
  explicit MpiError(const std::string& what) : Error(what, 4) {}
};

}  // namespace dumpmill
