// Serial, slice-wise reading of a table written by TableWriter (default sec2 driver).
#include "dumpmill/h5/table_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "dumpmill/h5/deflate_filter.hpp"
#include "dumpmill/h5/h5_error.hpp"
#include "h5_detail.hpp"

namespace dumpmill::h5 {
namespace {

constexpr std::string_view kBytesSuffix = ".bytes";
constexpr std::string_view kOffsetsSuffix = ".offsets";
// Per open dataset: room for two chunks so a read that straddles a chunk boundary keeps the
// first chunk decompressed for the next batch; never below HDF5's own 1 MiB default.
constexpr std::size_t kMinChunkCacheBytes = std::size_t{1} << 20;
constexpr std::size_t kChunkCacheSlots = 521;   // HDF5's default; a prime, few chunks are live
constexpr double kChunkCachePreemption = 0.75;  // HDF5's default

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

herr_t collect_link_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                         void* client) {
  static_cast<std::vector<std::string>*>(client)->emplace_back(name);
  return 0;
}

// Reads a string-typed attribute or dataset-less value of `type` from `attr`.
std::string read_string_attribute(hid_t attr, hid_t type, const detail::Where& where) {
  Handle mem_type = detail::make_handle(H5Tcopy(type), HandleKind::kDatatype, where, "H5Tcopy");
  const htri_t variable = H5Tis_variable_str(type);
  detail::check(variable, where, "H5Tis_variable_str");
  if (variable > 0) {
    char* text = nullptr;
    detail::check(H5Aread(attr, mem_type.get(), &text), where, "H5Aread");
    std::string out = text != nullptr ? std::string(text) : std::string();
    H5free_memory(text);
    return out;
  }
  const std::size_t size = H5Tget_size(type);
  if (size == 0) detail::throw_h5(where, "H5Tget_size");
  std::string out(size, '\0');
  detail::check(H5Aread(attr, mem_type.get(), out.data()), where, "H5Aread");
  out.resize(std::strlen(out.c_str()));  // fixed-length strings are NUL- or space-padded
  return out;
}

}  // namespace

TableReader::TableReader(std::string path, std::string group)
    : path_(std::move(path)), group_(std::move(group)) {
  detail::silence_hdf5_errors();
  use_libdeflate_for_deflate();  // same zlib streams, inflated ~2x faster
  const detail::Where where{path_, group_};
  file_ = detail::make_handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                              HandleKind::kFile, detail::Where{path_, "/"}, "H5Fopen (read-only)");
  group_id_ = detail::make_handle(H5Gopen2(file_.get(), group_.c_str(), H5P_DEFAULT),
                                  HandleKind::kGroup, where, "H5Gopen2");
  rows_ = attribute_u64("rows");

  // List links in creation order when the group tracks it (TableWriter's groups do).
  Handle gcpl = detail::make_handle(H5Gget_create_plist(group_id_.get()), HandleKind::kPropertyList,
                                    where, "H5Gget_create_plist");
  unsigned order_flags = 0;
  detail::check(H5Pget_link_creation_order(gcpl.get(), &order_flags), where,
                "H5Pget_link_creation_order");
  const H5_index_t index =
      (order_flags & H5P_CRT_ORDER_INDEXED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> links;
  detail::check(H5Literate(group_id_.get(), index, H5_ITER_INC, nullptr, collect_link_name, &links),
                where, "H5Literate");

  auto has_link = [&links](const std::string& name) {
    return std::find(links.begin(), links.end(), name) != links.end();
  };
  for (const std::string& name : links) {
    const detail::Where at{path_, group_ + "/" + name};
    Handle object = detail::make_handle(H5Oopen(group_id_.get(), name.c_str(), H5P_DEFAULT),
                                        HandleKind::kObject, at, "H5Oopen");
    if (H5Iget_type(object.get()) != H5I_DATASET) continue;  // only datasets are columns
    if (ends_with(name, kOffsetsSuffix)) continue;           // listed with its ".bytes" partner
    if (ends_with(name, kBytesSuffix)) {
      const std::string base = name.substr(0, name.size() - kBytesSuffix.size());
      if (has_link(base + std::string(kOffsetsSuffix))) {
        columns_.push_back({base, ColumnKind::kString});
      }
      continue;
    }
    Handle type =
        detail::make_handle(H5Dget_type(object.get()), HandleKind::kDatatype, at, "H5Dget_type");
    const H5T_class_t type_class = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    if (type_class == H5T_INTEGER) {
      const H5T_sign_t sign = H5Tget_sign(type.get());
      if (sign == H5T_SGN_NONE && size == 1) {
        const htri_t dict = H5Aexists(object.get(), "dictionary");
        detail::check(dict, at, "H5Aexists");
        columns_.push_back({name, dict > 0 ? ColumnKind::kDictionary : ColumnKind::kU8});
      } else if (sign == H5T_SGN_NONE && size == 4) {
        columns_.push_back({name, ColumnKind::kU32});
      } else if (sign == H5T_SGN_NONE && size == 8) {
        columns_.push_back({name, ColumnKind::kU64});
      } else if (sign == H5T_SGN_2 && size == 8) {
        columns_.push_back({name, ColumnKind::kI64});
      }
    } else if (type_class == H5T_FLOAT && size == 8) {
      columns_.push_back({name, ColumnKind::kF64});
    }
    // Datasets of other types were not written by TableWriter; they are not listed.
  }
}

