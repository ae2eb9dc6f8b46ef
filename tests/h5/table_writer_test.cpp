// MPI tests of the h5 stage: collective TableWriter at 1/2/4 ranks, read back by TableReader.
#include "dumpmill/h5/table_writer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "dumpmill/h5/h5_error.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_reader.hpp"
#include "mpi_test_util.hpp"

namespace dumpmill::h5 {
namespace {

using test::rank;
using test::ranks;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The expected value of every column at global row g: independent of the rank count.
std::uint64_t u64_at(std::uint64_t g) {
  return g == 0 ? std::numeric_limits<std::uint64_t>::max() : g * 0x9E3779B97F4A7C15ULL;
}
std::int64_t i64_at(std::uint64_t g) {
  if (g == 1) return std::numeric_limits<std::int64_t>::min();
  return (g % 2 == 0 ? 1 : -1) * static_cast<std::int64_t>(g) * 12345;
}
double f64_at(std::uint64_t g) { return g == 2 ? -0.0 : static_cast<double>(g) / 3.0 - 7.25; }
std::uint32_t u32_at(std::uint64_t g) { return static_cast<std::uint32_t>(g * 7 + 1); }
std::uint8_t u8_at(std::uint64_t g) { return static_cast<std::uint8_t>(g % 251); }
std::string string_at(std::uint64_t g) {
  static const std::string kSpecial[] = {
      "",
      "Quote \"double\" and 'single'",
      "Tab\there\tand\ttrailing\t",
      "Ünïcödé_日本語_Ελληνικά",
      "back\\slash",
      "new\nline\r\n",
      std::string("embedded\0NUL", 12),
      "emoji 😀 🚀",
  };
  if (g % 3 == 0) return kSpecial[(g / 3) % 8];
  return "Page_" + std::to_string(g) + std::string(g % 17, 'x');
}
const std::vector<std::string> kDictionary = {"link", "external", "other", "ÜberSeite"};
std::uint8_t code_at(std::uint64_t g) { return static_cast<std::uint8_t>(g % kDictionary.size()); }

struct LocalRows {
  std::uint64_t first;
  std::uint64_t count;
};

// This rank's slice: the uneven pattern of test::uneven_rows with an Exscan of our own
// (independent of the writer's) so the test checks the writer's row_offset().
LocalRows local_rows(std::uint64_t scale) {
  const std::uint64_t count = test::uneven_rows(rank(), scale);
  std::uint64_t first = 0;
  for (int r = 0; r < rank(); ++r) first += test::uneven_rows(r, scale);
  return {first, count};
}

std::uint64_t global_rows(std::uint64_t scale) {
  std::uint64_t total = 0;
  for (int r = 0; r < ranks(); ++r) total += test::uneven_rows(r, scale);
  return total;
}

// Writes every column kind for the rows of this rank; returns the writer's io modes.
void write_all_kinds(ParallelFile& file, const std::string& group, std::uint64_t scale,
                     WriterOptions options) {
  const LocalRows mine = local_rows(scale);
  TableWriter writer(file, group, mine.count, options);
  EXPECT_EQ(writer.row_offset(), mine.first);
  EXPECT_EQ(writer.global_rows(), global_rows(scale));

  std::vector<std::uint64_t> u64;
  std::vector<std::int64_t> i64;
  std::vector<double> f64;
  std::vector<std::uint32_t> u32;
  std::vector<std::uint8_t> u8;
  std::vector<std::uint8_t> codes;
  std::vector<std::string> strings;
  for (std::uint64_t g = mine.first; g < mine.first + mine.count; ++g) {
    u64.push_back(u64_at(g));
    i64.push_back(i64_at(g));
    f64.push_back(f64_at(g));
    u32.push_back(u32_at(g));
    u8.push_back(u8_at(g));
    codes.push_back(code_at(g));
    strings.push_back(string_at(g));
  }
  const std::vector<std::string_view> views(strings.begin(), strings.end());

  // Every write must have been collective (HighFive's check): a rank that silently fell back
  // to independent I/O would report H5D_MPIO_NO_COLLECTIVE here.
  const bool expect_io = writer.global_rows() > 0;
  auto check_collective = [&](const char* column) {
    if (expect_io) {
      EXPECT_NE(writer.last_io_mode(), H5D_MPIO_NO_COLLECTIVE) << column << " on rank " << rank();
    }
  };
  writer.write_u64("u64", u64);
  check_collective("u64");
  writer.write_i64("i64", i64);
  check_collective("i64");
  writer.write_f64("f64", f64);
  check_collective("f64");
  writer.write_u32("u32", u32);
  check_collective("u32");
  writer.write_u8("u8", u8);
  check_collective("u8");
  writer.write_strings("title", views);
  check_collective("title");
  writer.write_dictionary("type", codes, kDictionary);
  check_collective("type");
  writer.set_attribute("source", std::string_view("clickstream-2024-01 ✓"));
  writer.set_attribute("kept", std::uint64_t{42});
}

// Rank 0 reads the whole table back in slices of `step` rows and compares every value.
void verify_all_kinds(const std::string& path, const std::string& group, std::uint64_t scale,
                      std::uint64_t step) {
  TableReader reader(path, group);
  const std::uint64_t n = global_rows(scale);
  ASSERT_EQ(reader.rows(), n);
  EXPECT_THAT(reader.columns(), ElementsAre("u64", "i64", "f64", "u32", "u8", "title", "type"));
  EXPECT_EQ(reader.kind("u64"), ColumnKind::kU64);
  EXPECT_EQ(reader.kind("i64"), ColumnKind::kI64);
  EXPECT_EQ(reader.kind("f64"), ColumnKind::kF64);
  EXPECT_EQ(reader.kind("u32"), ColumnKind::kU32);
  EXPECT_EQ(reader.kind("u8"), ColumnKind::kU8);
  EXPECT_EQ(reader.kind("title"), ColumnKind::kString);
  EXPECT_EQ(reader.kind("type"), ColumnKind::kDictionary);
  EXPECT_EQ(reader.dictionary("type"), kDictionary);
  EXPECT_EQ(reader.attribute_string("source"), "clickstream-2024-01 ✓");
  EXPECT_EQ(reader.attribute_u64("kept"), 42U);
  EXPECT_EQ(reader.attribute_u64("rows"), n);

  std::vector<std::uint64_t> u64;
  std::vector<std::int64_t> i64;
  std::vector<double> f64;
  std::vector<std::uint32_t> u32;
  std::vector<std::uint8_t> u8;
  std::vector<std::uint8_t> codes;
  StringSlice titles;
  std::uint64_t mismatches = 0;
  for (std::uint64_t first = 0; first < n; first += step) {
    const std::uint64_t count = std::min(step, n - first);
    u64.resize(count);
    i64.resize(count);
    f64.resize(count);
    u32.resize(count);
    u8.resize(count);
    codes.resize(count);
    reader.read_u64("u64", first, u64);
    reader.read_i64("i64", first, i64);
    reader.read_f64("f64", first, f64);
    reader.read_u32("u32", first, u32);
    reader.read_u8("u8", first, u8);
    reader.read_u8("type", first, codes);
    reader.read_strings("title", first, count, titles);
    ASSERT_EQ(titles.size(), count);
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t g = first + i;
      const double want = f64_at(g);
      const bool ok = u64[i] == u64_at(g) && i64[i] == i64_at(g) &&
                      std::memcmp(&f64[i], &want, sizeof want) == 0 && u32[i] == u32_at(g) &&
                      u8[i] == u8_at(g) && codes[i] == code_at(g) && titles[i] == string_at(g);
      if (!ok && ++mismatches <= 5) ADD_FAILURE() << "row " << g << " differs";
    }
  }
  EXPECT_EQ(mismatches, 0U);
}

TEST(TableWriter, RoundTripsEveryColumnKindWithTinyChunks) {
  test::SharedTempDir dir;
  const std::string path = dir.file("tiny.h5");
  // 24-byte chunks: 3 u64 per chunk, so chunks straddle rank boundaries everywhere.
  WriterOptions options;
  options.chunk_bytes = 24;
  {
    ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
    write_all_kinds(file, "clicks", 40, options);
    file.close();
  }
  if (rank() == 0) verify_all_kinds(path, "clicks", 40, 7);
}

TEST(TableWriter, RoundTripsEveryColumnKindWithDefaultChunks) {
  test::SharedTempDir dir;
  const std::string path = dir.file("default.h5");
  {
    ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
    // 90k rows or more at every rank count: u64 columns span 2+ chunks of 512 KiB.
    write_all_kinds(file, "nested/clicks", 30000, WriterOptions{});
    file.close();
  }
  if (rank() == 0) verify_all_kinds(path, "nested/clicks", 30000, 65536);
}

TEST(TableWriter, EmptyTableHasZeroRowsAndEveryColumn) {
  test::SharedTempDir dir;
  const std::string path = dir.file("empty.h5");
  {
    ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
    write_all_kinds(file, "empty", 0, WriterOptions{});
    file.close();
  }
  if (rank() == 0) {
    TableReader reader(path, "empty");
    EXPECT_EQ(reader.rows(), 0U);
    EXPECT_EQ(reader.columns().size(), 7U);
    std::vector<std::string> strings{"stale"};
    reader.read_strings("title", 0, 0, strings);
    EXPECT_TRUE(strings.empty());
    std::vector<std::uint64_t> none;
    reader.read_u64("u64", 0, none);
    EXPECT_THROW(reader.read_strings("title", 0, 1, strings), H5Error);
  }
}

TEST(TableWriter, RootAndGroupAttributesRoundTrip) {
  test::SharedTempDir dir;
  const std::string path = dir.file("attrs.h5");
  {
    ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
    file.set_attribute("dumpmill_version", std::string_view("0.1.0"));
    file.set_attribute("job", std::string_view("clickstream — enwiki"));
    file.set_attribute("records_read", std::uint64_t{18446744073709551615ULL});
    file.set_attribute("delta", std::int64_t{-5});
    file.set_attribute("seconds", 1.25);
    file.set_attribute("job", std::string_view("replaced"));  // replaces, no error
    TableWriter writer(file, "t", rank() == 0 ? 1 : 0);
    writer.set_attribute("ratio", 0.5);
    // "rows" belongs to the writer: refused on every rank, before any HDF5 call.
    EXPECT_THROW(writer.set_attribute("rows", std::uint64_t{1}), H5Error);
    file.close();
  }
  if (rank() == 0) {
    TableReader reader(path, "t");
    EXPECT_EQ(reader.attribute_string("dumpmill_version", AttributeScope::kRoot), "0.1.0");
    EXPECT_EQ(reader.attribute_string("job", AttributeScope::kRoot), "replaced");
    EXPECT_EQ(reader.attribute_u64("records_read", AttributeScope::kRoot), 18446744073709551615ULL);
    EXPECT_EQ(reader.attribute_i64("delta", AttributeScope::kRoot), -5);
    EXPECT_EQ(reader.attribute_f64("seconds", AttributeScope::kRoot), 1.25);
    EXPECT_EQ(reader.attribute_f64("ratio"), 0.5);
    EXPECT_EQ(reader.rows(), 1U);
    EXPECT_TRUE(reader.has_attribute("ratio"));
    EXPECT_FALSE(reader.has_attribute("ratio", AttributeScope::kRoot));
    EXPECT_THROW(reader.attribute_u64("ratio"), H5Error);  // a double, not an integer
    try {
      reader.attribute_string("missing", AttributeScope::kRoot);
      ADD_FAILURE() << "no exception";
    } catch (const H5Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(path));
      EXPECT_THAT(e.what(), HasSubstr("missing"));
    }
  }
}

