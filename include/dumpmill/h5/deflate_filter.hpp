// use_libdeflate_for_deflate: serve HDF5's standard deflate filter (ID 1) with libdeflate.
#pragma once

#include <cstddef>

namespace dumpmill::h5 {

// Registers, once per process, a libdeflate implementation of H5Z_FILTER_DEFLATE in place of
// HDF5's zlib one (H5Zregister replaces a registered ID). Datasets made with H5Pset_deflate
// are then compressed with libdeflate_zlib_compress at the same level and decompressed with
// libdeflate_zlib_decompress. Both read and write standard zlib streams with the same
// cd_values, so the files are byte-for-byte the same format: h5py, h5dump, Julia, MATLAB,
// any stock HDF5 read them with zlib. Only this process changes; nothing is stored.
//
// Idempotent and safe to call from several threads (std::call_once); ParallelFile::create
// calls it, so every rank of a collective write uses it. Throws H5Error (with HDF5's error
// stack) if H5Zregister fails; a later call then tries again.
void use_libdeflate_for_deflate();

namespace detail {

// The H5Z_func_t registered by use_libdeflate_for_deflate, exposed for unit tests and the
// benchmark. Contract of H5Z_func_t: `*buf` (HDF5-allocated, `*buf_size` bytes, the first
// `nbytes` valid) is replaced by a buffer from H5allocate_memory and freed with
// H5free_memory; returns the valid byte count of the new buffer, or 0 on failure with
// `*buf` and `*buf_size` unchanged and the reason pushed on HDF5's error stack.
// cd_values must be {level 0-9}, exactly as H5Pset_deflate stores it (HDF5's zlib filter
// rejects anything else, so the two agree on which datasets are valid).
std::size_t libdeflate_filter(unsigned flags, std::size_t cd_nelmts, const unsigned cd_values[],
                              std::size_t nbytes, std::size_t* buf_size, void** buf) noexcept;

}  // namespace detail
}  // namespace dumpmill::h5
