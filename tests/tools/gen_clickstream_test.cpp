// Tests of dumpmill-gen-clickstream: its --truth must match independent counts of the file it
// wrote.
//
// The counting here shares no code with the generator: lines are classified by their own rules
// (4 fields, strict UTF-8, non-empty titles, type in the real set, n a positive integer), and a
// second, separate count is done by grep + awk, as a user would check a dump.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

namespace fs = std::filesystem;
using boost::property_tree::ptree;

constexpr std::string_view kGenerator = DUMPMILL_GEN_CLICKSTREAM;
constexpr std::uint64_t kRows = 20000;

// Exit status of a shell command (127+ for signals or a missing binary).
int run(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return 255;
  return WEXITSTATUS(status);
}

int generate(const std::string& args) {
  return run(std::string(kGenerator) + " " + args + " 2>/dev/null");
}

std::string slurp(const fs::path& path) {
  std::string bytes;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return bytes;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.append(buffer, got);
  std::fclose(f);
  return bytes;
}

ptree read_truth(const fs::path& path) {
  ptree truth;
  boost::property_tree::read_json(path.string(), truth);
  return truth;
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

bool is_referer(std::string_view prev) {
  return prev == "other-search" || prev == "other-empty" || prev == "other-internal" ||
         prev == "other-external" || prev == "other-other";
}

// A field as Spark's CSV writer leaves it: unquoted without any '"', or quoted with every inner
// '"' escaped as \". Returns false for anything else.
bool well_quoted(std::string_view field, bool& quoted) {
  quoted = !field.empty() && field.front() == '"';
  if (!quoted) return field.find('"') == std::string_view::npos;
  if (field.size() < 2 || field.back() != '"') return false;
  const std::string_view inner = field.substr(1, field.size() - 2);
  bool any = false;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '"') {
      if (i == 0 || inner[i - 1] != '\\') return false;
      any = true;
    }
  }
  return any;
}

struct Count {
  std::uint64_t lines = 0;
  std::uint64_t valid = 0;
  std::uint64_t bad = 0;
  std::map<std::string, std::uint64_t> bad_by_kind;
  std::uint64_t duplicates = 0;
  std::uint64_t distinct = 0;
  std::uint64_t sum_n = 0;
  std::uint64_t max_n = 0;
  std::map<std::string, std::uint64_t> distinct_by_type;
  std::uint64_t distinct_with_quoted = 0;
  // Realism checks: every entry here is a violation.
  std::uint64_t same_key_different_line = 0;
  std::uint64_t type_referer_mismatch = 0;
  std::uint64_t self_pairs = 0;
  std::uint64_t n_below_10 = 0;
  std::uint64_t badly_quoted = 0;
  std::uint64_t spaces_in_titles = 0;
  // Shapes that must occur.
  std::uint64_t non_ascii_titles = 0;
  std::uint64_t backslash_titles = 0;
  std::uint64_t nan_titles = 0;
};

std::string classify(std::string_view line) {
  if (line.empty()) return "empty_line";
  const auto f = split_tabs(line);
  if (f.size() != 4) return "field_count";
  if (!valid_utf8(line)) return "invalid_utf8";
  if (f[0].empty() || f[1].empty()) return "empty_title";
  if (f[2] != "link" && f[2] != "external" && f[2] != "other") return "bad_type";
  if (f[3] == "0") return "n_zero";
  if (f[3].empty() || f[3][0] < '1' || f[3][0] > '9' ||
      f[3].find_first_not_of("0123456789") != std::string_view::npos || f[3].size() > 12) {
    return "n_not_integer";
  }
  return {};
}

