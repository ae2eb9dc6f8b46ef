// Message formatting of H5Error.
#include "dumpmill/h5/h5_error.hpp"

namespace dumpmill::h5 {

H5Error::H5Error(const std::string& path, const std::string& object, const std::string& message)
    : OutputError(path + ": " + (object.empty() ? std::string("/") : object) + ": " + message),
      path_(path),
      object_(object) {}

}  // namespace dumpmill::h5
