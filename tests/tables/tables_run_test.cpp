// Distributed dedup and tables over in-process ranks: keep rules, aggregates, having, events.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dumpmill/records/timestamp.hpp"
#include "tables_test_util.hpp"

namespace dumpmill::tables {
namespace {

using testing::Job;
using testing::parse_job;
using testing::run_job;
using testing::TableRows;

constexpr std::string_view kRecords = R"(
[job]
format = tsv
[schema]
columns = Id:int64 user:string secs:float64 n:uint64 ts:timestamp
)";

// Id 1: a (f0, first), c (f0, latest ts), e (f1, last). Id 2: b, f, and an exact repeat of b
// in f1. Id 3: d and g with equal ts (max tie -> the first, d).
const std::vector<std::string> kKeepFiles{
    "1\ta\t1\t10\t2020-01-01T00:00:00\n"
    "2\tb\t2\t20\t2020-01-02T00:00:00\n"
    "1\tc\t3\t30\t2020-01-05T00:00:00\n"
    "3\td\t4\t40\t2020-01-03T00:00:00\n",
    "1\te\t5\t50\t2020-01-03T00:00:00\n"
    "2\tf\t6\t60\t2020-01-01T00:00:00\n"
    "2\tb\t2\t20\t2020-01-02T00:00:00\n"
    "3\tg\t7\t70\t2020-01-03T00:00:00\n"};

TableRows keep_table(const std::string& dedup, int ranks, TablesCounters* total = nullptr) {
  const Job job = parse_job(std::string(kRecords) + dedup + "[table.kept]\ncolumns = Id, user\n");
  // 64-byte rounds: every few rows a collective round, so rows cross rounds and ranks.
  auto out = run_job(job, kKeepFiles, ranks, TablesOptions{64});
  if (total != nullptr) *total = out.total;
  return out.tables.at("kept");
}

TEST(TablesDedup, KeepRulesFollowInputOrderAtEveryRankCount) {
  for (int ranks = 1; ranks <= 4; ++ranks) {
    SCOPED_TRACE(ranks);
    TablesCounters total;
    EXPECT_EQ(keep_table("[dedup]\nby = Id\nkeep = first\n", ranks, &total),
              (TableRows{{"1", "a"}, {"2", "b"}, {"3", "d"}}));
    EXPECT_EQ(total.rows_in, 8u);
    EXPECT_EQ(total.rows_kept, 3u);
    EXPECT_EQ(total.duplicates_dropped, 5u);
    EXPECT_EQ(total.rows_out, std::vector<std::uint64_t>{3});
    EXPECT_EQ(keep_table("[dedup]\nby = Id\nkeep = last\n", ranks),
              (TableRows{{"1", "e"}, {"2", "b"}, {"3", "g"}}));
    EXPECT_EQ(keep_table("[dedup]\nby = Id\nkeep = max(ts)\n", ranks),
              (TableRows{{"1", "c"}, {"2", "b"}, {"3", "d"}}));
    EXPECT_EQ(keep_table("[dedup]\nby = Id\nkeep = max(user)\n", ranks),
              (TableRows{{"1", "e"}, {"2", "f"}, {"3", "g"}}));
    EXPECT_EQ(
        keep_table("[dedup]\nby = exact\n", ranks, &total),
        (TableRows{
            {"1", "a"}, {"1", "c"}, {"1", "e"}, {"2", "b"}, {"2", "f"}, {"3", "d"}, {"3", "g"}}));
    EXPECT_EQ(total.duplicates_dropped, 1u);
    EXPECT_EQ(keep_table("", ranks, &total).size(), 8u);
    EXPECT_EQ(total.duplicates_dropped, 0u);
  }
}

// A rows table without dedup keeps every row; having filters rows by row columns.
TEST(TablesDedup, RowsTableHavingWithoutDedup) {
  const Job job = parse_job(std::string(kRecords) + "[table.t]\ncolumns = *\nhaving = user >= c\n");
  for (int ranks = 1; ranks <= 3; ++ranks) {
    const auto out = run_job(job, kKeepFiles, ranks);
    TableRows ids;
    for (const auto& r : out.tables.at("t")) ids.push_back({r[0], r[1]});
    EXPECT_EQ(ids, (TableRows{{"1", "c"}, {"1", "e"}, {"2", "f"}, {"3", "d"}, {"3", "g"}}));
    EXPECT_EQ(out.total.rows_out, std::vector<std::uint64_t>{5});
    EXPECT_EQ(out.total.exchange_rounds, 0u);  // nothing moves without dedup
  }
}

// Generated rows with nulls and later duplicates; every aggregate checked against a
// reference computed here, and the tables identical at 1..4 ranks.
struct Generated {
  std::vector<std::string> files;
  TableRows expected;  // table "g" of kAggJob
  std::size_t rows = 0;
};

constexpr std::string_view kAggJob = R"(
[job]
format = tsv
[schema]
columns = Id:int64 g:int64 user:string? secs:float64? n:uint64
[dedup]
by = Id
keep = last
[table.g]
group_by = g
aggregates = C = count(), U = count_distinct(user), CU = count(user), A = mean(secs), S = sum(n), Lo = min(user), Hi = max(secs)
having = C >= 150
)";