std::vector<std::string> TableReader::columns() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const ColumnInfo& c : columns_) names.push_back(c.name);
  return names;
}

bool TableReader::has_column(std::string_view column) const {
  return std::any_of(columns_.begin(), columns_.end(),
                     [column](const ColumnInfo& c) { return c.name == column; });
}

const TableReader::ColumnInfo& TableReader::info(std::string_view column) const {
  for (const ColumnInfo& c : columns_) {
    if (c.name == column) return c;
  }
  throw H5Error(path_, group_ + "/" + std::string(column), "no such column");
}

ColumnKind TableReader::kind(std::string_view column) const { return info(column).kind; }

hid_t TableReader::dataset(const std::string& name) {
  if (const auto it = open_datasets_.find(name); it != open_datasets_.end()) {
    return it->second.get();
  }
  const detail::Where where{path_, group_ + "/" + name};
  std::size_t cache_bytes = kMinChunkCacheBytes;
  {
    Handle probe = detail::make_handle(H5Dopen2(group_id_.get(), name.c_str(), H5P_DEFAULT),
                                       HandleKind::kDataset, where, "H5Dopen2");
    Handle dcpl = detail::make_handle(H5Dget_create_plist(probe.get()), HandleKind::kPropertyList,
                                      where, "H5Dget_create_plist");
    if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
      hsize_t chunk[1] = {0};
      detail::check(H5Pget_chunk(dcpl.get(), 1, chunk), where, "H5Pget_chunk");
      Handle type = detail::make_handle(H5Dget_type(probe.get()), HandleKind::kDatatype, where,
                                        "H5Dget_type");
      cache_bytes = std::max<std::size_t>(cache_bytes, 2 * chunk[0] * H5Tget_size(type.get()));
    }
  }
  Handle dapl = detail::make_handle(H5Pcreate(H5P_DATASET_ACCESS), HandleKind::kPropertyList, where,
                                    "H5Pcreate(dataset access)");
  detail::check(
      H5Pset_chunk_cache(dapl.get(), kChunkCacheSlots, cache_bytes, kChunkCachePreemption), where,
      "H5Pset_chunk_cache");
  Handle ds = detail::make_handle(H5Dopen2(group_id_.get(), name.c_str(), dapl.get()),
                                  HandleKind::kDataset, where, "H5Dopen2");
  const hid_t id = ds.get();
  open_datasets_.emplace(name, std::move(ds));
  return id;
}

