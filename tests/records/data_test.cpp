// Records on real data: the votes sample (exact outlier weeks), full votes.jsonl, NASA and
// Wikispeedia event logs - each figure checked against an independent computation.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dumpmill/records/record_parser.hpp"
#include "records_test_util.hpp"

namespace dumpmill::records {
namespace {

using testing::file_exists;
using testing::read_file;
using testing::run_records;

// The votes job's record part, as jobs/votes.ini will spell it.
constexpr std::string_view kVotesJob = R"(
[job]
format = jsonl
[schema]
columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp
columns = UserId:int64? BountyAmount:int64?
extra = reject
derive = Year = year(CreationDate), WeekNumber = week(CreationDate)
[column.VoteTypeId]
min = 1
max = 16
)";

struct VoteStats {
  std::map<std::int64_t, std::int64_t> by_type;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> by_week;
  std::int64_t with_user = 0, with_bounty = 0, id_sum = 0;
  std::int64_t min_day = INT64_MAX, max_day = INT64_MIN;
};

testing::Outcomes parse_votes(const RecordSpec& spec, const std::string& text, VoteStats& s) {
  const auto ix = [&](std::string_view name) { return *spec.find(name); };
  const std::size_t id = ix("Id"), type = ix("VoteTypeId"), user = ix("UserId"),
                    bounty = ix("BountyAmount"), year = ix("Year"), week = ix("WeekNumber"),
                    created = ix("CreationDate");
  return run_records(spec, text, [&](const Row& r) {
    ++s.by_type[r.values[type].i64];
    ++s.by_week[{r.values[year].i64, r.values[week].i64}];
    s.with_user += r.values[user].null ? 0 : 1;
    s.with_bounty += r.values[bounty].null ? 0 : 1;
    s.id_sum += r.values[id].i64;
    const std::int64_t day = days_of_timestamp(r.values[created].i64);
    s.min_day = std::min(s.min_day, day);
    s.max_day = std::max(s.max_day, day);
  });
}

// The exercise's outlier rule on weekly counts: |1 - x/mean| > 0.2, mean over weeks with votes.
std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> outliers(const VoteStats& s) {
  double total = 0;
  for (const auto& [week, n] : s.by_week) total += static_cast<double>(n);
  const double mean = total / static_cast<double>(s.by_week.size());
  std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> out;
  for (const auto& [week, n] : s.by_week) {
    if (std::abs(1.0 - static_cast<double>(n) / mean) > 0.2) {
      out.emplace_back(week.first, week.second, n);
    }
  }
  return out;
}

// All 16 sample rows parse, and the derived Year/WeekNumber give exactly the outlier table
// the exercise README prints for this sample.
TEST(VotesData, SampleParsesFullyAndGivesTheExercisesOutlierWeeks) {
  const std::string text =
      read_file(std::string(DUMPMILL_TEST_DATA) + "/records/samples-votes.jsonl");
  ASSERT_EQ(text.size(), 1323u);
  const RecordSpec spec = parse_record_spec(kVotesJob, "votes.ini");
  VoteStats s;
  const auto out = parse_votes(spec, text, s);
  EXPECT_EQ(out.rows, 16u);
  EXPECT_EQ(out.rejected, 0u);
  EXPECT_EQ(s.id_sum, 153 - 3);  // Ids 1..17 without 3
  EXPECT_EQ(s.by_type[2], 12);
  EXPECT_EQ(s.by_type[3], 4);
  EXPECT_EQ(s.by_week.size(), 9u);
  using T = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
  EXPECT_EQ(outliers(s), (std::vector<T>{T{2022, 0, 1}, T{2022, 1, 3}, T{2022, 2, 3}, T{2022, 5, 1},
                                         T{2022, 6, 1}, T{2022, 8, 1}}));
}

// The full 40,299-row file. Expected figures: ../shared/data/SOURCES.md (rows, VoteTypeId
// counts, UserId/BountyAmount presence, date range) and an independent python3 run:
//   python3 -c 'import json,collections,datetime; rows=[json.loads(l) for l in
//   open("votes.jsonl")]; wk=collections.Counter((d.year,int(d.strftime("%W"))) for d in
//   (datetime.datetime.strptime(r["CreationDate"],"%Y-%m-%dT%H:%M:%S.%f") for r in rows));
//   m=sum(wk.values())/len(wk); print(len(rows), sum(int(r["Id"]) for r in rows), len(wk),
//   sum(abs(1-v/m)>0.2 for v in wk.values()))'
// -> 40299 924740374 239 162.
TEST(VotesData, FullVotesFileMatchesIndependentCounts) {
  const std::string path = std::string(DUMPMILL_SHARED_DATA) + "/ee_votes/votes.jsonl";
  if (!file_exists(path)) GTEST_SKIP() << path << " not present (shared data not mounted)";
  const std::string text = read_file(path);
  ASSERT_EQ(text.size(), 3618972u);
  const RecordSpec spec = parse_record_spec(kVotesJob, "votes.ini");
  VoteStats s;
  const auto out = parse_votes(spec, text, s);
  EXPECT_EQ(out.rows, 40299u);
  EXPECT_EQ(out.rejected, 0u);
  EXPECT_EQ(s.id_sum, 924740374);
  const std::map<std::int64_t, std::int64_t> want_types{
      {2, 29839}, {3, 3022}, {5, 2503}, {1, 1910}, {16, 1257}, {10, 1087},
      {15, 434},  {8, 73},   {9, 73},   {12, 52},  {11, 48},   {4, 1}};
  EXPECT_EQ(s.by_type, want_types);
  EXPECT_EQ(s.with_user, 2576);
  EXPECT_EQ(s.with_bounty, 116);
  EXPECT_EQ(s.min_day, *days_from_civil(2017, 2, 28));
  EXPECT_EQ(s.max_day, *days_from_civil(2021, 9, 4));
  EXPECT_EQ(s.by_week.size(), 239u);
  EXPECT_EQ(outliers(s).size(), 162u);
}

// NASA HTTP log (TSV with header, unix seconds, two trailing empty fields per row).
TEST(EventsData, NasaLogWithHeaderAndUnixTimes) {
  const std::string path = std::string(DUMPMILL_SHARED_DATA) + "/events/nasa_19950701_sample.tsv";
  if (!file_exists(path)) GTEST_SKIP() << path << " not present (shared data not mounted)";
  const RecordSpec spec = parse_record_spec(R"(
[job]
format = tsv
[format]
header = true
[schema]
columns = host:string time:timestamp url:string response:int64 bytes:int64?
derive = day = date(time), hour = hour(time)
[column.time]
format = unix
)",
                                            "events.ini");
  std::set<std::string> hosts;
  std::int64_t first = INT64_MAX, last = INT64_MIN;
  const std::size_t time = *spec.find("time");
  const auto out = run_records(spec, read_file(path), [&](const Row& r) {
    hosts.emplace(r.values[0].text);
    first = std::min(first, r.values[time].i64);
    last = std::max(last, r.values[time].i64);
  });
  EXPECT_EQ(out.headers, 1u);
  EXPECT_TRUE(spec.format.header);
  EXPECT_EQ(out.rows + out.rejected, 9999u);
  EXPECT_EQ(out.rows, 9999u) << "first reject: "
                             << (out.rejects.empty()
                                     ? ""
                                     : parse::reject_reason_name(out.rejects[0].reason));
  EXPECT_EQ(hosts.size(), 936u);  // SOURCES.md
  // 04:00:01-07:39:44 UTC on 1995-07-01 (SOURCES.md).
  EXPECT_EQ(first,
            (*days_from_civil(1995, 7, 1) * kSecondsPerDay + 4 * 3600 + 1) * kMicrosPerSecond);
  EXPECT_EQ(last, (*days_from_civil(1995, 7, 1) * kSecondsPerDay + 7 * 3600 + 39 * 60 + 44) *
                      kMicrosPerSecond);
}

// Wikispeedia: 16 `#` comment lines and a blank line, then headerless TSV.
TEST(EventsData, WikispeediaWithCommentsAndBlankLine) {
  const std::string path =
      std::string(DUMPMILL_SHARED_DATA) + "/events/wikispeedia_paths_unfinished.tsv";
  if (!file_exists(path)) GTEST_SKIP() << path << " not present (shared data not mounted)";
  const RecordSpec spec = parse_record_spec(R"(
[job]
format = tsv
[format]
comment = hash
skip_empty = true
[schema]
columns = user:string time:timestamp duration:int64 path:string target:string type:string
extra = reject
[column.time]
format = unix
[column.type]
allowed = restart, timeout
)",
                                            "events.ini");
  std::set<std::string> users;
  const auto out =
      run_records(spec, read_file(path), [&](const Row& r) { users.emplace(r.values[0].text); });
  EXPECT_EQ(out.skipped, 17u);
  EXPECT_EQ(out.rejected, 0u);
  EXPECT_EQ(out.rows, 24875u);
  EXPECT_EQ(users.size(), 11485u);  // SOURCES.md: distinct hashed IPs
}

}  // namespace
}  // namespace dumpmill::records