std::string fmt(double v) {
  ColumnData c;
  c.type = records::ColumnType::kFloat64;
  records::Value x;
  x.null = false;
  x.f64 = v;
  c.append(x);
  return testing::cell(c, 0);
}

Generated generate() {
  struct Rec {
    std::int64_t g;
    std::string user;  // "" = null
    double secs;       // < 0 = null
    std::uint64_t n;
  };
  std::map<std::int64_t, Rec> last;  // Id -> kept row (keep = last)
  std::string f0;
  std::string f1;
  Generated gen;
  const auto emit = [&](std::string& f, std::int64_t id, const Rec& r) {
    f += std::to_string(id) + "\t" + std::to_string(r.g) + "\t" +
         (r.user.empty() ? std::string("\\N") : r.user) + "\t" +
         (r.secs < 0 ? std::string("\\N") : fmt(r.secs)) + "\t" + std::to_string(r.n) + "\n";
    last[id] = r;
    ++gen.rows;
  };
  for (std::int64_t i = 0; i < 1500; ++i) {
    const Rec r{i % 11, i % 9 == 0 ? "" : "u" + std::to_string(i % 37),
                i % 17 == 0 ? -1.0 : static_cast<double>(i % 13) * 0.5,
                static_cast<std::uint64_t>(i % 7) + (std::uint64_t{1} << 40)};
    emit(f0, i, r);
  }
  for (std::int64_t i = 0; i < 1500; i += 5) {  // later duplicates: these win under keep=last
    const Rec r{(i / 5) % 4, "late" + std::to_string(i % 3), 100.0 + static_cast<double>(i % 2), 3};
    emit(f1, i, r);
  }
  struct Group {
    std::int64_t c = 0, cu = 0, secs_n = 0;
    double secs = 0, hi = -1;
    std::uint64_t s = 0;
    std::set<std::string> users;
  };
  std::map<std::int64_t, Group> groups;
  for (const auto& [id, r] : last) {
    Group& g = groups[r.g];
    ++g.c;
    if (!r.user.empty()) {
      ++g.cu;
      g.users.insert(r.user);
    }
    if (r.secs >= 0) {
      g.secs += r.secs;
      ++g.secs_n;
      g.hi = std::max(g.hi, r.secs);
    }
    g.s += r.n;
  }
  for (const auto& [key, g] : groups) {
    if (g.c < 150) continue;
    gen.expected.push_back({std::to_string(key), std::to_string(g.c),
                            std::to_string(g.users.size()), std::to_string(g.cu),
                            fmt(g.secs / static_cast<double>(g.secs_n)), std::to_string(g.s),
                            *g.users.begin(), fmt(g.hi)});
  }
  std::sort(gen.expected.begin(), gen.expected.end());
  gen.files = {f0, f1};
  return gen;
}

