// Collective writing of one table: a group of equal-length, chunked, deflated 1-D datasets.
#include "dumpmill/h5/table_writer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "dumpmill/h5/h5_error.hpp"
#include "h5_detail.hpp"

namespace dumpmill::h5 {
namespace {

constexpr std::string_view kBytesSuffix = ".bytes";
constexpr std::string_view kOffsetsSuffix = ".offsets";
// A uint8 code indexes the dictionary.
constexpr std::size_t kMaxDictionarySize = 256;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string column_name_problem(std::string_view column) {
  if (column.empty()) return "empty column name";
  if (column.find('/') != std::string_view::npos) return "column name contains '/'";
  if (column.find('\0') != std::string_view::npos) return "column name contains a NUL byte";
  if (ends_with(column, kBytesSuffix) || ends_with(column, kOffsetsSuffix)) {
    return "column name ends in \".bytes\" or \".offsets\" (reserved for string columns)";
  }
  return {};
}

std::string count_problem(std::size_t got, std::uint64_t expected) {
  if (got == expected) return {};
  return "got " + std::to_string(got) + " values for " + std::to_string(expected) + " local rows";
}

std::uint64_t exscan_sum(MPI_Comm comm, std::uint64_t local, const detail::Where& where) {
  std::uint64_t before = 0;
  detail::check_mpi(MPI_Exscan(&local, &before, 1, MPI_UINT64_T, MPI_SUM, comm), where,
                    "MPI_Exscan");
  int rank = 0;
  detail::check_mpi(MPI_Comm_rank(comm, &rank), where, "MPI_Comm_rank");
  return rank == 0 ? 0 : before;  // MPI_Exscan leaves rank 0's result undefined
}

std::uint64_t allreduce_sum(MPI_Comm comm, std::uint64_t local, const detail::Where& where) {
  std::uint64_t total = 0;
  detail::check_mpi(MPI_Allreduce(&local, &total, 1, MPI_UINT64_T, MPI_SUM, comm), where,
                    "MPI_Allreduce");
  return total;
}

}  // namespace

struct TableWriter::ColumnSpec {
  std::string dataset;  // name inside the group
  hid_t file_type;
  hid_t mem_type;
  std::size_t element_size;
  bool shuffle;
  std::uint64_t global_length;
  std::uint64_t first;  // this rank's first element
  std::span<const std::string> dictionary;
  bool has_dictionary = false;
};

TableWriter::TableWriter(ParallelFile& file, std::string group, std::uint64_t local_rows,
                         WriterOptions options)
    : file_(&file), group_(std::move(group)), options_(options), local_rows_(local_rows) {
  detail::silence_hdf5_errors();
  const detail::Where where{file_->path(), group_};
  std::string problem;
  if (!file_->is_open()) problem = "file is closed";
  if (group_.empty() || group_.find('\0') != std::string::npos) problem = "bad group name";
  if (options_.chunk_bytes == 0) problem = "chunk_bytes is 0";
  if (options_.deflate_level < 0 || options_.deflate_level > 9) problem = "deflate_level not 0-9";
  std::uint64_t args = detail::digest(group_);
  args = detail::digest(std::string_view(reinterpret_cast<const char*>(&options_.chunk_bytes),
                                         sizeof options_.chunk_bytes),
                        args) ^
         (static_cast<std::uint64_t>(options_.deflate_level) << 1) ^
         static_cast<std::uint64_t>(options_.shuffle_integers);
  detail::agree(file_->comm(), problem, args, where, "TableWriter");

  row_offset_ = exscan_sum(file_->comm(), local_rows_, where);
  global_rows_ = allreduce_sum(file_->comm(), local_rows_, where);

  Handle lcpl = detail::make_handle(H5Pcreate(H5P_LINK_CREATE), HandleKind::kPropertyList, where,
                                    "H5Pcreate(link create)");
  detail::check(H5Pset_create_intermediate_group(lcpl.get(), 1), where,
                "H5Pset_create_intermediate_group");
  // Track creation order so readers list columns in the order they were written.
  Handle gcpl = detail::make_handle(H5Pcreate(H5P_GROUP_CREATE), HandleKind::kPropertyList, where,
                                    "H5Pcreate(group create)");
  detail::check(
      H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
      "H5Pset_link_creation_order");
  Handle g = detail::make_handle(
      H5Gcreate2(file_->id(), group_.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT),
      HandleKind::kGroup, where, "H5Gcreate2");
  detail::write_attribute(g.get(), "rows", global_rows_, where);
  detail::check(g.close(), where, "H5Gclose");
}

void TableWriter::write_column(const ColumnSpec& spec, const void* data,
                               std::uint64_t local_count) {
  const detail::Where where{file_->path(), group_ + "/" + spec.dataset};
  Handle group = detail::make_handle(H5Gopen2(file_->id(), group_.c_str(), H5P_DEFAULT),
                                     HandleKind::kGroup, where, "H5Gopen2");
  const hsize_t dims[1] = {spec.global_length};
  Handle file_space = detail::make_handle(H5Screate_simple(1, dims, nullptr),
                                          HandleKind::kDataspace, where, "H5Screate_simple");
  Handle dcpl = detail::make_handle(H5Pcreate(H5P_DATASET_CREATE), HandleKind::kPropertyList, where,
                                    "H5Pcreate(dataset create)");
  // Every element is written right away: filling chunks first would double the I/O.
  detail::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), where, "H5Pset_fill_time");
  if (spec.global_length > 0) {
    // A 0-length dataset stays contiguous: a chunk cannot be larger than a fixed extent.
    const hsize_t chunk[1] = {
        std::clamp<std::uint64_t>(options_.chunk_bytes / spec.element_size, 1, spec.global_length)};
    detail::check(H5Pset_chunk(dcpl.get(), 1, chunk), where, "H5Pset_chunk");
    if (spec.shuffle) detail::check(H5Pset_shuffle(dcpl.get()), where, "H5Pset_shuffle");
    if (options_.deflate_level > 0) {
      detail::check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options_.deflate_level)),
                    where, "H5Pset_deflate");
    }
  }
  Handle dataset =
      detail::make_handle(H5Dcreate2(group.get(), spec.dataset.c_str(), spec.file_type,
                                     file_space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          HandleKind::kDataset, where, "H5Dcreate2");
  if (spec.has_dictionary) {
    detail::write_string_array_attribute(dataset.get(), "dictionary", spec.dictionary, where);
  }

  last_io_mode_ = H5D_MPIO_NO_COLLECTIVE;
  if (spec.global_length > 0) {
    const hsize_t count[1] = {local_count};
    Handle mem_space = detail::make_handle(H5Screate_simple(1, count, nullptr),
                                           HandleKind::kDataspace, where, "H5Screate_simple");
    if (local_count > 0) {
      const hsize_t start[1] = {spec.first};
      detail::check(
          H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          where, "H5Sselect_hyperslab");
    } else {
      // No rows here, but the write is collective: take part with empty selections.
      detail::check(H5Sselect_none(file_space.get()), where, "H5Sselect_none");
      detail::check(H5Sselect_none(mem_space.get()), where, "H5Sselect_none");
    }
    Handle dxpl = detail::make_handle(H5Pcreate(H5P_DATASET_XFER), HandleKind::kPropertyList, where,
                                      "H5Pcreate(dataset transfer)");
    // HDF5 1.10 cannot write filtered datasets independently.
    detail::check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), where, "H5Pset_dxpl_mpio");
    static constexpr std::uint64_t kNoData = 0;  // HDF5 rejects a null buffer
    detail::check(H5Dwrite(dataset.get(), spec.mem_type, mem_space.get(), file_space.get(),
                           dxpl.get(), data != nullptr ? data : &kNoData),
                  where, "H5Dwrite (collective)");
    detail::check(H5Pget_mpio_actual_io_mode(dxpl.get(), &last_io_mode_), where,
                  "H5Pget_mpio_actual_io_mode");
  }
  detail::check(dataset.close(), where, "H5Dclose");
  detail::check(group.close(), where, "H5Gclose");
}

