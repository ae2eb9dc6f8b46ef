// The ingest manifest and the landing scan: versions, statuses, recovery, checksums, stems.
#include "dumpmill/cli/ingest_manifest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dumpmill/cli/ingest_landing.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/db.hpp"

namespace dumpmill::cli {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir(const char* name) {
  const fs::path d = fs::temp_directory_path() /
                     ("dumpmill-" + std::string(name) + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

InputVersion version_of(const std::string& name, std::int64_t n, const std::string& checksum) {
  InputVersion v;
  v.name = name;
  v.path = "/landing/" + name;
  v.stat = {100, 1, 2, 3};
  v.checksum = checksum;
  v.job = "clickstream";
  v.version = n;
  v.result_dir = "results/x/v" + std::to_string(n);
  return v;
}

TEST(Manifest, VersionsAndStatusesSurviveReopening) {
  const fs::path dir = temp_dir("manifest");
  const std::string path = (dir / "manifest.sqlite").string();
  {
    Manifest m(path);
    EXPECT_FALSE(m.latest("a.tsv.gz").has_value());
    const std::int64_t v1 = m.add(version_of("a.tsv.gz", 1, "00000000000000aa"));
    m.mark_running(v1, 4242, "2024-12-01T04:00:00Z");
    m.mark_done(v1, 1039, 1.5, "2024-12-01T04:00:02Z");
    const std::int64_t v2 = m.add(version_of("a.tsv.gz", 2, "00000000000000bb"));
    m.mark_running(v2, 4243, "2024-12-02T04:00:00Z");
    m.mark_failed(v2, "a.tsv.gz: truncated at byte 77", "2024-12-02T04:00:01Z");
    EXPECT_THROW(m.add(version_of("a.tsv.gz", 2, "00000000000000cc")), OutputError)
        << "(name, version) is unique";
  }
  Manifest m(path);
  const std::optional<InputVersion> latest = m.latest("a.tsv.gz");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->status, InputStatus::kFailed);
  EXPECT_EQ(latest->message, "a.tsv.gz: truncated at byte 77");
  EXPECT_EQ(latest->checksum, "00000000000000bb");
  const std::vector<InputVersion> all = m.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].status, InputStatus::kDone);
  EXPECT_EQ(all[0].records_read, 1039);
  EXPECT_EQ(all[0].holder_pid, 4242);
  EXPECT_EQ(all[0].stat, (FileStat{100, 1, 2, 3}));
  EXPECT_EQ(all[0].finished_utc, "2024-12-01T04:00:02Z");
  fs::remove_all(dir);
}

TEST(Manifest, RunningRowsOfADeadHolderBecomePending) {
  const fs::path dir = temp_dir("manifest-recover");
  Manifest m((dir / "manifest.sqlite").string());
  const std::int64_t a = m.add(version_of("a.tsv", 1, "1"));
  const std::int64_t b = m.add(version_of("b.tsv", 1, "2"));
  m.mark_running(a, 999999, "t");
  m.mark_running(b, 999999, "t");
  m.mark_done(b, 5, 0.1, "t2");
  EXPECT_EQ(m.recover_running().redone, 1);
  const std::optional<InputVersion> ra = m.latest("a.tsv");
  ASSERT_TRUE(ra.has_value());
  EXPECT_EQ(ra->status, InputStatus::kPending);
  EXPECT_NE(ra->message.find("pid 999999"), std::string::npos) << ra->message;
  EXPECT_EQ(m.latest("b.tsv")->status, InputStatus::kDone) << "done rows are left alone";
  EXPECT_EQ(m.recover_running().redone, 0);
  m.update_seen(a, "/elsewhere/a.tsv", FileStat{7, 8, 9, 10});
  EXPECT_EQ(m.latest("a.tsv")->path, "/elsewhere/a.tsv");
  EXPECT_EQ(m.latest("a.tsv")->stat, (FileStat{7, 8, 9, 10}));
  fs::remove_all(dir);
}

