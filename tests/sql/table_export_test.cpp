// MPI test of export_table: a table written collectively at 1/2/4 ranks, exported by rank 0,
// read back with the plain sqlite3 C API.
#include "dumpmill/sql/table_export.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../h5/mpi_test_util.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_writer.hpp"
#include "dumpmill/sql/sqlite_export.hpp"

namespace dumpmill::sql {
namespace {

using test::rank;
using test::ranks;
using ::testing::HasSubstr;

std::string title_at(std::uint64_t g) {
  static const std::string kSpecial[] = {"O'Brien \"quoted\"",
                                         "tab\there",
                                         "back\\slash\\",
                                         "line\nbreak\r\n",
                                         "Ünïcödé_日本語 😀",
                                         "",
                                         "Robert'); DROP TABLE clicks;--",
                                         std::string("nul\0byte", 8)};
  if (g % 2 == 0) return kSpecial[(g / 2) % 8];
  return "Page_" + std::to_string(g);
}
const std::vector<std::string> kTypes = {"link", "external", "other"};
std::int64_t count_at(std::uint64_t g) { return static_cast<std::int64_t>(g * g + 11); }
std::int64_t delta_at(std::uint64_t g) { return g % 3 == 0 ? -static_cast<std::int64_t>(g) : 5; }
double share_at(std::uint64_t g) { return static_cast<double>(g) / 8.0; }

constexpr std::uint64_t kScale = 13;

std::uint64_t first_row() {
  std::uint64_t first = 0;
  for (int r = 0; r < rank(); ++r) first += test::uneven_rows(r, kScale);
  return first;
}
std::uint64_t total_rows() {
  std::uint64_t total = 0;
  for (int r = 0; r < ranks(); ++r) total += test::uneven_rows(r, kScale);
  return total;
}

// COLLECTIVE: writes group "clicks" (+ "huge" with a u64 above INT64_MAX) to `path`.
void write_fixture(const std::string& path) {
  const std::uint64_t count = test::uneven_rows(rank(), kScale);
  const std::uint64_t first = first_row();
  std::vector<std::string> titles;
  std::vector<std::uint64_t> counts;
  std::vector<std::int64_t> deltas;
  std::vector<double> shares;
  std::vector<std::uint8_t> types;
  std::vector<std::uint32_t> hours;
  for (std::uint64_t g = first; g < first + count; ++g) {
    titles.push_back(title_at(g));
    counts.push_back(static_cast<std::uint64_t>(count_at(g)));
    deltas.push_back(delta_at(g));
    shares.push_back(share_at(g));
    types.push_back(static_cast<std::uint8_t>(g % kTypes.size()));
    hours.push_back(static_cast<std::uint32_t>(g % 24));
  }
  const std::vector<std::string_view> views(titles.begin(), titles.end());
  auto file = h5::ParallelFile::create(path, MPI_COMM_WORLD);
  {
    h5::TableWriter writer(file, "clicks", count);
    writer.write_strings("title", views);
    writer.write_u64("n", counts);
    writer.write_i64("delta", deltas);
    writer.write_f64("share", shares);
    writer.write_dictionary("type", types, kTypes);
    writer.write_u32("hour", hours);
  }
  {
    h5::TableWriter writer(file, "huge", rank() == 0 ? 2 : 0);
    const std::vector<std::uint64_t> values =
        rank() == 0 ? std::vector<std::uint64_t>{1, std::numeric_limits<std::uint64_t>::max()}
                    : std::vector<std::uint64_t>{};
    writer.write_u64("v", values);
  }
  file.close();
}

TableExport clicks_export() {
  return TableExport{
      "clicks",
      "clicks",
      {{"title", "title", ColumnExport::kString},
       {"n", "n", ColumnExport::kU64},
       {"delta", "delta", ColumnExport::kI64},
       {"share", "share \"%\"", ColumnExport::kF64},
       {"type", "type", ColumnExport::kDictionary},
       {"hour", "hour", ColumnExport::kU64}},
      {"CREATE INDEX clicks_title ON clicks(title)", "CREATE INDEX clicks_n ON clicks(n DESC)"}};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads the exported table back with the raw C API (not our wrapper) and checks every value.
void verify_sqlite(const std::string& db_path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT title, n, delta, \"share \"\"%\"\"\", type, hour,"
                               " typeof(n), typeof(\"share \"\"%\"\"\") FROM clicks ORDER BY rowid",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  std::uint64_t g = 0;
  std::uint64_t mismatches = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* title = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const std::string got_title(title, static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 4));
    const bool ok =
        got_title == title_at(g) && sqlite3_column_int64(stmt, 1) == count_at(g) &&
        sqlite3_column_int64(stmt, 2) == delta_at(g) &&
        sqlite3_column_double(stmt, 3) == share_at(g) &&
        std::string(type) == kTypes[g % kTypes.size()] &&
        sqlite3_column_int64(stmt, 5) == static_cast<std::int64_t>(g % 24) &&
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 6))) == "integer" &&
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 7))) == "real";
    if (!ok && ++mismatches <= 5) ADD_FAILURE() << "row " << g << " differs";
    ++g;
  }
  EXPECT_EQ(mismatches, 0U);
  EXPECT_EQ(g, total_rows());
  sqlite3_finalize(stmt);

  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                               "tbl_name = 'clicks' ORDER BY name",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  std::vector<std::string> indexes;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    indexes.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  EXPECT_EQ(indexes, (std::vector<std::string>{"clicks_n", "clicks_title"}));
  sqlite3_close(db);
}

class TableExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h5_path_ = dir_.file("results.h5");
    write_fixture(h5_path_);  // collective
  }
  test::SharedTempDir dir_;
  std::string h5_path_;
};

TEST_F(TableExportTest, ExportsExactValuesAndIndexesAtEveryBatchSize) {
  if (rank() != 0) return;  // the export is serial
  for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{65536}}) {
    const std::string db_path = dir_.file("out-" + std::to_string(batch) + ".db");
    SqliteExport load(db_path);
    EXPECT_EQ(export_table(load.db(), h5_path_, clicks_export(), batch), total_rows());
    load.commit();
    verify_sqlite(db_path);
  }
}

TEST_F(TableExportTest, AbandonedExportLeavesPreviousFileUntouched) {
  if (rank() != 0) return;
  const std::string db_path = dir_.file("out.db");
  {
    SqliteExport load(db_path);
    export_table(load.db(), h5_path_, clicks_export());
    load.commit();
  }
  const std::string before = slurp(db_path);
  // Export a second table whose u64 value does not fit SQLite's INTEGER: throws mid-load.
  try {
    SqliteExport load(db_path);
    export_table(load.db(), h5_path_, clicks_export());
    export_table(load.db(), h5_path_,
                 TableExport{"huge", "huge", {{"v", "v", ColumnExport::kU64}}, {}});
    load.commit();
    ADD_FAILURE() << "no exception";
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exceeds SQLite's INTEGER range"));
    EXPECT_THAT(e.what(), HasSubstr(h5_path_));
  }
  EXPECT_EQ(slurp(db_path), before);
  std::size_t leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) ++leftovers;
  }
  EXPECT_EQ(leftovers, 0U);
  verify_sqlite(db_path);
}

TEST_F(TableExportTest, MismatchedDescriptionIsRefusedBeforeCreatingTheTable) {
  if (rank() != 0) return;
  const std::string db_path = dir_.file("bad.db");
  Db db(db_path);
  EXPECT_THROW(export_table(db, h5_path_, {"clicks", "t", {{"nope", "x", ColumnExport::kU64}}, {}}),
               OutputError);
  EXPECT_THROW(
      export_table(db, h5_path_, {"clicks", "t", {{"title", "x", ColumnExport::kU64}}, {}}),
      OutputError);
  EXPECT_THROW(export_table(db, h5_path_, {"clicks", "t", {{"n", "x", ColumnExport::kI64}}, {}}),
               OutputError);  // u64 -> i64 could overflow: refused
  EXPECT_THROW(export_table(db, h5_path_, {"clicks", "t", {}, {}}), ConfigError);
  EXPECT_THROW(export_table(db, h5_path_, clicks_export(), 0), ConfigError);
  Statement tables = db.prepare("SELECT count(*) FROM sqlite_master");
  ASSERT_TRUE(tables.step());
  EXPECT_EQ(tables.column_int64(0), 0);
}

}  // namespace
}  // namespace dumpmill::sql