namespace {

// Reads elements [first, first + count) of a 1-D dataset into `out` as `mem_type`.
void read_slice(hid_t dataset, hid_t mem_type, std::uint64_t first, std::uint64_t count, void* out,
                const detail::Where& where) {
  Handle file_space =
      detail::make_handle(H5Dget_space(dataset), HandleKind::kDataspace, where, "H5Dget_space");
  hsize_t length = 0;
  if (H5Sget_simple_extent_ndims(file_space.get()) != 1) {
    throw H5Error(where.path, where.object, "not a 1-D dataset");
  }
  detail::check(H5Sget_simple_extent_dims(file_space.get(), &length, nullptr), where,
                "H5Sget_simple_extent_dims");
  if (first > length || count > length - first) {
    throw H5Error(where.path, where.object,
                  "elements [" + std::to_string(first) + ", " + std::to_string(first + count) +
                      ") are outside the dataset of " + std::to_string(length));
  }
  if (count == 0) return;
  const hsize_t start[1] = {first};
  const hsize_t n[1] = {count};
  detail::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr),
                where, "H5Sselect_hyperslab");
  Handle mem_space = detail::make_handle(H5Screate_simple(1, n, nullptr), HandleKind::kDataspace,
                                         where, "H5Screate_simple");
  detail::check(H5Dread(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out),
                where, "H5Dread");
}

}  // namespace

void TableReader::read_numeric(std::string_view column, std::uint64_t first_row,
                               std::uint64_t count, hid_t mem_type, void* out,
                               std::span<const ColumnKind> accepted) {
  const ColumnInfo& c = info(column);
  const detail::Where where{path_, group_ + "/" + c.name};
  if (std::find(accepted.begin(), accepted.end(), c.kind) == accepted.end()) {
    throw H5Error(path_, where.object, "column type cannot be read exactly as the requested type");
  }
  if (first_row > rows_ || count > rows_ - first_row) {
    throw H5Error(path_, where.object,
                  "rows [" + std::to_string(first_row) + ", " + std::to_string(first_row + count) +
                      ") are outside the table of " + std::to_string(rows_) + " rows");
  }
  read_slice(dataset(c.name), mem_type, first_row, count, out, where);
}

void TableReader::read_u64(std::string_view column, std::uint64_t first_row,
                           std::span<std::uint64_t> out) {
  static constexpr std::array kAccepted{ColumnKind::kU64, ColumnKind::kU32, ColumnKind::kU8,
                                        ColumnKind::kDictionary};
  read_numeric(column, first_row, out.size(), H5T_NATIVE_UINT64, out.data(), kAccepted);
}

void TableReader::read_i64(std::string_view column, std::uint64_t first_row,
                           std::span<std::int64_t> out) {
  static constexpr std::array kAccepted{ColumnKind::kI64, ColumnKind::kU32, ColumnKind::kU8};
  read_numeric(column, first_row, out.size(), H5T_NATIVE_INT64, out.data(), kAccepted);
}

void TableReader::read_f64(std::string_view column, std::uint64_t first_row,
                           std::span<double> out) {
  static constexpr std::array kAccepted{ColumnKind::kF64};
  read_numeric(column, first_row, out.size(), H5T_NATIVE_DOUBLE, out.data(), kAccepted);
}

void TableReader::read_u32(std::string_view column, std::uint64_t first_row,
                           std::span<std::uint32_t> out) {
  static constexpr std::array kAccepted{ColumnKind::kU32, ColumnKind::kU8};
  read_numeric(column, first_row, out.size(), H5T_NATIVE_UINT32, out.data(), kAccepted);
}

void TableReader::read_u8(std::string_view column, std::uint64_t first_row,
                          std::span<std::uint8_t> out) {
  static constexpr std::array kAccepted{ColumnKind::kU8, ColumnKind::kDictionary};
  read_numeric(column, first_row, out.size(), H5T_NATIVE_UINT8, out.data(), kAccepted);
}

