// H5Error: an HDF5 call failed; the message names the file, the object and HDF5's own error stack.
#pragma once

#include <string>

#include "dumpmill/core/error.hpp"

namespace dumpmill::h5 {

// Thrown by every h5 function whose HDF5 (or MPI, for collectives) call fails. what() reads
//   "<path>: <object>: <operation> failed: <innermost HDF5 error> <- ... <- <API call>"
// so one line tells a user which file, which group/dataset/attribute, and why.
class H5Error : public OutputError {
 public:
  H5Error(const std::string& path, const std::string& object, const std::string& message);
  const std::string& path() const noexcept { return path_; }
  const std::string& object() const noexcept { return object_; }

 private:
  std::string path_;
  std::string object_;
};

}  // namespace dumpmill::h5
