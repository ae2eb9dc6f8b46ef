// Reject reasons, counts, and the rejects TSV writer (escaping, truncation, errors).
#include "dumpmill/parse/reject.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dumpmill/core/error.hpp"

namespace dumpmill::parse {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "dumpmill_reject_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

constexpr std::string_view kHeader = "file\tbyte_offset\treason\tline\n";

TEST(RejectReason, NamesAreDistinctSnakeCaseAndDescribed) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    const std::string_view name = reject_reason_name(reason);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), name.npos) << name;
    EXPECT_FALSE(reject_reason_description(reason).empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kRejectReasonCount);
  EXPECT_EQ(reject_reason_name(RejectReason::kEmptyLine), "empty_line");
  EXPECT_EQ(reject_reason_name(RejectReason::kFieldCount), "field_count");
  EXPECT_EQ(reject_reason_name(RejectReason::kInvalidUtf8), "invalid_utf8");
  EXPECT_EQ(reject_reason_name(RejectReason::kLineTooLong), "line_too_long");
  EXPECT_THROW(reject_reason_name(static_cast<RejectReason>(kRejectReasonCount)),
               std::out_of_range);
}

TEST(RejectCounts, AddTotalAndMerge) {
  RejectCounts a;
  EXPECT_EQ(a.total(), 0u);
  a.add(RejectReason::kBadCount);
  a.add(RejectReason::kBadCount);
  a.add(RejectReason::kEmptyLine);
  RejectCounts b;
  b.add(RejectReason::kBadCount);
  b.add(RejectReason::kBadId);
  a += b;
  EXPECT_EQ(a.count(RejectReason::kBadCount), 3u);
  EXPECT_EQ(a.count(RejectReason::kEmptyLine), 1u);
  EXPECT_EQ(a.count(RejectReason::kBadId), 1u);
  EXPECT_EQ(a.count(RejectReason::kBadType), 0u);
  EXPECT_EQ(a.total(), 5u);
  EXPECT_EQ(b.total(), 2u);
}

TEST(RejectEscaping, EveryRuleOfTheFormat) {
  std::string out;
  dumpmill::detail::append_reject_escaped(out, "a\tb\nc\rd\\e");
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e");
  out.clear();
  dumpmill::detail::append_reject_escaped(out, std::string_view("x\0y\x7Fz\x1B", 6));
  EXPECT_EQ(out, "x\\x00y\\x7Fz\\x1B");
  out.clear();
  // Valid UTF-8 stays as it is; bytes outside a valid sequence become \xHH.
  dumpmill::detail::append_reject_escaped(out, "Z\xC3\xBCrich caf\xE9 \xED\xA0\x80 \xE2\x82");
  EXPECT_EQ(out, "Z\xC3\xBCrich caf\\xE9 \\xED\\xA0\\x80 \\xE2\\x82");
  out.clear();
  dumpmill::detail::append_reject_escaped(
      out, "\"Fast\"_Eddie");  // quotes need no escape in this format
  EXPECT_EQ(out, "\"Fast\"_Eddie");
}

TEST(RejectWriter, WritesHeaderAndOneEscapedLinePerReject) {
  TempDir dir;
  const fs::path path = dir.path() / "rejects.tsv";
  RejectWriter writer(path.string());
  writer.add("dump.tsv.gz", 0, RejectReason::kEmptyLine, "");
  writer.add("dump.tsv.gz", 12345678901ULL, RejectReason::kFieldCount, "a\tb\tc");
  writer.add("odd\tname.tsv", 7, RejectReason::kInvalidUtf8, std::string_view("t\xFF\0\n", 4));
  EXPECT_EQ(writer.rejects_written(), 3u);
  writer.close();
  writer.close();  // idempotent
  EXPECT_EQ(slurp(path), std::string(kHeader) +
                             "dump.tsv.gz\t0\tempty_line\t\n"
                             "dump.tsv.gz\t12345678901\tfield_count\ta\\tb\\tc\n"
                             "odd\\tname.tsv\t7\tinvalid_utf8\tt\\xFF\\x00\\n\n");
  EXPECT_THROW(writer.add("f", 0, RejectReason::kBadType, "x"), std::logic_error);
}

TEST(RejectWriter, TruncatesLongLinesAtACharacterBoundary) {
  TempDir dir;
  const fs::path path = dir.path() / "rejects.tsv";
  RejectWriter writer(path.string(), 8);
  writer.add("f", 1, RejectReason::kLineTooLong, "0123456789abcdefghij");  // 20 bytes
  writer.add("f", 2, RejectReason::kBadType, "01234567");                  // exactly 8: kept
  // "é" occupies bytes 7-8: cutting at 8 would split it, so only 7 bytes are kept.
  writer.add("f", 3, RejectReason::kBadType, "0123456\xC3\xA9xyz");
  writer.close();
  EXPECT_EQ(slurp(path), std::string(kHeader) +
                             "f\t1\tline_too_long\t01234567\xE2\x80\xA6[truncated 12 bytes]\n"
                             "f\t2\tbad_type\t01234567\n"
                             "f\t3\tbad_type\t0123456\xE2\x80\xA6[truncated 5 bytes]\n");
}

TEST(RejectWriter, SmallBufferFlushesAsItGoesAndKeepsEverything) {
  TempDir dir;
  const fs::path path = dir.path() / "rejects.tsv";
  std::string expected(kHeader);
  {
    RejectWriter writer(path.string(), 4096, 16);
    for (int i = 0; i < 1000; ++i) {
      writer.add("f", static_cast<std::uint64_t>(i), RejectReason::kBadCount,
                 "n=" + std::to_string(i));
      expected += "f\t" + std::to_string(i) + "\tbad_count\tn=" + std::to_string(i) + "\n";
      if (i == 10) {
        // Rejects are on disk long before close(): memory stays bounded.
        EXPECT_GT(fs::file_size(path), kHeader.size());
      }
    }
    writer.close();
  }
  EXPECT_EQ(slurp(path), expected);
}

TEST(RejectWriter, DestructorWithoutCloseStillWritesAndDoesNotThrow) {
  TempDir dir;
  const fs::path path = dir.path() / "rejects.tsv";
  {
    RejectWriter writer(path.string());
    writer.add("f", 9, RejectReason::kEmptyTitle, "\tB\tlink\t10");
    RejectWriter moved = std::move(writer);  // the moved-from writer owns nothing
    EXPECT_EQ(moved.rejects_written(), 1u);
  }
  EXPECT_EQ(slurp(path), std::string(kHeader) + "f\t9\tempty_title\t\\tB\\tlink\\t10\n");
}

TEST(RejectWriter, DiskFullIsAnOutputErrorFromClose) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  RejectWriter writer("/dev/full");
  writer.add("f", 0, RejectReason::kBadType, "x");
  EXPECT_THROW(writer.close(), OutputError);
}

TEST(RejectWriter, DiskFullIsAnOutputErrorFromAddWhenTheBufferFills) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  RejectWriter writer("/dev/full", 4096, 64);
  EXPECT_THROW(
      for (int i = 0; i < 100; ++i) writer.add("f", 0, RejectReason::kBadType, "xxxxxxxxxx"),
      OutputError);
}

TEST(RejectWriter, UncreatableFileIsAnOutputErrorNamingIt) {
  try {
    RejectWriter writer("/nonexistent-dir/rejects.tsv");
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/rejects.tsv"), std::string::npos);
  }
}

}  // namespace
}  // namespace dumpmill::parse
