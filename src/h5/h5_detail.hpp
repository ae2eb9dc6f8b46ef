// Private helpers of the h5 stage: checked HDF5/MPI calls, error-stack capture, attributes.
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "dumpmill/h5/handle.hpp"
#include "dumpmill/h5/parallel_file.hpp"

namespace dumpmill::h5::detail {

// The file and object an operation concerns, for error messages.
struct Where {
  const std::string& path;
  std::string object;
};

// Turns off HDF5's automatic printing of its error stack to stderr (we put it in H5Error).
void silence_hdf5_errors() noexcept;

// Throws H5Error for `where` with HDF5's current error stack (innermost error first).
// Call immediately after the failing HDF5 call: the next API call clears the stack.
[[noreturn]] void throw_h5(const Where& where, std::string_view operation);

inline herr_t check(herr_t rc, const Where& where, std::string_view operation) {
  if (rc < 0) throw_h5(where, operation);
  return rc;
}

// Wraps a freshly returned identifier; throws (with the stack) if it is negative.
inline Handle make_handle(hid_t id, HandleKind kind, const Where& where,
                          std::string_view operation) {
  if (id < 0) throw_h5(where, operation);
  return Handle(id, kind);
}

// Throws H5Error with MPI_Error_string if rc != MPI_SUCCESS.
void check_mpi(int rc, const Where& where, std::string_view operation);

// 64-bit FNV-1a, chained through `seed`: cheap digest of arguments that must agree on all ranks.
std::uint64_t digest(std::string_view bytes, std::uint64_t seed = 14695981039346656037ULL) noexcept;

// COLLECTIVE argument check, one MPI_Allreduce of 3 words. Every rank passes `problem`
// (empty if its own arguments are fine) and a digest of the arguments that must be identical.
// Throws H5Error on every rank if any rank has a problem or the digests differ.
void agree(MPI_Comm comm, std::string_view problem, std::uint64_t args_digest, const Where& where,
           std::string_view operation);

std::uint64_t digest(std::string_view name, const AttributeValue& value) noexcept;

// Empty if `value` can be stored (strings must not contain NUL), else the reason.
std::string attribute_problem(const AttributeValue& value);

// Creates (replacing any existing) scalar attribute `name` on object `obj`.
void write_attribute(hid_t obj, std::string_view name, const AttributeValue& value,
                     const Where& where);

// Creates a 1-D attribute of variable-length UTF-8 strings (none may contain NUL).
void write_string_array_attribute(hid_t obj, std::string_view name,
                                  std::span<const std::string> values, const Where& where);

// A variable-length UTF-8 C string datatype.
Handle utf8_string_type(const Where& where);

}  // namespace dumpmill::h5::detail
