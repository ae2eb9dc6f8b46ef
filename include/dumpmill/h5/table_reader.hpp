// TableReader: serial, bounded-memory reading of one table written by TableWriter.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/h5/handle.hpp"

namespace dumpmill::h5 {

// What a logical column holds (a string column is two datasets; see table_writer.hpp).
enum class ColumnKind : std::uint8_t { kU8, kU32, kU64, kI64, kF64, kString, kDictionary };

// Where an attribute lives: on the table's group, or on the file root (where the driver puts
// dumpmill_version, job, created_utc, inputs and the accounting).
enum class AttributeScope : std::uint8_t { kGroup, kRoot };

// A slice of a string column: one byte buffer plus offsets, reused between reads so reading
// a batch allocates nothing once the buffers have grown. Views die with the next read.
class StringSlice {
 public:
  std::size_t size() const noexcept { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  std::string_view operator[](std::size_t i) const noexcept {
    return {bytes_.data() + offsets_[i], static_cast<std::size_t>(offsets_[i + 1] - offsets_[i])};
  }

 private:
  friend class TableReader;
  std::vector<char> bytes_;
  std::vector<std::uint64_t> offsets_;  // size() + 1 entries, rebased so offsets_[0] == 0
};

// Opens `path` read-only with the default (sec2) driver: any single process, e.g. rank 0
// after ParallelFile::close(). Reads only the requested row slices; each open column keeps
// a chunk cache of two chunks (min 1 MiB) so batch-wise sequential reads decompress each
// chunk once. Every failure throws H5Error naming the file and the object.
// Not thread-safe (neither is the HDF5 build it links).
class TableReader {
 public:
  TableReader(std::string path, std::string group);

  TableReader(TableReader&&) noexcept = default;
  TableReader& operator=(TableReader&&) noexcept = default;
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;
  ~TableReader() = default;

  // Global row count (the group's "rows" attribute).
  std::uint64_t rows() const noexcept { return rows_; }
  // Logical column names in write order; a string column appears once (without the suffix).
  std::vector<std::string> columns() const;
  bool has_column(std::string_view column) const;
  // Throws H5Error if there is no such column.
  ColumnKind kind(std::string_view column) const;

  // Reads out.size() rows starting at `first_row`; throws H5Error if the slice is out of range
  // or the column cannot be converted exactly: read_u64 accepts u8/u32/u64 (and dictionary
  // codes), read_u32 u8/u32, read_u8 u8 and dictionary codes, read_i64 i64/u8/u32,
  // read_f64 f64 only.
  void read_u64(std::string_view column, std::uint64_t first_row, std::span<std::uint64_t> out);
  void read_i64(std::string_view column, std::uint64_t first_row, std::span<std::int64_t> out);
  void read_f64(std::string_view column, std::uint64_t first_row, std::span<double> out);
  void read_u32(std::string_view column, std::uint64_t first_row, std::span<std::uint32_t> out);
  void read_u8(std::string_view column, std::uint64_t first_row, std::span<std::uint8_t> out);

  // Rows [first_row, first_row + count) of a string column. Reads count + 1 offsets and only
  // the bytes they span; throws H5Error on an out-of-range slice or corrupt offsets.
  void read_strings(std::string_view column, std::uint64_t first_row, std::uint64_t count,
                    StringSlice& out);
  // Convenience copy (allocates one std::string per row): `out` is replaced.
  void read_strings(std::string_view column, std::uint64_t first_row, std::uint64_t count,
                    std::vector<std::string>& out);

  // The "dictionary" attribute of a dictionary column.
  std::vector<std::string> dictionary(std::string_view column);

  // Attribute getters; throw H5Error if missing or of another type class.
  bool has_attribute(std::string_view name, AttributeScope scope = AttributeScope::kGroup) const;
  std::uint64_t attribute_u64(std::string_view name,
                              AttributeScope scope = AttributeScope::kGroup) const;
  std::int64_t attribute_i64(std::string_view name,
                             AttributeScope scope = AttributeScope::kGroup) const;
  double attribute_f64(std::string_view name, AttributeScope scope = AttributeScope::kGroup) const;
  std::string attribute_string(std::string_view name,
                               AttributeScope scope = AttributeScope::kGroup) const;

  const std::string& path() const noexcept { return path_; }
  const std::string& group() const noexcept { return group_; }

 private:
  struct ColumnInfo {
    std::string name;
    ColumnKind kind;
  };
  const ColumnInfo& info(std::string_view column) const;
  hid_t dataset(const std::string& name);
  void read_numeric(std::string_view column, std::uint64_t first_row, std::uint64_t count,
                    hid_t mem_type, void* out, std::span<const ColumnKind> accepted);
  hid_t scope_id(AttributeScope scope) const noexcept;

  std::string path_;
  std::string group_;
  Handle file_;
  Handle group_id_;
  std::uint64_t rows_ = 0;
  std::vector<ColumnInfo> columns_;
  std::map<std::string, Handle, std::less<>> open_datasets_;  // dataset name -> open handle
};

}  // namespace dumpmill::h5