void TableReader::read_strings(std::string_view column, std::uint64_t first_row,
                               std::uint64_t count, StringSlice& out) {
  const ColumnInfo& c = info(column);
  const std::string offsets_name = c.name + std::string(kOffsetsSuffix);
  const std::string bytes_name = c.name + std::string(kBytesSuffix);
  const detail::Where where{path_, group_ + "/" + offsets_name};
  if (c.kind != ColumnKind::kString) {
    throw H5Error(path_, group_ + "/" + c.name, "not a string column");
  }
  if (first_row > rows_ || count > rows_ - first_row) {
    throw H5Error(path_, group_ + "/" + c.name,
                  "rows [" + std::to_string(first_row) + ", " + std::to_string(first_row + count) +
                      ") are outside the table of " + std::to_string(rows_) + " rows");
  }
  out.offsets_.resize(count + 1);
  read_slice(dataset(offsets_name), H5T_NATIVE_UINT64, first_row, count + 1, out.offsets_.data(),
             where);
  const std::uint64_t begin = out.offsets_.front();
  for (std::size_t i = 1; i < out.offsets_.size(); ++i) {
    if (out.offsets_[i] < out.offsets_[i - 1]) {
      throw H5Error(path_, where.object,
                    "corrupt offsets: decreasing at row " + std::to_string(first_row + i));
    }
    out.offsets_[i - 1] -= begin;
  }
  out.offsets_.back() -= begin;
  out.bytes_.resize(out.offsets_.back());
  // read_slice checks the byte range against the ".bytes" length (corrupt offsets -> error).
  read_slice(dataset(bytes_name), H5T_NATIVE_UINT8, begin, out.offsets_.back(), out.bytes_.data(),
             detail::Where{path_, group_ + "/" + bytes_name});
}

void TableReader::read_strings(std::string_view column, std::uint64_t first_row,
                               std::uint64_t count, std::vector<std::string>& out) {
  StringSlice slice;
  read_strings(column, first_row, count, slice);
  out.clear();
  out.reserve(slice.size());
  for (std::size_t i = 0; i < slice.size(); ++i) out.emplace_back(slice[i]);
}

std::vector<std::string> TableReader::dictionary(std::string_view column) {
  const ColumnInfo& c = info(column);
  const detail::Where where{path_, group_ + "/" + c.name + " attribute 'dictionary'"};
  if (c.kind != ColumnKind::kDictionary) {
    throw H5Error(path_, group_ + "/" + c.name, "not a dictionary column");
  }
  Handle attr = detail::make_handle(H5Aopen(dataset(c.name), "dictionary", H5P_DEFAULT),
                                    HandleKind::kAttribute, where, "H5Aopen");
  Handle type =
      detail::make_handle(H5Aget_type(attr.get()), HandleKind::kDatatype, where, "H5Aget_type");
  Handle space =
      detail::make_handle(H5Aget_space(attr.get()), HandleKind::kDataspace, where, "H5Aget_space");
  if (H5Tget_class(type.get()) != H5T_STRING) {
    throw H5Error(path_, where.object, "not a string attribute");
  }
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) detail::throw_h5(where, "H5Sget_simple_extent_npoints");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  Handle mem_type =
      detail::make_handle(H5Tcopy(type.get()), HandleKind::kDatatype, where, "H5Tcopy");
  const htri_t variable = H5Tis_variable_str(type.get());
  detail::check(variable, where, "H5Tis_variable_str");
  if (variable > 0) {
    std::vector<char*> pointers(static_cast<std::size_t>(n), nullptr);
    if (n > 0) {
      detail::check(H5Aread(attr.get(), mem_type.get(), pointers.data()), where, "H5Aread");
      for (char* p : pointers) out.emplace_back(p != nullptr ? p : "");
      detail::check(H5Dvlen_reclaim(mem_type.get(), space.get(), H5P_DEFAULT, pointers.data()),
                    where, "H5Dvlen_reclaim");
    }
  } else {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buffer(size * static_cast<std::size_t>(n) + 1, '\0');
    if (n > 0) detail::check(H5Aread(attr.get(), mem_type.get(), buffer.data()), where, "H5Aread");
    for (hssize_t i = 0; i < n; ++i) {
      const char* p = buffer.data() + static_cast<std::size_t>(i) * size;
      out.emplace_back(p, strnlen(p, size));
    }
  }
  return out;
}

