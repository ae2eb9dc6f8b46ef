// TableWriter: writes one table (an HDF5 group of equal-length 1-D column datasets) collectively.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dumpmill/h5/parallel_file.hpp"

namespace dumpmill::h5 {

// Storage settings of a table's datasets. The defaults are what the pipeline uses; tests
// shrink chunk_bytes so rank and chunk boundaries cross often.
struct WriterOptions {
  // Bytes per chunk (elements = chunk_bytes / element size, capped at the dataset length, at
  // least 1): 512 KiB = 64 Ki u64. bench_h5 (4 Mi u64 rows, 1 rank, shuffle+deflate-1, CPU
  // medians) found writes, full reads and file size flat from 256 KiB to 1 MiB (within 3%),
  // while reading 1000 rows at a random place costs one chunk's inflate: 0.9 / 1.6 / 3.3 ms
  // at 256 KiB / 512 KiB / 1 MiB (13 ms at 4 MiB). 512 KiB keeps point reads cheap, keeps
  // the chunk count (and parallel HDF5's per-chunk bookkeeping) modest, and two chunks fit
  // HDF5's default 1 MiB chunk cache of h5py readers. Full table: docs/hdf5-layout.md.
  std::uint64_t chunk_bytes = std::uint64_t{512} << 10;
  // zlib level. 1 is the cheapest real compression; every HDF5 reader has deflate.
  int deflate_level = 1;
  // Byte-shuffle filter before deflate on integer columns (not f64, bytes or codes): on counts
  // it shrank the file 4.5 -> 2.8 MiB and on random page ids 17.7 -> 13.7 MiB, and writing and
  // reading got faster too (deflate has less to chew), per bench_h5.
  bool shuffle_integers = true;
};

// One table = one group under the file root; each write_* call adds one column.
//
// COLLECTIVE: every rank constructs the writer and calls the same write_* sequence with the
// same column names; each passes its LOCAL rows (exactly `local_rows` values, possibly 0).
// The global row order is rank order: rank r's rows start at the MPI_Exscan of local_rows
// over ranks < r. Mismatched arguments (wrong span length on some rank, different column
// names, different dictionaries) are detected with one MPI_Allreduce per call and throw
// H5Error on every rank.
//
// Each dataset is created right before it is written, because parallel HDF5 allocates
// chunked datasets at creation (early allocation). Writes use H5FD_MPIO_COLLECTIVE: HDF5 1.10
// requires it for filtered (compressed) datasets, and a rank with no rows still takes part
// with H5Sselect_none on both dataspaces.
class TableWriter {
 public:
  // Creates group `group` (intermediate groups too) and sets its "rows" attribute (uint64,
  // the global row count). Throws H5Error if the group exists or a collective fails.
  TableWriter(ParallelFile& file, std::string group, std::uint64_t local_rows,
              WriterOptions options = {});

  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;
  TableWriter(TableWriter&&) noexcept = default;
  TableWriter& operator=(TableWriter&&) noexcept = delete;
  ~TableWriter() = default;

  // Numeric columns: dataset `column` of `rows` elements, little-endian file types
  // (H5T_STD_U64LE, H5T_STD_I64LE, H5T_IEEE_F64LE, H5T_STD_U32LE, H5T_STD_U8LE).
  // A column name is non-empty, has no '/' and does not end in ".bytes" or ".offsets".
  void write_u64(std::string_view column, std::span<const std::uint64_t> values);
  void write_i64(std::string_view column, std::span<const std::int64_t> values);
  void write_f64(std::string_view column, std::span<const double> values);
  void write_u32(std::string_view column, std::span<const std::uint32_t> values);
  void write_u8(std::string_view column, std::span<const std::uint8_t> values);

  // High-cardinality strings (any bytes; UTF-8 by convention). Two datasets:
  //   "<column>.bytes"   uint8, all strings concatenated in row order;
  //   "<column>.offsets" uint64, rows + 1 elements, offsets[0] = 0, offsets[rows] = len(bytes);
  //                      string i = bytes[offsets[i] : offsets[i+1]] (Arrow's layout).
  // Parallel HDF5 cannot write variable-length strings; this layout is why. Holds one
  // local copy of this rank's bytes during the call.
  void write_strings(std::string_view column, std::span<const std::string_view> values);

  // Low-cardinality strings: uint8 dataset `column` of codes plus attribute "dictionary" on it,
  // a 1-D array of variable-length UTF-8 strings (h5py: ds.attrs["dictionary"] is a numpy array
  // of str; value = dictionary[code]). `dictionary` (at most 256 distinct entries, none
  // containing NUL) is identical on every rank; every code must be < dictionary.size().
  void write_dictionary(std::string_view column, std::span<const std::uint8_t> codes,
                        std::span<const std::string> dictionary);

  // Group attributes; same types, rules and collectiveness as ParallelFile::set_attribute.
  // "rows" is set by the writer and cannot be replaced.
  void set_attribute(std::string_view name, std::uint64_t value);
  void set_attribute(std::string_view name, std::int64_t value);
  void set_attribute(std::string_view name, double value);
  void set_attribute(std::string_view name, std::string_view value);

  std::uint64_t local_rows() const noexcept { return local_rows_; }
  std::uint64_t global_rows() const noexcept { return global_rows_; }
  // First global row of this rank (MPI_Exscan of local_rows; 0 on rank 0).
  std::uint64_t row_offset() const noexcept { return row_offset_; }
  const std::string& group() const noexcept { return group_; }

  // I/O mode HDF5 actually used for this rank's last H5Dwrite (H5Pget_mpio_actual_io_mode).
  // Anything but H5D_MPIO_NO_COLLECTIVE means the write was collective; tests assert it.
  // H5D_MPIO_NO_COLLECTIVE also when the last column had 0 global rows (nothing written).
  H5D_mpio_actual_io_mode_t last_io_mode() const noexcept { return last_io_mode_; }

 private:
  struct ColumnSpec;
  void write_column(const ColumnSpec& spec, const void* data, std::uint64_t local_count);
  void write_fixed(std::string_view column, const void* data, std::size_t count, hid_t file_type,
                   hid_t mem_type, std::size_t element_size, bool integer);
  void set_group_attribute(std::string_view name, const AttributeValue& value);

  ParallelFile* file_;
  std::string group_;
  WriterOptions options_;
  std::uint64_t local_rows_;
  std::uint64_t row_offset_ = 0;
  std::uint64_t global_rows_ = 0;
  H5D_mpio_actual_io_mode_t last_io_mode_ = H5D_MPIO_NO_COLLECTIVE;
};

}  // namespace dumpmill::h5
