// Creating, annotating and closing an HDF5 file with the MPI-IO driver.
#include "dumpmill/h5/parallel_file.hpp"

#include <utility>

#include "dumpmill/h5/deflate_filter.hpp"
#include "dumpmill/h5/h5_error.hpp"
#include "h5_detail.hpp"

namespace dumpmill::h5 {
namespace {

void set_root_attribute(ParallelFile& file, std::string_view name, const AttributeValue& value) {
  const detail::Where where{file.path(), "/"};
  if (!file.is_open()) throw H5Error(file.path(), "/", "set_attribute on a closed file");
  detail::agree(file.comm(), detail::attribute_problem(value), detail::digest(name, value), where,
                "set_attribute");
  detail::write_attribute(file.id(), name, value, where);
}

}  // namespace

ParallelFile::ParallelFile(Handle file, MPI_Comm comm, std::string path)
    : file_(std::move(file)), comm_(comm), path_(std::move(path)) {}

ParallelFile ParallelFile::create(const std::string& path, MPI_Comm comm) {
  detail::silence_hdf5_errors();
  // Deflate via libdeflate (about 2x zlib, same file format). If this HDF5 cannot take the
  // replacement, its zlib filter writes the same format, only slower: nothing to report.
  static_cast<void>(use_libdeflate_for_deflate());
  const detail::Where where{path, "/"};
  Handle fapl = detail::make_handle(H5Pcreate(H5P_FILE_ACCESS), HandleKind::kPropertyList, where,
                                    "H5Pcreate(file access)");
  detail::check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), where, "H5Pset_fapl_mpio");
  detail::check(H5Pset_all_coll_metadata_ops(fapl.get(), true), where,
                "H5Pset_all_coll_metadata_ops");
  detail::check(H5Pset_coll_metadata_write(fapl.get(), true), where, "H5Pset_coll_metadata_write");
  Handle file =
      detail::make_handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                          HandleKind::kFile, where, "H5Fcreate (create/truncate for writing)");
  return ParallelFile(std::move(file), comm, path);
}

void ParallelFile::set_attribute(std::string_view name, std::uint64_t value) {
  set_root_attribute(*this, name, value);
}
void ParallelFile::set_attribute(std::string_view name, std::int64_t value) {
  set_root_attribute(*this, name, value);
}
void ParallelFile::set_attribute(std::string_view name, double value) {
  set_root_attribute(*this, name, value);
}
void ParallelFile::set_attribute(std::string_view name, std::string_view value) {
  set_root_attribute(*this, name, value);
}

void ParallelFile::close() {
  if (!file_.valid()) return;
  const detail::Where where{path_, "/"};
  // H5Fclose flushes the metadata cache and closes the MPI file: this is where a full disk
  // or an I/O error on the last writes shows up.
  detail::check(file_.close(), where, "H5Fclose (final flush)");
}

}  // namespace dumpmill::h5