void TableWriter::write_fixed(std::string_view column, const void* data, std::size_t count,
                              hid_t file_type, hid_t mem_type, std::size_t element_size,
                              bool integer) {
  const detail::Where where{file_->path(), group_ + "/" + std::string(column)};
  std::string problem = column_name_problem(column);
  if (problem.empty()) problem = count_problem(count, local_rows_);
  // The element size and kind tell the types apart in the cross-rank digest.
  const std::uint64_t args = detail::digest(column) ^ (element_size << 1) ^ (integer ? 1U : 0U);
  detail::agree(file_->comm(), problem, args, where, "write column");
  const ColumnSpec spec{std::string(column),
                        file_type,
                        mem_type,
                        element_size,
                        integer && options_.shuffle_integers,
                        global_rows_,
                        row_offset_,
                        {}};
  write_column(spec, data, count);
}

void TableWriter::write_u64(std::string_view column, std::span<const std::uint64_t> values) {
  write_fixed(column, values.data(), values.size(), H5T_STD_U64LE, H5T_NATIVE_UINT64,
              sizeof(std::uint64_t), true);
}

void TableWriter::write_i64(std::string_view column, std::span<const std::int64_t> values) {
  write_fixed(column, values.data(), values.size(), H5T_STD_I64LE, H5T_NATIVE_INT64,
              sizeof(std::int64_t), true);
}

void TableWriter::write_f64(std::string_view column, std::span<const double> values) {
  write_fixed(column, values.data(), values.size(), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
              sizeof(double), false);
}

void TableWriter::write_u32(std::string_view column, std::span<const std::uint32_t> values) {
  write_fixed(column, values.data(), values.size(), H5T_STD_U32LE, H5T_NATIVE_UINT32,
              sizeof(std::uint32_t), true);
}

void TableWriter::write_u8(std::string_view column, std::span<const std::uint8_t> values) {
  // Shuffling single bytes is a no-op; skip the filter.
  write_fixed(column, values.data(), values.size(), H5T_STD_U8LE, H5T_NATIVE_UINT8,
              sizeof(std::uint8_t), false);
}

