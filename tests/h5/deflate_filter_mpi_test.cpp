// MPI tests of the libdeflate deflate filter in real collective writes at 1/2/4 ranks: the
// table reads back through TableReader, and every stored chunk is a standard zlib stream that
// zlib's uncompress() inflates, byte-identical to libdeflate's output for that chunk.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "deflate_test_data.hpp"
#include "dumpmill/h5/deflate_filter.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_reader.hpp"
#include "dumpmill/h5/table_writer.hpp"
#include "mpi_test_util.hpp"

namespace dumpmill::h5 {
namespace {

using test::rank;
using test::ranks;

// Rows per unit of scale of rank r (test::uneven_rows: some ranks empty).
constexpr std::uint64_t kScale = 900;
// Odd, so chunks end mid-string and mid-element-run: 4099 B = 4099 u8 or 512 u64 elements.
constexpr std::uint64_t kChunkBytes = 4099;

struct Expected {
  std::vector<std::string> titles;
  std::vector<std::string> noise;
  std::vector<std::uint64_t> counts;
  std::string title_bytes;  // the ".bytes" dataset: all titles concatenated
  std::string noise_bytes;
};

Expected expected_table(std::uint64_t global_rows) {
  Expected e;
  for (std::uint64_t g = 0; g < global_rows; ++g) {
    e.titles.push_back(test::title_at(g));
    e.noise.push_back(test::noise_at(g));
    e.counts.push_back(test::count_at(g));
    e.title_bytes += e.titles.back();
    e.noise_bytes += e.noise.back();
  }
  return e;
}

std::uint64_t first_row_of(int r) {
  std::uint64_t first = 0;
  for (int i = 0; i < r; ++i) first += test::uneven_rows(i, kScale);
  return first;
}

std::uint64_t global_row_count() { return first_row_of(ranks()); }

// Every rank writes its slice of table "t" (titles, random bytes, shuffled counts, an
// all-empty string column whose ".bytes" has 0 elements) and a 1-row table "one".
void write_file(const std::string& path) {
  const std::uint64_t first = first_row_of(rank());
  const std::uint64_t count = test::uneven_rows(rank(), kScale);
  std::vector<std::string> titles;
  std::vector<std::string> noise;
  std::vector<std::uint64_t> counts;
  for (std::uint64_t g = first; g < first + count; ++g) {
    titles.push_back(test::title_at(g));
    noise.push_back(test::noise_at(g));
    counts.push_back(test::count_at(g));
  }
  const std::vector<std::string_view> title_views(titles.begin(), titles.end());
  const std::vector<std::string_view> noise_views(noise.begin(), noise.end());
  const std::vector<std::string_view> empties(count);

  ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
  WriterOptions options;
  options.chunk_bytes = kChunkBytes;
  {
    TableWriter writer(file, "t", count, options);
    writer.write_strings("title", title_views);
    writer.write_strings("noise", noise_views);
    writer.write_u64("n", counts);
    writer.write_strings("empty", empties);
  }
  {
    const std::uint64_t mine = rank() == ranks() - 1 ? 1 : 0;
    TableWriter one(file, "one", mine, options);
    const std::vector<std::string_view> title(mine, "Main_Page");
    one.write_strings("title", title);
  }
  file.close();
}

// A dataset's stored chunks, as H5Dread_chunk returns them (raw, still compressed).
struct RawChunk {
  hsize_t offset = 0;  // first element
  std::uint32_t filter_mask = 0;
  std::vector<unsigned char> stored;
};

struct RawDataset {
  std::size_t chunk_elements = 0;
  std::size_t element_size = 0;
  std::uint64_t length = 0;
  bool shuffled = false;
  std::vector<RawChunk> chunks;
};

RawDataset read_raw_chunks(const std::string& path, const std::string& name) {
  RawDataset out;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  const hid_t ds = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(ds, 0);
  const hid_t dcpl = H5Dget_create_plist(ds);
  const hid_t type = H5Dget_type(ds);
  const hid_t space = H5Dget_space(ds);
  out.element_size = H5Tget_size(type);
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space, &length, nullptr);
  out.length = length;
  hsize_t chunk_dim = 0;
  EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED) << name;
  H5Pget_chunk(dcpl, 1, &chunk_dim);
  out.chunk_elements = chunk_dim;
  // The pipeline is exactly what H5Pset_deflate(1) (after shuffle, for integers) makes.
  const int nfilters = H5Pget_nfilters(dcpl);
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0;
    std::size_t nelmts = 4;
    unsigned cd[4] = {};
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nelmts, cd, 0, nullptr, nullptr);
    if (id == H5Z_FILTER_SHUFFLE) out.shuffled = true;
    if (id == H5Z_FILTER_DEFLATE) {
      EXPECT_EQ(nelmts, 1U) << name;
      EXPECT_EQ(cd[0], 1U) << name;
      EXPECT_EQ(i, nfilters - 1) << name;
    }
  }
  hsize_t nchunks = 0;
  EXPECT_GE(H5Dget_num_chunks(ds, space, &nchunks), 0);
  EXPECT_EQ(nchunks, (length + chunk_dim - 1) / chunk_dim) << name;
  for (hsize_t i = 0; i < nchunks; ++i) {
    RawChunk c;
    unsigned mask = 0;
    haddr_t addr = 0;
    hsize_t size = 0;
    EXPECT_GE(H5Dget_chunk_info(ds, space, i, &c.offset, &mask, &addr, &size), 0);
    c.stored.resize(size);
    EXPECT_GE(H5Dread_chunk(ds, H5P_DEFAULT, &c.offset, &c.filter_mask, c.stored.data()), 0);
    out.chunks.push_back(std::move(c));
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Pclose(dcpl);
  H5Dclose(ds);
  H5Fclose(file);
  return out;
}