hid_t TableReader::scope_id(AttributeScope scope) const noexcept {
  return scope == AttributeScope::kRoot ? file_.get() : group_id_.get();
}

namespace {

const char* scope_object(AttributeScope scope) {
  return scope == AttributeScope::kRoot ? "/" : ".";
}

// Opens attribute `name` of the group or the root; checks it holds exactly one value of
// `expected` class.
Handle open_attribute(hid_t loc, AttributeScope scope, std::string_view name, H5T_class_t expected,
                      const detail::Where& where) {
  const std::string attr_name(name);
  Handle attr = detail::make_handle(
      H5Aopen_by_name(loc, scope_object(scope), attr_name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
      HandleKind::kAttribute, where, "H5Aopen_by_name");
  Handle type =
      detail::make_handle(H5Aget_type(attr.get()), HandleKind::kDatatype, where, "H5Aget_type");
  Handle space =
      detail::make_handle(H5Aget_space(attr.get()), HandleKind::kDataspace, where, "H5Aget_space");
  if (H5Tget_class(type.get()) != expected) {
    throw H5Error(where.path, where.object, "attribute has another type class than requested");
  }
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw H5Error(where.path, where.object, "attribute is not a single value");
  }
  return attr;
}

}  // namespace

bool TableReader::has_attribute(std::string_view name, AttributeScope scope) const {
  const std::string attr_name(name);
  const detail::Where where{path_, scope == AttributeScope::kRoot ? "/" : group_};
  const htri_t exists =
      H5Aexists_by_name(scope_id(scope), scope_object(scope), attr_name.c_str(), H5P_DEFAULT);
  detail::check(exists, where, "H5Aexists_by_name");
  return exists > 0;
}

std::uint64_t TableReader::attribute_u64(std::string_view name, AttributeScope scope) const {
  const detail::Where where{path_, (scope == AttributeScope::kRoot ? std::string("/") : group_) +
                                       " attribute '" + std::string(name) + "'"};
  Handle attr = open_attribute(scope_id(scope), scope, name, H5T_INTEGER, where);
  std::uint64_t value = 0;
  detail::check(H5Aread(attr.get(), H5T_NATIVE_UINT64, &value), where, "H5Aread");
  return value;
}

std::int64_t TableReader::attribute_i64(std::string_view name, AttributeScope scope) const {
  const detail::Where where{path_, (scope == AttributeScope::kRoot ? std::string("/") : group_) +
                                       " attribute '" + std::string(name) + "'"};
  Handle attr = open_attribute(scope_id(scope), scope, name, H5T_INTEGER, where);
  std::int64_t value = 0;
  detail::check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), where, "H5Aread");
  return value;
}

double TableReader::attribute_f64(std::string_view name, AttributeScope scope) const {
  const detail::Where where{path_, (scope == AttributeScope::kRoot ? std::string("/") : group_) +
                                       " attribute '" + std::string(name) + "'"};
  Handle attr = open_attribute(scope_id(scope), scope, name, H5T_FLOAT, where);
  double value = 0;
  detail::check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), where, "H5Aread");
  return value;
}

std::string TableReader::attribute_string(std::string_view name, AttributeScope scope) const {
  const detail::Where where{path_, (scope == AttributeScope::kRoot ? std::string("/") : group_) +
                                       " attribute '" + std::string(name) + "'"};
  Handle attr = open_attribute(scope_id(scope), scope, name, H5T_STRING, where);
  Handle type =
      detail::make_handle(H5Aget_type(attr.get()), HandleKind::kDatatype, where, "H5Aget_type");
  return read_string_attribute(attr.get(), type.get(), where);
}

}  // namespace dumpmill::h5