void TableWriter::write_strings(std::string_view column, std::span<const std::string_view> values) {
  const detail::Where where{file_->path(), group_ + "/" + std::string(column)};
  std::string problem = column_name_problem(column);
  if (problem.empty()) problem = count_problem(values.size(), local_rows_);
  detail::agree(file_->comm(), problem, detail::digest(column) ^ 0x5354ULL, where,
                "write string column");

  int rank = 0;
  int ranks = 1;
  detail::check_mpi(MPI_Comm_rank(file_->comm(), &rank), where, "MPI_Comm_rank");
  detail::check_mpi(MPI_Comm_size(file_->comm(), &ranks), where, "MPI_Comm_size");
  const bool last_rank = rank == ranks - 1;

  std::uint64_t local_bytes = 0;
  for (const std::string_view v : values) local_bytes += v.size();
  const std::uint64_t byte_offset = exscan_sum(file_->comm(), local_bytes, where);
  const std::uint64_t global_bytes = allreduce_sum(file_->comm(), local_bytes, where);

  // The last rank also writes offsets[rows] = total bytes, so the dataset has rows + 1 entries.
  std::vector<std::uint64_t> offsets(values.size() + (last_rank ? 1 : 0));
  std::vector<std::uint8_t> bytes(local_bytes);
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    offsets[i] = byte_offset + at;
    if (!values[i].empty()) std::memcpy(bytes.data() + at, values[i].data(), values[i].size());
    at += values[i].size();
  }
  if (last_rank) offsets.back() = byte_offset + at;

  const std::string name(column);
  write_column(ColumnSpec{name + std::string(kBytesSuffix),
                          H5T_STD_U8LE,
                          H5T_NATIVE_UINT8,
                          1,
                          false,
                          global_bytes,
                          byte_offset,
                          {}},
               bytes.data(), bytes.size());
  write_column(ColumnSpec{name + std::string(kOffsetsSuffix),
                          H5T_STD_U64LE,
                          H5T_NATIVE_UINT64,
                          sizeof(std::uint64_t),
                          options_.shuffle_integers,
                          global_rows_ + 1,
                          row_offset_,
                          {}},
               offsets.data(), offsets.size());
}

void TableWriter::write_dictionary(std::string_view column, std::span<const std::uint8_t> codes,
                                   std::span<const std::string> dictionary) {
  const detail::Where where{file_->path(), group_ + "/" + std::string(column)};
  std::string problem = column_name_problem(column);
  if (problem.empty()) problem = count_problem(codes.size(), local_rows_);
  if (problem.empty() && dictionary.size() > kMaxDictionarySize) {
    problem = "dictionary has " + std::to_string(dictionary.size()) + " entries (max 256)";
  }
  std::uint64_t args = detail::digest(column) ^ 0x4449ULL;
  for (const std::string& entry : dictionary) {
    if (problem.empty() && entry.find('\0') != std::string::npos) {
      problem = "dictionary entry contains a NUL byte";
    }
    const std::uint64_t size = entry.size();
    args =
        detail::digest(std::string_view(reinterpret_cast<const char*>(&size), sizeof size), args);
    args = detail::digest(entry, args);
  }
  for (std::size_t i = 0; problem.empty() && i < dictionary.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (dictionary[i] == dictionary[j]) {
        problem = "dictionary entry '" + dictionary[i] + "' appears twice";
        break;
      }
    }
  }
  if (problem.empty()) {
    const auto bad = std::find_if(codes.begin(), codes.end(),
                                  [&](std::uint8_t c) { return c >= dictionary.size(); });
    if (bad != codes.end()) {
      problem = "code " + std::to_string(*bad) + " at local row " +
                std::to_string(bad - codes.begin()) + " is outside the dictionary of " +
                std::to_string(dictionary.size()) + " entries";
    }
  }
  detail::agree(file_->comm(), problem, args, where, "write dictionary column");
  ColumnSpec spec{std::string(column), H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, false,
                  global_rows_,        row_offset_,  dictionary};
  spec.has_dictionary = true;
  write_column(spec, codes.data(), codes.size());
}

void TableWriter::set_group_attribute(std::string_view name, const AttributeValue& value) {
  const detail::Where where{file_->path(), group_};
  std::string problem = detail::attribute_problem(value);
  if (name == "rows") problem = "\"rows\" is set by the writer";
  detail::agree(file_->comm(), problem, detail::digest(name, value), where, "set_attribute");
  Handle group = detail::make_handle(H5Gopen2(file_->id(), group_.c_str(), H5P_DEFAULT),
                                     HandleKind::kGroup, where, "H5Gopen2");
  detail::write_attribute(group.get(), name, value, where);
  detail::check(group.close(), where, "H5Gclose");
}

void TableWriter::set_attribute(std::string_view name, std::uint64_t value) {
  set_group_attribute(name, value);
}
void TableWriter::set_attribute(std::string_view name, std::int64_t value) {
  set_group_attribute(name, value);
}
void TableWriter::set_attribute(std::string_view name, double value) {
  set_group_attribute(name, value);
}
void TableWriter::set_attribute(std::string_view name, std::string_view value) {
  set_group_attribute(name, value);
}

}  // namespace dumpmill::h5