// HDF5's shuffle filter: byte j of element i goes to j * n + i.
std::vector<unsigned char> unshuffle(const std::vector<unsigned char>& in, std::size_t size) {
  std::vector<unsigned char> out(in.size());
  const std::size_t n = in.size() / size;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < size; ++j) out[i * size + j] = in[j * n + i];
  }
  return out;
}

std::vector<unsigned char> libdeflate_level1(const std::vector<unsigned char>& in) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  std::vector<unsigned char> out(libdeflate_zlib_compress_bound(c, in.size()));
  out.resize(libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

std::vector<unsigned char> zlib_level1(const std::vector<unsigned char>& in) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  std::vector<unsigned char> out(size);
  compress2(out.data(), &size, in.data(), static_cast<uLong>(in.size()), 1);
  out.resize(size);
  return out;
}

enum class Writer { kLibdeflate, kZlib };

// Inflates every stored chunk of `name` with zlib's uncompress(): each must be a complete
// zlib stream of exactly one nominal chunk whose valid elements equal `expected` (raw bytes
// of the whole dataset), and must be the stream that `writer` makes of that chunk.
// Returns the number of chunks checked.
std::size_t check_chunks_with_zlib(const std::string& path, const std::string& name,
                                   std::string_view expected, Writer writer) {
  SCOPED_TRACE(name);
  const RawDataset ds = read_raw_chunks(path, name);
  const std::size_t chunk_bytes = ds.chunk_elements * ds.element_size;
  EXPECT_EQ(ds.length * ds.element_size, expected.size());
  std::size_t differs_from_other = 0;
  for (const RawChunk& c : ds.chunks) {
    SCOPED_TRACE("chunk at element " + std::to_string(c.offset));
    EXPECT_EQ(c.filter_mask, 0U);  // every filter applied: deflate did not fail to raw
    std::vector<unsigned char> plain(chunk_bytes + 1);
    uLongf size = static_cast<uLongf>(plain.size());
    EXPECT_EQ(uncompress(plain.data(), &size, c.stored.data(), static_cast<uLong>(c.stored.size())),
              Z_OK);
    EXPECT_EQ(size, chunk_bytes);  // HDF5 stores whole chunks, edge chunks too
    plain.resize(chunk_bytes);
    // Same stream as the chosen implementation makes of these bytes; not the other's.
    const auto same = writer == Writer::kLibdeflate ? libdeflate_level1(plain) : zlib_level1(plain);
    const auto other =
        writer == Writer::kLibdeflate ? zlib_level1(plain) : libdeflate_level1(plain);
    EXPECT_EQ(c.stored, same);
    if (c.stored != other) ++differs_from_other;
    const std::vector<unsigned char> values =
        ds.shuffled ? unshuffle(plain, ds.element_size) : plain;
    const std::size_t begin = c.offset * ds.element_size;
    const std::size_t valid = std::min(chunk_bytes, expected.size() - begin);
    EXPECT_EQ(std::memcmp(values.data(), expected.data() + begin, valid), 0);
  }
  // Text and counts compress differently under the two; random bytes may not (stored blocks).
  if (ds.chunks.size() > 1 && name.find("noise") == std::string::npos) {
    EXPECT_GT(differs_from_other, 0U);
  }
  return ds.chunks.size();
}

