// Job files: every key validated, flags override, clear messages naming the file and the key.
#include "dumpmill/cli/job_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {
namespace {
namespace fs = std::filesystem;

class JobConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dumpmill-job-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "jobs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string job(const std::string& text) {
    const auto p = (dir_ / "jobs" / "j.ini").string();
    std::ofstream(p) << text;
    return p;
  }
  std::string error_of(const std::string& text, const JobOverrides& o = {}) {
    try {
      load_job(job(text), o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(JobConfigTest, TheShippedJobLoadsWithItsDefaults) {
  const JobConfig j = load_job(std::string(DUMPMILL_SOURCE_DIR) + "/jobs/clickstream.ini", {});
  EXPECT_EQ(j.name, "clickstream");
  ASSERT_EQ(j.inputs.size(), 1u);
  EXPECT_TRUE(fs::exists(j.inputs[0])) << j.inputs[0] << " (relative to the job file)";
  EXPECT_EQ(j.memory_per_rank, 1ull << 30);
  EXPECT_EQ(j.max_line, 1u << 20);
  EXPECT_EQ(j.sqlite_name, "clickstream.sqlite");
}

TEST_F(JobConfigTest, PathsAreRelativeToTheJobFileAndFlagsWin) {
  const std::string p =
      job("[input]\npaths = ../data/a.tsv\npaths = /abs/b.tsv\n[output]\ndir = ../out\n");
  JobConfig j = load_job(p, {});
  ASSERT_EQ(j.inputs.size(), 2u);
  EXPECT_EQ(j.inputs[0], (dir_ / "data" / "a.tsv").string());
  EXPECT_EQ(j.inputs[1], "/abs/b.tsv");
  EXPECT_EQ(j.output_dir, (dir_ / "out").string());
  EXPECT_EQ(j.index_cache, (dir_ / "out" / ".index").string());
  JobOverrides o;
  o.inputs = {"x.tsv.gz"};
  o.output_dir = "elsewhere";
  o.range_size = "64KiB";
  o.no_sqlite = true;
  j = load_job(p, o);
  EXPECT_EQ(j.inputs, std::vector<std::string>{"x.tsv.gz"});
  EXPECT_EQ(j.output_dir, "elsewhere");
  EXPECT_EQ(j.range_size, 64u << 10);
  EXPECT_TRUE(j.sqlite_name.empty());
}

TEST_F(JobConfigTest, RejectsUnknownKeysAndBadValuesNamingThem) {
  const std::string in = "[input]\npaths = a.tsv\n";
  {
    const std::string e = error_of(in + "[run]\nrange_sise = 4MiB\n");
    EXPECT_NE(e.find("j.ini"), std::string::npos) << e;
    EXPECT_NE(e.find("run.range_sise"), std::string::npos) << e;
  }
  EXPECT_NE(error_of(in + "[dedup]\nrule = fuzzy\n").find("dedup.rule = 'fuzzy'"),
            std::string::npos);
  EXPECT_NE(error_of(in + "[job]\nformat = parquet\n").find("job.format"), std::string::npos);
  EXPECT_NE(error_of(in + "[run]\nmemory_per_rank = lots\n").find("run.memory_per_rank"),
            std::string::npos);
  EXPECT_NE(error_of(in + "[run]\nshuffle_round = 1GiB\n").find("256MiB"), std::string::npos);
  EXPECT_NE(error_of(in + "[schema]\ncolumns = a:int\n").find("schema.columns"), std::string::npos);
  EXPECT_NE(error_of(in + "[output]\nhdf5 = ../x.h5\n").find("plain names"), std::string::npos);
  EXPECT_NE(error_of(in + "[tables]\npairs = maybe\n").find("tables.pairs"), std::string::npos);
  EXPECT_NE(error_of("[job]\nname = x\n").find("no input"), std::string::npos);
  JobOverrides o;
  o.progress = "sometimes";
  EXPECT_NE(error_of(in, o).find("--progress"), std::string::npos);
  EXPECT_NE(error_of("[input\npaths = a\n").find("j.ini"), std::string::npos);
}

TEST_F(JobConfigTest, MissingJobFileIsAConfigError) {
  EXPECT_THROW(load_job((dir_ / "nope.ini").string(), {}), ConfigError);
}

TEST_F(JobConfigTest, ReferenceListsEveryKey) {
  const std::string ref = job_file_reference();
  for (const char* key : {"input.paths", "dedup.rule", "output.sqlite", "run.memory_per_rank",
                          "run.gzip_split_min", "tables.articles"})
    EXPECT_NE(ref.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace dumpmill::cli
