// Closing HDF5 identifiers by kind.
#include "dumpmill/h5/handle.hpp"

#include <utility>

namespace dumpmill::h5 {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    static_cast<void>(close());
    id_ = std::exchange(other.id_, -1);
    kind_ = other.kind_;
  }
  return *this;
}

herr_t Handle::close() noexcept {
  if (id_ < 0) return 0;
  const hid_t id = std::exchange(id_, -1);
  switch (kind_) {
    case HandleKind::kFile:
      return H5Fclose(id);
    case HandleKind::kGroup:
      return H5Gclose(id);
    case HandleKind::kDataset:
      return H5Dclose(id);
    case HandleKind::kDataspace:
      return H5Sclose(id);
    case HandleKind::kDatatype:
      return H5Tclose(id);
    case HandleKind::kAttribute:
      return H5Aclose(id);
    case HandleKind::kPropertyList:
      return H5Pclose(id);
    case HandleKind::kObject:
      return H5Oclose(id);
  }
  return -1;
}

}  // namespace dumpmill::h5