TEST(TableWriter, MismatchedArgumentsThrowOnEveryRank) {
  test::SharedTempDir dir;
  ParallelFile file = ParallelFile::create(dir.file("bad.h5"), MPI_COMM_WORLD);
  TableWriter writer(file, "t", 2);
  // The last rank passes one value too few: every rank must throw, none may hang.
  std::vector<std::uint64_t> values(rank() == ranks() - 1 ? 1 : 2, 9);
  EXPECT_THROW(writer.write_u64("short", values), H5Error);
  // Different column names on different ranks (only detectable with more than one rank).
  if (ranks() > 1) {
    const std::vector<std::uint64_t> two(2, 1);
    EXPECT_THROW(writer.write_u64(rank() == 0 ? "a" : "b", two), H5Error);
  }
  // A code outside the dictionary on rank 0 only.
  std::vector<std::uint8_t> codes(2, 0);
  if (rank() == 0) codes[1] = 7;
  try {
    writer.write_dictionary("type", codes, kDictionary);
    ADD_FAILURE() << "no exception";
  } catch (const H5Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("t/type"));
    if (rank() == 0) {
      EXPECT_THAT(e.what(), HasSubstr("code 7 at local row 1"));
    }
  }
  EXPECT_THROW(writer.write_u64("bad/name", std::vector<std::uint64_t>(2)), H5Error);
  EXPECT_THROW(writer.write_u64("x.offsets", std::vector<std::uint64_t>(2)), H5Error);
  // After refused calls the file is still consistent: a good column and a clean close.
  writer.write_u64("good", std::vector<std::uint64_t>(2, 5));
  EXPECT_NO_THROW(file.close());
}