TEST(Manifest, AttemptsCountRunsSinceTheLastOneThatFinished) {
  const fs::path dir = temp_dir("manifest-attempts");
  Manifest m((dir / "manifest.sqlite").string());
  const std::int64_t a = m.add(version_of("a.tsv", 1, "1"));
  EXPECT_EQ(m.latest("a.tsv")->attempts, 0);
  m.mark_running(a, 1, "t");
  m.mark_running(a, 2, "t");
  EXPECT_EQ(m.latest("a.tsv")->attempts, 2);
  m.mark_dying(a, "rank 0: a.tsv: bad", "t2");
  EXPECT_EQ(m.latest("a.tsv")->status, InputStatus::kFailed);
  EXPECT_EQ(m.latest("a.tsv")->attempts, 2) << "a run that dies still counts";
  m.mark_running(a, 3, "t");
  m.mark_failed(a, "a.tsv: truncated at byte 7", "t2");
  EXPECT_EQ(m.latest("a.tsv")->attempts, 0) << "every rank saw it: the run finished";
  EXPECT_FALSE(gave_up(*m.latest("a.tsv")));
  m.mark_running(a, 4, "t");
  m.mark_done(a, 5, 0.1, "t2");
  EXPECT_EQ(m.latest("a.tsv")->attempts, 0);
  fs::remove_all(dir);
}

TEST(Manifest, AnOldManifestGainsTheAttemptsColumnInPlace) {
  const fs::path dir = temp_dir("manifest-upgrade");
  const std::string path = (dir / "manifest.sqlite").string();
  {
    // The schema as written before `attempts`, with a row left running by the old binary.
    sql::Db old(path);
    old.exec(R"(
CREATE TABLE IF NOT EXISTS inputs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  job TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  message TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL,
  result_dir TEXT NOT NULL,
  holder_pid INTEGER NOT NULL DEFAULT 0,
  started_utc TEXT NOT NULL DEFAULT '',
  finished_utc TEXT NOT NULL DEFAULT '',
  records_read INTEGER NOT NULL DEFAULT 0,
  seconds REAL NOT NULL DEFAULT 0,
  UNIQUE (name, version));
INSERT INTO inputs (name, path, size, mtime_ns, ctime_ns, inode, checksum, job, status, version,
                    result_dir, holder_pid)
  VALUES ('a.tsv', '/landing/a.tsv', 1, 2, 3, 4, 'aa', 'clickstream', 'running', 1,
          'results/a/v1', 777);
)");
  }
  {
    Manifest m(path);
    const std::optional<InputVersion> a = m.latest("a.tsv");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->attempts, 0);
    EXPECT_EQ(a->holder_pid, 777) << "old rows are kept";
    m.mark_running(a->id, 778, "t");
    EXPECT_EQ(m.latest("a.tsv")->attempts, 1);
  }
  Manifest reopened(path);  // the column exists now: no second ALTER TABLE (it would throw)
  EXPECT_EQ(reopened.latest("a.tsv")->attempts, 1);
  EXPECT_EQ(reopened.all().size(), 1u);
  fs::remove_all(dir);
}

TEST(Manifest, GivesUpOnTheThirdAttemptThatDied) {
  const fs::path dir = temp_dir("manifest-give-up");
  Manifest m((dir / "manifest.sqlite").string());
  const std::int64_t a = m.add(version_of("a.tsv", 1, "1"));
  const std::int64_t b = m.add(version_of("b.tsv", 1, "2"));
  for (int attempt = 1; attempt < kMaxAttempts; ++attempt) {
    m.mark_running(a, 100 + attempt, "t");
    const Manifest::Recovered r = m.recover_running();
    EXPECT_EQ(r.redone, 1) << "attempt " << attempt;
    EXPECT_EQ(r.given_up, 0) << "attempt " << attempt;
    EXPECT_EQ(m.latest("a.tsv")->status, InputStatus::kPending);
  }
  m.mark_running(a, 103, "t");
  m.mark_running(b, 103, "t");  // b's first death: redone, not given up
  const Manifest::Recovered r = m.recover_running();
  EXPECT_EQ(r.given_up, 1);
  EXPECT_EQ(r.redone, 1);
  const std::optional<InputVersion> ra = m.latest("a.tsv");
  EXPECT_EQ(ra->status, InputStatus::kFailed);
  EXPECT_EQ(ra->attempts, 3);
  EXPECT_EQ(ra->message,
            "gave up after 3 attempts that did not finish (the run died); replace the file to "
            "retry");
  EXPECT_TRUE(gave_up(*ra));
  EXPECT_EQ(m.latest("b.tsv")->status, InputStatus::kPending);
  EXPECT_FALSE(gave_up(*m.latest("b.tsv")));
  const Manifest::Recovered again = m.recover_running();
  EXPECT_EQ(again.redone + again.given_up, 0) << "a given-up row is not running";
  fs::remove_all(dir);
}