Count count_file(const std::string& bytes, std::string_view eol) {
  Count c;
  std::unordered_map<std::string, std::string_view> first_line_of_key;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find(eol, pos);
    if (end == std::string::npos) end = bytes.size();
    const std::string_view line(bytes.data() + pos, end - pos);
    pos = end + eol.size();
    ++c.lines;
    const std::string kind = classify(line);
    if (!kind.empty()) {
      ++c.bad;
      ++c.bad_by_kind[kind];
      continue;
    }
    ++c.valid;
    const auto f = split_tabs(line);
    std::string key(f[0]);
    key += '\t';
    key += f[1];
    key += '\t';
    key += f[2];
    const auto [it, inserted] = first_line_of_key.emplace(std::move(key), line);
    if (!inserted) {
      ++c.duplicates;
      if (it->second != line) ++c.same_key_different_line;
      continue;
    }
    const std::uint64_t n = std::stoull(std::string(f[3]));
    ++c.distinct;
    c.sum_n += n;
    c.max_n = std::max(c.max_n, n);
    ++c.distinct_by_type[std::string(f[2])];
    if (is_referer(f[0]) != (f[2] == "external")) ++c.type_referer_mismatch;
    if (f[0] == f[1]) ++c.self_pairs;
    if (n < 10) ++c.n_below_10;
    bool any_quoted = false;
    for (const auto title : {f[0], f[1]}) {
      bool quoted = false;
      if (!well_quoted(title, quoted)) ++c.badly_quoted;
      any_quoted = any_quoted || quoted;
      if (title.find(' ') != std::string_view::npos) ++c.spaces_in_titles;
      if (title.find_first_of("\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f"
                              "\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f"
                              "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf"
                              "\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf") !=
          std::string_view::npos) {
        ++c.non_ascii_titles;
      }
      if (!quoted && title.find('\\') != std::string_view::npos) ++c.backslash_titles;
      if (title == "NaN") ++c.nan_titles;
    }
    if (any_quoted) ++c.distinct_with_quoted;
  }
  return c;
}

class GenClickstreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("dumpmill-gen-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Rates well above the defaults so that 20,000 rows hold every kind of dirt many times.
    ASSERT_EQ(generate("--rows " + std::to_string(kRows) + " --seed 42 --dup-rate 0.02 " +
                       "--bad-rate 0.02 --quoted-rate 0.02 --out " + path("a.tsv") + " --truth " +
                       path("a.json")),
              0);
    bytes_ = slurp(dir_ / "a.tsv");
    truth_ = read_truth(dir_ / "a.json");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static std::string path(const std::string& name) { return (dir_ / name).string(); }
  static std::uint64_t truth(const std::string& key) { return truth_.get<std::uint64_t>(key); }

  static fs::path dir_;
  static std::string bytes_;
  static ptree truth_;
};

fs::path GenClickstreamTest::dir_;
std::string GenClickstreamTest::bytes_;
ptree GenClickstreamTest::truth_;

TEST_F(GenClickstreamTest, TruthMatchesIndependentCount) {
  Count c = count_file(bytes_, "\n");
  EXPECT_EQ(c.lines, kRows);
  EXPECT_EQ(truth("rows_written"), kRows);
  EXPECT_EQ(truth("bytes_written"), bytes_.size());
  EXPECT_EQ(c.valid, truth("valid_rows"));
  EXPECT_EQ(c.bad, truth("bad_rows"));
  EXPECT_EQ(c.duplicates, truth("duplicate_rows_injected"));
  EXPECT_EQ(c.distinct, truth("distinct_pairs"));
  EXPECT_EQ(c.sum_n, truth("sum_n_distinct"));
  EXPECT_EQ(c.max_n, truth("max_n"));
  EXPECT_EQ(c.distinct_with_quoted, truth("distinct_pairs_with_quoted_field"));
  for (const auto& [type, count] : truth_.get_child("distinct_pairs_by_type")) {
    EXPECT_EQ(c.distinct_by_type[type], count.get_value<std::uint64_t>()) << type;
  }
  std::uint64_t kinds = 0;
  for (const auto& [kind, count] : truth_.get_child("bad_rows_by_kind")) {
    ++kinds;
    const auto expected = count.get_value<std::uint64_t>();
    EXPECT_EQ(c.bad_by_kind[kind], expected) << kind;
    EXPECT_GT(expected, 20U) << kind << " should occur ~57 times at --bad-rate 0.02";
  }
  EXPECT_EQ(kinds, 7U);
  // The accounting identities a dedup run must reproduce.
  EXPECT_EQ(c.valid + c.bad, kRows);
  EXPECT_EQ(c.distinct + c.duplicates, c.valid);
  EXPECT_GT(c.duplicates, 200U);
}

