// Publishing by rename: final names appear only complete; reject parts merge under one header.
#include "dumpmill/cli/output_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {
namespace {
namespace fs = std::filesystem;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(OutputFiles, MergesRejectPartsAndPublishesAtomically) {
  const fs::path dir = fs::temp_directory_path() / ("dumpmill-out-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  JobConfig job;
  job.output_dir = dir.string();
  job.sqlite_name = "c.sqlite";
  const OutputFiles out(job, "t1");
  std::ofstream(out.rejects_part(0)) << "file\tbyte_offset\treason\tline\na\t1\tbad_count\tx\n";
  std::ofstream(out.rejects_part(1)) << "file\tbyte_offset\treason\tline\n";
  std::ofstream(out.rejects_part(2)) << "file\tbyte_offset\treason\tline\nb\t9\tfield_count\ty\n";
  out.stage_rejects(3);
  EXPECT_FALSE(fs::exists(out.rejects_final())) << "staged, not yet published";
  EXPECT_EQ(slurp(out.rejects_staged()),
            "file\tbyte_offset\treason\tline\na\t1\tbad_count\tx\nb\t9\tfield_count\ty\n");
  for (int r = 0; r < 3; ++r) EXPECT_FALSE(fs::exists(out.rejects_part(r)));
  EXPECT_THROW(out.stage_rejects(1), OutputError) << "a missing part is an error, not silence";

  // publish() needs every staged file: with the HDF5 one missing nothing is published.
  EXPECT_THROW(out.publish("{}"), OutputError);
  EXPECT_FALSE(fs::exists(out.report_final()));
  std::ofstream(out.hdf5_staged()) << "h5";
  std::ofstream(out.sqlite_staged()) << "db";
  out.stage_rejects(0);
  out.publish("{\"a\": 1}\n");
  EXPECT_EQ(slurp(out.hdf5_final()), "h5");
  EXPECT_EQ(slurp(out.sqlite_final()), "db");
  EXPECT_EQ(slurp(out.rejects_final()), "");
  EXPECT_EQ(slurp(out.report_final()), "{\"a\": 1}\n");
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  EXPECT_THROW(write_file_atomically((dir / "missing" / "x.json").string(), "x"), OutputError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dumpmill::cli