TEST(Manifest, AGivenUpRowStaysAndAChangedFileIsANewVersion) {
  const fs::path dir = temp_dir("manifest-given-up");
  const std::string path = (dir / "manifest.sqlite").string();
  {
    Manifest m(path);
    const std::int64_t a = m.add(version_of("a.tsv", 1, "1"));
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      m.mark_running(a, 100, "t");
      m.recover_running();
    }
  }
  Manifest m(path);  // the next day's ingest
  EXPECT_EQ(m.recover_running().given_up, 0);
  EXPECT_TRUE(gave_up(*m.latest("a.tsv"))) << "still given up after reopening";
  InputVersion v2 = version_of("a.tsv", 2, "2");
  m.add(v2);
  const std::optional<InputVersion> latest = m.latest("a.tsv");
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->status, InputStatus::kPending);
  EXPECT_FALSE(gave_up(*latest));
  EXPECT_EQ(m.all().front().message.rfind("gave up after 3 attempts", 0), 0u)
      << "v1 keeps the record of why";
  fs::remove_all(dir);
}

TEST(Manifest, StatusNamesRoundTrip) {
  for (InputStatus s :
       {InputStatus::kPending, InputStatus::kRunning, InputStatus::kDone, InputStatus::kFailed})
    EXPECT_EQ(parse_status(status_name(s)), s);
  EXPECT_THROW(parse_status("finished"), OutputError);
}

TEST(Landing, ListsInputsByNameAndSkipsPartialAndOwnFiles) {
  const fs::path dir = temp_dir("landing");
  for (const char* name :
       {"b.tsv.gz", "a.tsv", ".a.tsv.gz.XYZ123", "c.tsv.gz.part", "d.tmp", "a.tsv.dmidx", "e.zst"})
    std::ofstream(dir / name) << "x";
  fs::create_directories(dir / "sub.tsv");
  std::vector<std::string> names;
  for (const LandingFile& f : list_landing(dir.string())) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a.tsv", "b.tsv.gz", "e.zst"}));
  EXPECT_THROW(list_landing((dir / "missing").string()), ConfigError);
  fs::remove_all(dir);
}

TEST(Landing, ChecksumSeesAnEditInTheMiddleAndStatSeesARewrite) {
  const fs::path dir = temp_dir("checksum");
  const std::string path = (dir / "dump.tsv").string();
  // 5 MiB: larger than the plan's fingerprint (first and last MiB), so the edit in the middle
  // is only visible to a whole-file hash.
  std::string data(5 << 20, 'a');
  std::ofstream(path, std::ios::binary) << data;
  const std::string before = file_checksum(path);
  const FileStat stat_before = stat_file(path);
  EXPECT_EQ(before.size(), 16u);
  EXPECT_EQ(file_checksum(path), before) << "deterministic";
  data[data.size() / 2] = 'b';
  // Timestamps advance in clock ticks (1-10 ms); the ingest rehashes files younger than 2 s.
  ::usleep(50'000);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  EXPECT_NE(file_checksum(path), before);
  const FileStat stat_after = stat_file(path);
  EXPECT_EQ(stat_after.size, stat_before.size);
  EXPECT_FALSE(stat_after == stat_before) << "a rewrite of the same size changes ctime";
  EXPECT_THROW(file_checksum((dir / "missing").string()), InputError);
  fs::remove_all(dir);
}

TEST(Landing, ResultStemDropsCompressionThenFormat) {
  EXPECT_EQ(result_stem("clickstream-enwiki-2024-11.tsv.gz"), "clickstream-enwiki-2024-11");
  EXPECT_EQ(result_stem("clickstream-dewiki-2024-11.tsv.zst"), "clickstream-dewiki-2024-11");
  EXPECT_EQ(result_stem("clickstream-frwiki-2024-11.tsv"), "clickstream-frwiki-2024-11");
  EXPECT_EQ(result_stem("votes.jsonl.gz"), "votes");
  EXPECT_EQ(result_stem("README"), "README");
  EXPECT_EQ(result_stem(".gz"), ".gz") << "never an empty stem";
}

}  // namespace
}  // namespace dumpmill::cli
