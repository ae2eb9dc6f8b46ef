// The votes warehouse through records + tables: dedup by Id, weekly counts, the 20% outlier
// rule; the full 40,299-row file, a duplicated copy for keep rules, and dedup throughput.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "dumpmill/shuffle/local_comm.hpp"
#include "tables_test_util.hpp"

namespace dumpmill::tables {
namespace {

using testing::file_exists;
using testing::Job;
using testing::parse_job;
using testing::read_file;
using testing::run_job;
using testing::TableRows;

// jobs/votes.ini's record part (as in tests/records/data_test.cpp) plus the tables.
constexpr std::string_view kVotesJob = R"(
[job]
format = jsonl
[schema]
columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp
columns = UserId:int64? BountyAmount:int64?
extra = reject
derive = Year = year(CreationDate), WeekNumber = week(CreationDate)
[dedup]
by = Id
keep = first
[table.votes]
columns = Id, PostId, VoteTypeId, CreationDate
[table.weekly]
group_by = Year, WeekNumber
aggregates = VoteCount = count()
)";

Job votes_job(std::string_view keep) {
  std::string text(kVotesJob);
  const std::string from = "keep = first";
  text.replace(text.find(from), from.size(), "keep = " + std::string(keep));
  return parse_job(text);
}

using Week = std::tuple<std::int64_t, std::int64_t, std::int64_t>;

// The exercise's rule on the weekly table: |1 - x/mean| > 0.2, mean over weeks with votes,
// sorted by year then week. `having` cannot say this (it compares a column with constants;
// the mean over all groups is a table-level aggregate), so the test is the reference.
std::vector<Week> outlier_weeks(const TableRows& weekly) {
  std::vector<Week> weeks;
  double total = 0;
  for (const auto& r : weekly) {
    weeks.emplace_back(std::stoll(r[0]), std::stoll(r[1]), std::stoll(r[2]));
    total += std::stod(r[2]);
  }
  std::sort(weeks.begin(), weeks.end());
  const double mean = total / static_cast<double>(weeks.size());
  std::vector<Week> out;
  for (const Week& w : weeks) {
    if (std::abs(1.0 - static_cast<double>(std::get<2>(w)) / mean) > 0.2) out.push_back(w);
  }
  return out;
}

TEST(VotesTables, SampleGivesTheExercisesOutlierWeeksAndIngestingTwiceChangesNothing) {
  const std::string sample =
      read_file(std::string(DUMPMILL_TEST_DATA) + "/records/samples-votes.jsonl");
  ASSERT_EQ(sample.size(), 1323u);
  const Job job = votes_job("first");
  const std::vector<Week> want{Week{2022, 0, 1}, Week{2022, 1, 3}, Week{2022, 2, 3},
                               Week{2022, 5, 1}, Week{2022, 6, 1}, Week{2022, 8, 1}};
  for (int ranks = 1; ranks <= 4; ++ranks) {
    SCOPED_TRACE(ranks);
    const auto once = run_job(job, {sample}, ranks);
    EXPECT_EQ(once.tables.at("votes").size(), 16u);
    EXPECT_EQ(once.tables.at("weekly").size(), 9u);
    EXPECT_EQ(outlier_weeks(once.tables.at("weekly")), want);
    // The same file twice: dedup by Id leaves every table unchanged.
    const auto twice = run_job(job, {sample, sample}, ranks);
    EXPECT_EQ(twice.total.rows_in, 32u);
    EXPECT_EQ(twice.total.duplicates_dropped, 16u);
    EXPECT_EQ(twice.tables, once.tables);
  }
}

std::string full_votes_path() {
  return std::string(DUMPMILL_SHARED_DATA) + "/ee_votes/votes.jsonl";
}

// Expected figures from an independent python3 run over the file:
//   python3 -c 'import json; ids=[int(json.loads(l)["Id"]) for l in open("votes.jsonl")];
//   print(len(ids), len(set(ids)), len({i for i in ids if i%10==0}))'   -> 40299 40299 4047
// and tests/records/data_test.cpp's weekly figures (239 weeks, 162 outliers).
TEST(VotesTables, FullFileAtOneAndThreeRanks) {
  if (!file_exists(full_votes_path())) GTEST_SKIP() << full_votes_path() << " not present";
  const std::string text = read_file(full_votes_path());
  const Job job = votes_job("first");
  const auto one = run_job(job, {text}, 1);
  const auto three = run_job(job, {text}, 3);
  for (const auto* out : {&one, &three}) {
    EXPECT_EQ(out->total.rows_in, 40299u);
    EXPECT_EQ(out->total.rows_kept, 40299u);
    EXPECT_EQ(out->tables.at("votes").size(), 40299u);
    EXPECT_EQ(out->tables.at("weekly").size(), 239u);
    EXPECT_EQ(outlier_weeks(out->tables.at("weekly")).size(), 162u);
  }
  EXPECT_EQ(one.tables, three.tables);
}

// Every row twice: the copy (a second file, later in input order) moves CreationDate to
// 2096 for Ids divisible by 10. first keeps the originals, last and max(CreationDate) the
// 2096 copies; every other Id is an exact repeat either way.
TEST(VotesTables, DuplicatedCopyShowsKeepFirstLastMax) {
  if (!file_exists(full_votes_path())) GTEST_SKIP() << full_votes_path() << " not present";
  const std::string text = read_file(full_votes_path());
  std::string copy;
  copy.reserve(text.size());
  std::size_t moved = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    const std::size_t id_at = line.find("\"Id\":\"") + 6;
    const long long id = std::stoll(line.substr(id_at));
    if (id % 10 == 0) {
      const std::string key = "\"CreationDate\":\"";
      line.replace(line.find(key) + key.size(), 4, "2096");
      ++moved;
    }
    copy += line + "\n";
  }
  ASSERT_EQ(moved, 4047u);
  // 2096, a leap year, so copied 02-29 dates stay valid (2099 rejected two rows). Its start
  // in seconds: date -u -d 2096-01-01Z +%s -> 3976214400.
  constexpr std::int64_t k2096 = std::int64_t{3976214400} * 1000000;
  const auto count_2096 = [&](const TableRows& votes) {
    std::size_t n = 0;
    for (const auto& r : votes) n += std::stoll(r[3]) >= k2096 ? 1 : 0;
    return n;
  };
  for (const int ranks : {1, 3}) {
    SCOPED_TRACE(ranks);
    for (const char* keep : {"first", "last", "max(CreationDate)"}) {
      SCOPED_TRACE(keep);
      const auto out = run_job(votes_job(keep), {text, copy}, ranks);
      EXPECT_EQ(out.total.rows_in, 2 * 40299u);
      EXPECT_EQ(out.total.duplicates_dropped, 40299u);
      EXPECT_EQ(out.tables.at("votes").size(), 40299u);
      EXPECT_EQ(count_2096(out.tables.at("votes")), std::string(keep) == "first" ? 0u : 4047u);
    }
  }
}