TEST_F(GenClickstreamTest, ValidRowsLookLikeTheRealDump) {
  const Count c = count_file(bytes_, "\n");
  EXPECT_EQ(c.same_key_different_line, 0U)
      << "(prev, curr, type) must be unique but for exact copies";
  EXPECT_EQ(c.type_referer_mismatch, 0U) << "type is external exactly when prev is other-*";
  EXPECT_EQ(c.self_pairs, 0U);
  EXPECT_EQ(c.n_below_10, 0U) << "upstream drops pairs with n < 10";
  EXPECT_EQ(c.badly_quoted, 0U) << "titles with '\"' are quoted with \\\" inside, others bare";
  EXPECT_EQ(c.spaces_in_titles, 0U);
  EXPECT_GT(c.distinct_with_quoted, 50U);
  EXPECT_GT(c.non_ascii_titles, 100U);
  EXPECT_GT(c.backslash_titles, 50U);
  EXPECT_GT(c.nan_titles, 10U);
  for (const char* type : {"link", "external", "other"}) {
    EXPECT_GT(c.distinct_by_type.at(type), c.distinct / 50) << type;
  }
  // Heavy tail: the largest pair is far above the mean (~200 at scale).
  EXPECT_GT(c.max_n, 100 * c.sum_n / c.distinct);
}

TEST_F(GenClickstreamTest, AwkAgreesWithTruth) {
  // grep in a UTF-8 locale keeps only lines that are valid UTF-8; awk checks the rest.
  const std::string command =
      "LC_ALL=C.UTF-8 grep -ax '.*' " + path("a.tsv") +
      " | LC_ALL=C awk -F'\\t' 'NF == 4 && $1 != \"\" && $2 != \"\" && "
      "($3 == \"link\" || $3 == \"external\" || $3 == \"other\") && $4 ~ /^[1-9][0-9]*$/ "
      "{ valid++; k = $1 FS $2 FS $3; if (!(k in seen)) { seen[k] = 1; distinct++; sum += $4 } } "
      "END { printf \"%d %d %.0f\\n\", valid, distinct, sum }'";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char out[256] = {};
  ASSERT_NE(std::fgets(out, sizeof out, pipe), nullptr);
  ASSERT_EQ(::pclose(pipe), 0);
  unsigned long long valid = 0;
  unsigned long long distinct = 0;
  unsigned long long sum = 0;
  ASSERT_EQ(std::sscanf(out, "%llu %llu %llu", &valid, &distinct, &sum), 3) << out;
  EXPECT_EQ(valid, truth("valid_rows"));
  EXPECT_EQ(distinct, truth("distinct_pairs"));
  EXPECT_EQ(sum, truth("sum_n_distinct"));
}

TEST_F(GenClickstreamTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string common = "--rows " + std::to_string(kRows) +
                             " --dup-rate 0.02 --bad-rate 0.02 --quoted-rate 0.02 --out ";
  ASSERT_EQ(generate("--seed 42 " + common + path("again.tsv") + " --truth " + path("again.json")),
            0);
  EXPECT_TRUE(slurp(dir_ / "again.tsv") == bytes_);
  EXPECT_EQ(slurp(dir_ / "again.json"), slurp(dir_ / "a.json"));
  ASSERT_EQ(generate("--seed 43 " + common + path("other.tsv")), 0);
  EXPECT_FALSE(slurp(dir_ / "other.tsv") == bytes_);
}

