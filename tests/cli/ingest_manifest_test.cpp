// The ingest manifest and the landing scan: versions, statuses, recovery, checksums, stems.
#include "dumpmill/cli/ingest_manifest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "dumpmill/cli/ingest_landing.hpp"
#include "dumpmill/core/error.hpp"

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
  EXPECT_EQ(m.recover_running(), 1);
  const std::optional<InputVersion> ra = m.latest("a.tsv");
  ASSERT_TRUE(ra.has_value());
  EXPECT_EQ(ra->status, InputStatus::kPending);
  EXPECT_NE(ra->message.find("pid 999999"), std::string::npos) << ra->message;
  EXPECT_EQ(m.latest("b.tsv")->status, InputStatus::kDone) << "done rows are left alone";
  EXPECT_EQ(m.recover_running(), 0);
  m.update_seen(a, "/elsewhere/a.tsv", FileStat{7, 8, 9, 10});
  EXPECT_EQ(m.latest("a.tsv")->path, "/elsewhere/a.tsv");
  EXPECT_EQ(m.latest("a.tsv")->stat, (FileStat{7, 8, 9, 10}));
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