TEST(TableWriter, DuplicateColumnIsAnH5ErrorOnEveryRank) {
  test::SharedTempDir dir;
  ParallelFile file = ParallelFile::create(dir.file("dup.h5"), MPI_COMM_WORLD);
  TableWriter writer(file, "t", 1);
  writer.write_u32("c", std::vector<std::uint32_t>{1});
  try {
    writer.write_u32("c", std::vector<std::uint32_t>{1});
    ADD_FAILURE() << "no exception";
  } catch (const H5Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("H5Dcreate2"));
    EXPECT_EQ(e.object(), "t/c");
  }
  file.close();
}

TEST(ParallelFile, CreateInMissingDirectoryNamesThePath) {
  test::SharedTempDir dir;
  const std::string path = dir.file("no/such/dir/out.h5");
  try {
    ParallelFile::create(path, MPI_COMM_WORLD);
    ADD_FAILURE() << "no exception";
  } catch (const H5Error& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("H5Fcreate"));
    EXPECT_EQ(e.exit_code(), 3);  // an OutputError
  }
}

TEST(TableReader, SlicesBoundsAndKindsAreChecked) {
  test::SharedTempDir dir;
  const std::string path = dir.file("slices.h5");
  {
    ParallelFile file = ParallelFile::create(path, MPI_COMM_WORLD);
    write_all_kinds(file, "clicks", 10, WriterOptions{});
    file.close();
  }
  if (rank() != 0) return;
  TableReader reader(path, "clicks");
  const std::uint64_t n = reader.rows();
  ASSERT_GE(n, 30U);
  // A slice in the middle, through the copying overload.
  std::vector<std::string> titles;
  reader.read_strings("title", 5, 11, titles);
  ASSERT_EQ(titles.size(), 11U);
  for (std::uint64_t i = 0; i < 11; ++i) EXPECT_EQ(titles[i], string_at(5 + i));
  // The last row alone (reads offsets[n-1], offsets[n]).
  reader.read_strings("title", n - 1, 1, titles);
  ASSERT_EQ(titles.size(), 1U);
  EXPECT_EQ(titles[0], string_at(n - 1));
  // Widening reads are exact; narrowing or sign-changing ones are refused.
  std::vector<std::uint64_t> wide(3);
  reader.read_u64("u32", 4, wide);
  EXPECT_THAT(wide, ElementsAre(u32_at(4), u32_at(5), u32_at(6)));
  std::vector<std::int64_t> signed_values(1);
  EXPECT_THROW(reader.read_i64("u64", 0, signed_values), H5Error);
  std::vector<std::uint32_t> narrow(1);
  EXPECT_THROW(reader.read_u32("u64", 0, narrow), H5Error);
  std::vector<double> reals(1);
  EXPECT_THROW(reader.read_f64("i64", 0, reals), H5Error);
  // Out of range, missing column, wrong column kind.
  std::vector<std::uint64_t> two(2);
  EXPECT_THROW(reader.read_u64("u64", n - 1, two), H5Error);
  EXPECT_THROW(reader.read_strings("title", n, 1, titles), H5Error);
  EXPECT_THROW(reader.read_u64("nope", 0, two), H5Error);
  EXPECT_THROW(reader.read_strings("u64", 0, 1, titles), H5Error);
  EXPECT_THROW(reader.dictionary("u8"), H5Error);
  EXPECT_THROW(TableReader(path, "no_such_group"), H5Error);
  EXPECT_THROW(TableReader(dir.file("missing.h5"), "clicks"), H5Error);
}

}  // namespace
}  // namespace dumpmill::h5