// Throughput of the distributed dedup on generated rows (no parsing): 400,000 rows, one in
// five a repeat, at 1 and 2 in-process ranks. Prints rows/s; asserts only correctness.
TEST(VotesTables, DedupThroughputPrint) {
  const Job job = parse_job(R"(
[job]
format = jsonl
[schema]
columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp Tag:string
[dedup]
by = Id
keep = last
[table.votes]
columns = *
)");
  constexpr std::int64_t kRows = 400000;
  constexpr std::int64_t kDistinct = kRows / 5 * 4;
  for (const int ranks : {1, 2}) {
    std::vector<TablesResult> results(static_cast<std::size_t>(ranks));
    const auto start = std::chrono::steady_clock::now();
    shuffle::run_local(ranks, [&](shuffle::Communicator& comm) {
      std::int64_t i = comm.rank();
      const std::string tag = "tag-" + std::to_string(comm.rank());
      auto next = [&](records::Row& row, RowOrigin& origin) {
        if (i >= kRows) return false;
        row.values.assign(5, records::Value{});
        for (auto& v : row.values) v.null = false;
        row.values[0].i64 = i % kDistinct;
        row.values[1].i64 = i / 3;
        row.values[2].i64 = 2;
        row.values[3].i64 = 1500000000000000 + i;
        row.values[4].text = tag;
        origin = RowOrigin{0, static_cast<std::uint64_t>(i) * 80};
        i += comm.size();
        return true;
      };
      results[static_cast<std::size_t>(comm.rank())] =
          run_tables(comm, job.records, job.tables, next);
    });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(results[0].total.rows_in, static_cast<std::uint64_t>(kRows));
    EXPECT_EQ(results[0].total.rows_kept, static_cast<std::uint64_t>(kDistinct));
    EXPECT_EQ(results[0].total.rows_out, std::vector<std::uint64_t>{kDistinct});
    std::printf("dedup throughput: %d rank(s): %lld rows in %.3f s = %.0f rows/s\n", ranks,
                static_cast<long long>(kRows), seconds, static_cast<double>(kRows) / seconds);
  }
}

}  // namespace
}  // namespace dumpmill::tables
