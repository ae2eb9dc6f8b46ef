// use_libdeflate_for_deflate: serve HDF5's standard deflate filter (ID 1) with libdeflate.
#pragma once

#include <cstddef>

namespace dumpmill::h5 {

// Makes libdeflate serve HDF5's H5Z_FILTER_DEFLATE in this process, in place of HDF5's zlib
// filter. Datasets made with H5Pset_deflate are then compressed with libdeflate_zlib_compress
// at the same level and read with libdeflate_zlib_decompress. Both sides are standard zlib
// streams under the same filter ID and cd_values, so the files are the same format: h5py,
// h5dump, Julia, MATLAB, any stock HDF5 reads them with zlib. Nothing about the choice is
// stored in the file.
//
// HDF5's public H5Zregister refuses to replace predefined filters (IDs < 256), so this uses
// HDF5's internal H5Z_register, exported by libhdf5.so and found with dlsym. Returns true if
// libdeflate now serves deflate; false (HDF5's zlib filter stays, files are still correct,
// only slower) if this HDF5 does not export H5Z_register or registration failed.
//
// Registers once per process (later calls return the first result); thread-safe.
// ParallelFile::create calls it, so every rank of a collective write uses it.
bool use_libdeflate_for_deflate() noexcept;

// Whether libdeflate serves deflate in this process now.
bool libdeflate_serves_deflate() noexcept;

namespace detail {

// The H5Z_func_t registered by use_libdeflate_for_deflate, exposed for unit tests and the
// benchmark. Contract of H5Z_func_t: on success `*buf` (HDF5-allocated, `*buf_size` bytes,
// the first `nbytes` valid) is freed with H5free_memory and replaced by a buffer from
// H5allocate_memory whose size goes to `*buf_size`; returns the valid byte count of the new
// buffer. On failure returns 0 with `*buf` and `*buf_size` unchanged and the reason pushed
// on HDF5's error stack. cd_values must be {level 0-9}, exactly as H5Pset_deflate stores
// it (HDF5's zlib filter rejects anything else too).
// A failed read fails the H5Dread. A failed write does not fail the H5Dwrite: H5Pset_deflate
// marks deflate H5Z_FLAG_OPTIONAL, so HDF5 stores that chunk uncompressed and flags it in
// the chunk's filter mask, which every reader honours (as with HDF5's zlib filter).
std::size_t libdeflate_filter(unsigned flags, std::size_t cd_nelmts, const unsigned cd_values[],
                              std::size_t nbytes, std::size_t* buf_size, void** buf) noexcept;

// For tests and benchmarks that compare the two: registers libdeflate's filter (true) or puts
// HDF5's built-in zlib one back (false; its class, exported as H5Z_DEFLATE). Returns false
// if this HDF5 does not allow it. Call use_libdeflate_for_deflate() first, or its one-time
// registration (in the next ParallelFile::create) will undo a choice of zlib.
bool select_deflate(bool libdeflate) noexcept;

}  // namespace detail
}  // namespace dumpmill::h5
