// The plan: input expansion, codec/schema detection, and ranges that tile every input exactly.
#include "dumpmill/plan/plan.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "dumpmill/parse/range_scanner.hpp"
#include "dumpmill/plan/range_reader.hpp"

namespace dumpmill::plan {
namespace {
namespace fs = std::filesystem;

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dumpmill-plan-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // gzip members concatenated (one member when parts has one element), level 6.
  std::string write_gzip(const std::string& name, const std::vector<std::string>& parts) {
    const auto p = (dir_ / name).string();
    std::FILE* f = std::fopen(p.c_str(), "wb");
    for (const auto& part : parts) {
      z_stream z{};
      deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
      std::string out(deflateBound(&z, part.size()) + 64, '\0');
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
      z.avail_in = static_cast<uInt>(part.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
      std::fwrite(out.data(), 1, z.total_out, f);
      deflateEnd(&z);
    }
    std::fclose(f);
    return p;
  }
  fs::path dir_;
};

// Clickstream-like lines that compress about 2:1, so a few MiB of gzip hold many checkpoints.
std::string make_lines(std::size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
  for (std::size_t i = 0; i < count; ++i) {
    for (int t = 0; t < 2; ++t) {
      const int len = 5 + static_cast<int>(rng() % 30);
      for (int k = 0; k < len; ++k) s += kAlphabet[rng() % 63];
      s += '\t';
    }
    s += (i % 3 == 0 ? "link\t" : "other\t") + std::to_string(10 + rng() % 100000) + "\n";
  }
  return s;
}

// All lines owned by every range of the plan, in plan order, as (file, offset, text).
std::vector<std::tuple<std::uint32_t, std::uint64_t, std::string>> read_all(const Plan& plan) {
  std::vector<std::tuple<std::uint32_t, std::uint64_t, std::string>> out;
  for (const auto& r : plan.ranges) {
    auto reader = open_range(plan.files[r.file], r, 1 << 16);
    parse::RangeScanner scanner(*reader, r.begin, r.end, 1 << 16, 1 << 12);
    parse::Line line;
    while (scanner.next(line)) out.emplace_back(r.file, line.offset, std::string(line.text));
  }
  return out;
}

std::vector<std::tuple<std::uint32_t, std::uint64_t, std::string>> lines_of(std::uint32_t file,
                                                                            const std::string& s) {
  std::vector<std::tuple<std::uint32_t, std::uint64_t, std::string>> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.emplace_back(file, pos, s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

TEST_F(PlanTest, PlainRangesTileTheFileAtEveryRankCountAndRangeSize) {
  const std::string text = make_lines(500, 1);
  const std::string path = write("a.tsv", text);
  for (int ranks : {1, 2, 3, 4, 7}) {
    for (std::uint64_t range_size : {1ull, 7ull, 100ull, 4096ull, 1ull << 30}) {
      PlanOptions o;
      o.ranks = ranks;
      o.range_size = range_size;
      const Plan plan = make_plan({path}, o);
      ASSERT_FALSE(plan.ranges.empty());
      std::uint64_t expect_begin = 0;
      int last_rank = 0;
      for (const auto& r : plan.ranges) {
        EXPECT_EQ(r.begin, expect_begin);
        EXPECT_GE(r.rank, last_rank) << "ranks must own contiguous pieces";
        EXPECT_LT(r.rank, ranks);
        last_rank = r.rank;
        expect_begin = r.end;
      }
      EXPECT_EQ(plan.ranges.back().end, std::numeric_limits<std::uint64_t>::max());
      if (range_size >= 4096 && ranks > 1) {
        EXPECT_FALSE(plan.ranges_of(ranks - 1).empty());
      }
      if (range_size == 100) {
        EXPECT_EQ(read_all(plan), lines_of(0, text)) << ranks;
        // Merged per-rank work owns exactly the same lines.
        Plan merged = plan;
        merged.ranges.clear();
        for (int r = 0; r < ranks; ++r)
          for (auto& w : plan.work_of(r)) merged.ranges.push_back(w);
        EXPECT_LE(merged.ranges.size(), static_cast<std::size_t>(ranks));
        EXPECT_EQ(read_all(merged), lines_of(0, text)) << ranks;
      }
    }
  }
}

TEST_F(PlanTest, BigGzipIsSplitAtCheckpointsAndEveryLineIsReadOnce) {
  // ~9 MiB of text -> ~5 MiB of gzip: over the 4 MiB split threshold.
  const std::string text = make_lines(220000, 2);
  const std::string path = write_gzip("big.tsv.gz", {text});
  ASSERT_GE(fs::file_size(path), kMinSplitGzipBytes);
  PlanOptions o;
  o.ranks = 3;
  o.range_size = 1 << 20;
  o.checkpoint_spacing = 256 << 10;
  o.index_cache = (dir_ / "cache").string();
  const Plan plan = make_plan({path}, o);
  ASSERT_EQ(plan.files.size(), 1u);
  EXPECT_TRUE(plan.files[0].split);
  EXPECT_EQ(plan.files[0].decoded_size, text.size());
  EXPECT_GE(plan.ranges.size(), 6u);
  EXPECT_FALSE(plan.ranges_of(2).empty());
  const Plan copy = deserialize_plan(serialize_plan(plan));
  EXPECT_EQ(read_all(copy), lines_of(0, text));
  // The index was cached beside the input (the directory is writable) and is reused.
  EXPECT_TRUE(fs::exists(path + ".dmidx"));
  const Plan again = make_plan({path}, o);
  EXPECT_NE(again.log.front().find("loaded"), std::string::npos) << again.log.front();
}

TEST_F(PlanTest, MultiMemberGzipSplitsAndReadsIdentically) {
  std::vector<std::string> parts;
  std::string all;
  for (unsigned m = 0; m < 5; ++m) {
    parts.push_back(make_lines(45000, 10 + m));
    all += parts.back();
  }
  const std::string path = write_gzip("multi.tsv.gz", parts);
  PlanOptions o;
  o.ranks = 4;
  o.range_size = 700 << 10;
  o.checkpoint_spacing = 128 << 10;
  const Plan plan = make_plan({path}, o);
  EXPECT_TRUE(plan.files[0].split);
  EXPECT_EQ(read_all(plan), lines_of(0, all));
}

TEST_F(PlanTest, SmallGzipIsReadWholeByOneRank) {
  const std::string text = make_lines(100, 3);
  const std::string path = write_gzip("small.tsv.gz", {text});
  PlanOptions o;
  o.ranks = 4;
  const Plan plan = make_plan({path}, o);
  ASSERT_EQ(plan.ranges.size(), 1u);
  EXPECT_FALSE(plan.files[0].split);
  EXPECT_EQ(plan.files[0].codec, codec::Codec::kGzip);
  EXPECT_EQ(plan.files[0].decoded_size, text.size()) << "ISIZE estimate is exact for small files";
  EXPECT_EQ(read_all(plan), lines_of(0, text));
}

TEST_F(PlanTest, DetectsHeadersAndTheLegacyLayout) {
  const std::string current = write("c.tsv", "prev\tcurr\ttype\tn\nA\tB\tlink\t12\n");
  const std::string legacy = write(
      "l.tsv",
      "prev_id\tcurr_id\tn\tprev_title\tcurr_title\ttype\n\t123\t50\tother-google\tX\tother\n");
  const std::string raw = write("r.tsv", "A\tB\tlink\t12\n");
  PlanOptions o;
  const Plan plan = make_plan({current, legacy, raw}, o);
  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_TRUE(plan.files[0].has_header);
  EXPECT_EQ(plan.files[0].schema, parse::ClickSchema::kCurrent);
  EXPECT_TRUE(plan.files[1].has_header);
  EXPECT_EQ(plan.files[1].schema, parse::ClickSchema::kLegacy2015);
  EXPECT_FALSE(plan.files[2].has_header);
  o.legacy = LegacyPolicy::kReject;
  try {
    make_plan({legacy}, o);
    FAIL() << "legacy layout accepted under reject";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("l.tsv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("2015"), std::string::npos);
  }
}

TEST_F(PlanTest, ExpandsDirectoriesAndGlobsAndRejectsMissingInputs) {
  write("b.tsv", "x\n");
  write("a.tsv", "x\n");
  write(".hidden", "x\n");
  write("a.tsv.dmidx", "x");
  const auto files = expand_inputs({dir_.string()});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[0]).filename(), "a.tsv");
  EXPECT_EQ(fs::path(files[1]).filename(), "b.tsv");
  EXPECT_EQ(expand_inputs({(dir_ / "*.tsv").string(), (dir_ / "a.tsv").string()}).size(), 2u);
  EXPECT_THROW(expand_inputs({(dir_ / "nope.tsv").string()}), InputError);
  EXPECT_THROW(expand_inputs({(dir_ / "*.csv").string()}), InputError);
}

TEST_F(PlanTest, EmptyFileHasNoRanges) {
  const std::string path = write("empty.tsv", "");
  const Plan plan = make_plan({path}, PlanOptions{});
  EXPECT_EQ(plan.files.size(), 1u);
  EXPECT_TRUE(plan.ranges.empty());
}

}  // namespace
}  // namespace dumpmill::plan