TEST(TablesAggregates, EveryAggregateMatchesTheReferenceAtOneToFourRanks) {
  const Generated gen = generate();
  const Job job = parse_job(kAggJob);
  ASSERT_GE(gen.expected.size(), 3u);
  ASSERT_LT(gen.expected.size(), 11u);  // having dropped some groups
  for (int ranks = 1; ranks <= 4; ++ranks) {
    SCOPED_TRACE(ranks);
    const auto out = run_job(job, gen.files, ranks, TablesOptions{512});
    EXPECT_EQ(out.tables.at("g"), gen.expected);
    EXPECT_EQ(out.total.rows_in, gen.rows);
    EXPECT_EQ(out.total.duplicates_dropped, 300u);
    EXPECT_EQ(out.total.rows_out, std::vector<std::uint64_t>{gen.expected.size()});
    if (ranks > 1) {
      EXPECT_GT(out.total.exchange_rounds, 10u);
    }
  }
}

TEST(TablesAggregates, NoGroupByIsOneWholeTableGroupAndHavingCanDropIt) {
  const Generated gen = generate();
  Job job = parse_job(
      "[job]\nformat = tsv\n[schema]\ncolumns = Id:int64 g:int64 user:string? secs:float64? "
      "n:uint64\n[table.all]\naggregates = C = count(), U = count_distinct(g)\n"
      "[table.none]\naggregates = C = count()\nhaving = C < 0\n");
  for (int ranks = 1; ranks <= 3; ++ranks) {
    const auto out = run_job(job, gen.files, ranks);
    EXPECT_EQ(out.tables.at("all"), (TableRows{{std::to_string(gen.rows), "11"}}));
    EXPECT_TRUE(out.tables.at("none").empty());
  }
}

// Event-log style: per (url, day) clicks, exact distinct hosts and bytes, NASA TSV layout
// (header, unix seconds, two trailing empty fields).
TEST(TablesEvents, ClicksAndDistinctHostsPerUrlAndDay) {
  const std::string header = "host\tlogname\ttime\tmethod\turl\tresponse\tbytes\n";
  const auto line = [](const std::string& host, long t, const std::string& url, const char* bytes) {
    return host + "\t-\t" + std::to_string(t) + "\tGET\t" + url + "\t200\t" + bytes + "\t\t\n";
  };
  const long d1 = 804571201;  // 1995-07-01 04:00:01 UTC
  const long d2 = d1 + 86400;
  const std::vector<std::string> files{
      header + line("a.com", d1, "/x", "10") + line("b.com", d1 + 5, "/x", "20") +
          line("a.com", d1 + 9, "/x", "30") + line("a.com", d1 + 12, "/y", "-") +
          line("c.com", d2, "/x", "1"),
      header + line("b.com", d1 + 100, "/x", "5") + line("c.com", d2 + 1, "/x", "2") +
          line("c.com", d2 + 2, "/x", "3")};
  const Job job = parse_job(R"(
[job]
format = tsv
[format]
header = true
null = -
[schema]
columns = host:string time:timestamp url:string response:int64 bytes:int64?
derive = day = date(time)
[column.time]
format = unix
[table.clicks]
group_by = url, day
aggregates = Clicks = count(), Hosts = count_distinct(host), Bytes = sum(bytes)
)");
  const std::string day1 = std::to_string(*records::days_from_civil(1995, 7, 1));
  const std::string day2 = std::to_string(*records::days_from_civil(1995, 7, 2));
  for (int ranks = 1; ranks <= 4; ++ranks) {
    SCOPED_TRACE(ranks);
    const auto out = run_job(job, files, ranks);
    EXPECT_EQ(out.total.rows_in, 8u);
    EXPECT_EQ(out.tables.at("clicks"), (TableRows{{"/x", day1, "4", "2", "65"},
                                                  {"/x", day2, "3", "1", "6"},
                                                  {"/y", day1, "1", "1", "NULL"}}));
  }
}

}  // namespace
}  // namespace dumpmill::tables