TEST_F(GenClickstreamTest, StdoutMatchesFile) {
  ASSERT_EQ(run(std::string(kGenerator) + " --rows " + std::to_string(kRows) +
                " --seed 42 --dup-rate 0.02 --bad-rate 0.02 --quoted-rate 0.02 --out - > " +
                path("stdout.tsv")),
            0);
  EXPECT_TRUE(slurp(dir_ / "stdout.tsv") == bytes_);
}

TEST_F(GenClickstreamTest, CrlfOnlyChangesLineEndings) {
  ASSERT_EQ(generate("--rows " + std::to_string(kRows) +
                     " --seed 42 --dup-rate 0.02 --bad-rate 0.02 --quoted-rate 0.02 --crlf --out " +
                     path("crlf.tsv") + " --truth " + path("crlf.json")),
            0);
  std::string expected;
  expected.reserve(bytes_.size() + kRows);
  for (const char ch : bytes_) {
    if (ch == '\n') expected += '\r';
    expected += ch;
  }
  EXPECT_TRUE(slurp(dir_ / "crlf.tsv") == expected);
  const ptree crlf = read_truth(dir_ / "crlf.json");
  EXPECT_EQ(crlf.get<std::string>("line_ending"), "crlf");
  EXPECT_EQ(crlf.get<std::uint64_t>("bytes_written"), expected.size());
  EXPECT_EQ(crlf.get<std::uint64_t>("valid_rows"), truth("valid_rows"));
  EXPECT_EQ(crlf.get<std::uint64_t>("sum_n_distinct"), truth("sum_n_distinct"));
  const Count c = count_file(expected, "\r\n");
  EXPECT_EQ(c.valid, truth("valid_rows"));
}

TEST_F(GenClickstreamTest, ZeroRatesGiveACleanUniqueDump) {
  ASSERT_EQ(generate("--rows 5000 --seed 7 --dup-rate 0 --bad-rate 0 --quoted-rate 0 --out " +
                     path("clean.tsv") + " --truth " + path("clean.json")),
            0);
  const std::string clean = slurp(dir_ / "clean.tsv");
  const Count c = count_file(clean, "\n");
  EXPECT_EQ(c.valid, 5000U);
  EXPECT_EQ(c.distinct, 5000U);
  EXPECT_EQ(c.bad, 0U);
  EXPECT_EQ(clean.find('"'), std::string::npos);
  EXPECT_EQ(clean.find('\\'), std::string::npos);
  const ptree t = read_truth(dir_ / "clean.json");
  EXPECT_EQ(t.get<std::uint64_t>("sum_n_distinct"), c.sum_n);
}

TEST_F(GenClickstreamTest, ZeroRowsWriteAnEmptyFile) {
  ASSERT_EQ(generate("--rows 0 --out " + path("empty.tsv") + " --truth " + path("empty.json")), 0);
  EXPECT_TRUE(fs::exists(dir_ / "empty.tsv"));
  EXPECT_EQ(fs::file_size(dir_ / "empty.tsv"), 0U);
  const ptree t = read_truth(dir_ / "empty.json");
  EXPECT_EQ(t.get<std::uint64_t>("rows_written"), 0U);
  EXPECT_EQ(t.get<std::uint64_t>("distinct_pairs"), 0U);
}

TEST_F(GenClickstreamTest, RejectsBadUsage) {
  EXPECT_EQ(generate("--out " + path("x.tsv")), 2) << "--rows is required";
  EXPECT_EQ(generate("--rows 10"), 2) << "--out is required";
  EXPECT_EQ(generate("--rows -5 --out " + path("x.tsv")), 2);
  EXPECT_EQ(generate("--rows 10 --dup-rate 1.5 --out " + path("x.tsv")), 2);
  EXPECT_EQ(generate("--rows 10 --bad-rate abc --out " + path("x.tsv")), 2);
  EXPECT_EQ(generate("--rows 10 --out " + path("no/such/dir/x.tsv")), 1);
  EXPECT_EQ(generate("--help > /dev/null"), 0);
}

}  // namespace