std::string_view as_bytes(const std::vector<std::uint64_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::uint64_t)};
}

std::string offsets_bytes(const std::vector<std::string>& strings) {
  std::vector<std::uint64_t> offsets{0};
  for (const std::string& s : strings) offsets.push_back(offsets.back() + s.size());
  return std::string(as_bytes(offsets));
}

void check_with_table_reader(const std::string& path, const Expected& e) {
  TableReader reader(path, "t");
  ASSERT_EQ(reader.rows(), e.titles.size());
  std::vector<std::string> strings;
  reader.read_strings("title", 0, reader.rows(), strings);
  EXPECT_EQ(strings, e.titles);
  reader.read_strings("noise", 0, reader.rows(), strings);
  EXPECT_EQ(strings, e.noise);
  reader.read_strings("empty", 0, reader.rows(), strings);
  EXPECT_EQ(strings, std::vector<std::string>(e.titles.size()));
  std::vector<std::uint64_t> counts(reader.rows());
  reader.read_u64("n", 0, counts);
  EXPECT_EQ(counts, e.counts);
  // A slice in the middle: decompresses chunks out of order, after other datasets.
  if (reader.rows() > 1500) {
    reader.read_strings("title", 1234, 77, strings);
    EXPECT_EQ(strings, std::vector<std::string>(e.titles.begin() + 1234, e.titles.begin() + 1311));
  }
  TableReader one(path, "one");
  ASSERT_EQ(one.rows(), 1U);
  one.read_strings("title", 0, 1, strings);
  EXPECT_EQ(strings, std::vector<std::string>{"Main_Page"});
}

TEST(DeflateFilterMpi, LibdeflateChunksReadBackAndAreStandardZlib) {
  ASSERT_TRUE(use_libdeflate_for_deflate());
  test::SharedTempDir dir;
  const std::string path = dir.file("libdeflate.h5");
  write_file(path);
  EXPECT_TRUE(libdeflate_serves_deflate());
  if (rank() == 0) {
    const Expected e = expected_table(global_row_count());
    check_with_table_reader(path, e);
    // ~40 KB of titles per 900 rows: dozens of 4099-byte chunks at every rank count.
    EXPECT_GT(check_chunks_with_zlib(path, "t/title.bytes", e.title_bytes, Writer::kLibdeflate),
              5U);
    check_chunks_with_zlib(path, "t/title.offsets", offsets_bytes(e.titles), Writer::kLibdeflate);
    check_chunks_with_zlib(path, "t/noise.bytes", e.noise_bytes, Writer::kLibdeflate);
    check_chunks_with_zlib(path, "t/n", as_bytes(e.counts), Writer::kLibdeflate);
    check_chunks_with_zlib(path, "one/title.bytes", "Main_Page", Writer::kLibdeflate);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// The same checks with HDF5's own zlib filter put back: the byte comparison above really
// tells the two apart, and a file written by stock HDF5 reads through libdeflate.
TEST(DeflateFilterMpi, Hdf5ZlibWrittenFileReadsThroughLibdeflate) {
  ASSERT_TRUE(use_libdeflate_for_deflate());
  test::SharedTempDir dir;
  const std::string path = dir.file("zlib.h5");
  ASSERT_TRUE(detail::select_deflate(false));
  write_file(path);
  ASSERT_TRUE(detail::select_deflate(true));  // TableReader below inflates with libdeflate
  if (rank() == 0) {
    const Expected e = expected_table(global_row_count());
    check_chunks_with_zlib(path, "t/title.bytes", e.title_bytes, Writer::kZlib);
    check_chunks_with_zlib(path, "t/n", as_bytes(e.counts), Writer::kZlib);
    check_with_table_reader(path, e);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace dumpmill::h5
