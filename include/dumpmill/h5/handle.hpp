// Handle: a move-only owner of one HDF5 identifier, closed with the H5*close call of its kind.
#pragma once

#include <hdf5.h>

#include <cstdint>

namespace dumpmill::h5 {

// Which H5*close releases an identifier (an hid_t does not say which kind it is cheaply).
enum class HandleKind : std::uint8_t {
  kFile,          // H5Fclose
  kGroup,         // H5Gclose
  kDataset,       // H5Dclose
  kDataspace,     // H5Sclose
  kDatatype,      // H5Tclose
  kAttribute,     // H5Aclose
  kPropertyList,  // H5Pclose
  kObject,        // H5Oclose: any group, dataset or named datatype opened with H5Oopen
};

// Owns one hid_t. The destructor closes it and ignores failure (destructors never throw);
// code that must know whether the close worked (a file's final flush) calls close().
class Handle {
 public:
  Handle() noexcept = default;
  // Takes ownership of `id` (which may be negative = "no object", then nothing is closed).
  Handle(hid_t id, HandleKind kind) noexcept : id_(id), kind_(kind) {}
  ~Handle() { static_cast<void>(close()); }

  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_), kind_(other.kind_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  HandleKind kind() const noexcept { return kind_; }

  // Closes now; returns the H5*close result (negative on failure, 0 if there was nothing to
  // close). The handle is empty afterwards either way: HDF5 never retries a failed close.
  herr_t close() noexcept;

 private:
  hid_t id_ = -1;
  HandleKind kind_ = HandleKind::kPropertyList;
};

}  // namespace dumpmill::h5
