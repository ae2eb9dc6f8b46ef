// RangeScanner: every tiling of a tricky text into 1, 2 and 3 ranges yields each line once.
#include "dumpmill/parse/range_scanner.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "memory_reader.hpp"

namespace dumpmill::parse {
namespace {

using testing::MemoryReader;

struct OwnedLine {
  std::string text;
  std::uint64_t offset;
  bool too_long;
  friend bool operator==(const OwnedLine&, const OwnedLine&) = default;
  friend std::ostream& operator<<(std::ostream& os, const OwnedLine& l) {
    return os << "{" << l.offset << ", \"" << l.text << "\"" << (l.too_long ? ", too_long" : "")
              << "}";
  }
};

// The definition, written as plainly as possible: split at '\n', strip one '\r', no record
// after a final '\n', keep the first max bytes of a longer line.
std::vector<OwnedLine> reference_lines(const std::string& text, std::size_t max) {
  std::vector<OwnedLine> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    const std::size_t stop = nl == std::string::npos ? text.size() : nl;
    std::string line = text.substr(start, stop - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool too_long = line.size() > max;
    if (too_long) line.resize(max);
    out.push_back({line, start, too_long});
    start = stop + 1;
  }
  return out;
}

struct ScanResult {
  std::vector<OwnedLine> lines;
  std::uint64_t consumed = 0;
};

ScanResult scan(const std::string& text, std::uint64_t begin, std::uint64_t end, std::size_t chunk,
                std::size_t buffer, std::size_t max, bool from_zero) {
  const std::size_t start = from_zero || begin == 0 ? 0 : static_cast<std::size_t>(begin - 1);
  MemoryReader reader(text, chunk, start);
  RangeScanner scanner(reader, begin, end, buffer, max);
  ScanResult result;
  Line line{};
  while (scanner.next(line)) {
    result.lines.push_back({std::string(line.text), line.offset, line.too_long});
  }
  EXPECT_FALSE(scanner.next(line)) << "next() after the end must stay false";
  result.consumed = scanner.bytes_consumed();
  return result;
}

constexpr std::size_t kMax = 8;
constexpr std::size_t kChunks[] = {1, 2, 3, 7, 4096};
// kMax + 2 is the smallest buffer allowed: every line straddles a refill.
constexpr std::size_t kBuffers[] = {kMax + 2, 64};

// CRLF lines, empty lines (LF and CRLF), a line of exactly kMax bytes with CRLF, lines
// longer than kMax (one by a single byte, one much longer, one whose '\r' sits at kMax),
// and no final newline.
const std::string kText =
    "ab\r\ncd\n\n12345678\r\n\r\n123456789\nthis line is far too long\r\nx\n"
    "1234567\r\r\n\n\nlast-line-long";

const std::vector<std::string>& texts() {
  static const std::vector<std::string> all = {
      kText,
      kText + "\n",                    // final newline: no extra record
      kText + "\r\n",                  // final CRLF
      "",                              // empty stream
      "\n",                            // one empty record
      "\n\n\r\n",                      // empty records only
      "z",                             // one byte, no newline
      "abcdefghijklmnopqrstuvwxyz\n",  // one too-long line, final newline
      "abcdefghijklmnopqrstuvwxyz",    // one too-long line at EOF
      "12345678\r",                    // a lone '\r' before EOF is stripped too
  };
  return all;
}

TEST(RangeScanner, WholeFileScanMatchesTheDefinition) {
  for (const std::string& text : texts()) {
    for (const std::size_t chunk : kChunks) {
      for (const std::size_t buffer : kBuffers) {
        const ScanResult r = scan(text, 0, text.size(), chunk, buffer, kMax, true);
        ASSERT_EQ(r.lines, reference_lines(text, kMax))
            << "text=" << ::testing::PrintToString(text) << " chunk=" << chunk;
        EXPECT_EQ(r.consumed, text.size());
      }
    }
  }
}

TEST(RangeScanner, KnownLinesOfTheTrickyText) {
  const ScanResult r = scan(kText, 0, kText.size(), 3, kMax + 2, kMax, true);
  const std::vector<OwnedLine> expected = {
      {"ab", 0, false},       {"cd", 4, false}, {"", 7, false},
      {"12345678", 8, false}, {"", 18, false},  {"12345678", 20, true},
      {"this lin", 30, true}, {"x", 57, false}, {"1234567\r", 59, false},
      {"", 69, false},        {"", 70, false},  {"last-lin", 71, true},
  };
  EXPECT_EQ(r.lines, expected);
}

TEST(RangeScanner, EveryTwoRangeTilingYieldsEachLineOnce) {
  for (const std::string& text : texts()) {
    const std::vector<OwnedLine> whole = reference_lines(text, kMax);
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      for (const std::size_t chunk : kChunks) {
        for (const std::size_t buffer : kBuffers) {
          const bool from_zero = (cut + chunk) % 2 == 0;  // also skip bytes before begin-1
          ScanResult a = scan(text, 0, cut, chunk, buffer, kMax, from_zero);
          const ScanResult b = scan(text, cut, text.size(), chunk, buffer, kMax, from_zero);
          a.lines.insert(a.lines.end(), b.lines.begin(), b.lines.end());
          ASSERT_EQ(a.lines, whole) << "text=" << ::testing::PrintToString(text) << " cut=" << cut
                                    << " chunk=" << chunk << " buffer=" << buffer;
          ASSERT_EQ(a.consumed + b.consumed, text.size());
        }
      }
    }
  }
}

TEST(RangeScanner, EveryThreeRangeTilingYieldsEachLineOnce) {
  for (const std::string& text : {kText, kText + "\n"}) {
    const std::vector<OwnedLine> whole = reference_lines(text, kMax);
    for (std::size_t c1 = 0; c1 <= text.size(); ++c1) {
      for (std::size_t c2 = c1; c2 <= text.size(); ++c2) {
        for (const std::size_t chunk : kChunks) {
          const std::size_t buffer = kBuffers[(c1 + c2) % 2];
          const bool from_zero = (c1 + c2 + chunk) % 3 == 0;
          ScanResult all = scan(text, 0, c1, chunk, buffer, kMax, from_zero);
          const ScanResult mid = scan(text, c1, c2, chunk, buffer, kMax, from_zero);
          // The last range may also say "to the end" with an end past EOF.
          const ScanResult tail = scan(text, c2, text.size() + c1, chunk, buffer, kMax, from_zero);
          all.lines.insert(all.lines.end(), mid.lines.begin(), mid.lines.end());
          all.lines.insert(all.lines.end(), tail.lines.begin(), tail.lines.end());
          ASSERT_EQ(all.lines, whole)
              << "c1=" << c1 << " c2=" << c2 << " chunk=" << chunk << " buffer=" << buffer;
          ASSERT_EQ(all.consumed + mid.consumed + tail.consumed, text.size());
        }
      }
    }
  }
}

TEST(RangeScanner, RangeOwnsLinesStartingInsideIt) {
  // Lines start at 0, 4, 8; "bbb\n" starts at 4.
  const std::string text = "aaa\nbbb\nccc\n";
  // [4, 5) owns exactly "bbb" and reads past its end to finish it.
  ScanResult r = scan(text, 4, 5, 1, 16, 8, false);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], (OwnedLine{"bbb", 4, false}));
  // [5, 8) starts inside "bbb" and holds no line start: nothing.
  r = scan(text, 5, 8, 1, 16, 8, false);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.consumed, 0u);
  // [3, 4) holds the '\n' of "aaa" only: nothing. [4, 4) is empty.
  EXPECT_TRUE(scan(text, 3, 4, 2, 16, 8, false).lines.empty());
  EXPECT_TRUE(scan(text, 4, 4, 2, 16, 8, false).lines.empty());
  // A range past EOF owns nothing.
  EXPECT_TRUE(scan(text, 40, 50, 2, 16, 8, true).lines.empty());
}

TEST(RangeScanner, TooLongLineIsSkippedWithBoundedBuffer) {
  // A 100 KB line through a 64-byte buffer: the scanner must not grow anything.
  const std::string big(100'000, 'q');
  const std::string text = "short\n" + big + "\r\nafter\n";
  MemoryReader reader(text, 7);
  RangeScanner scanner(reader, 0, text.size(), 64, 16);
  Line line{};
  ASSERT_TRUE(scanner.next(line));
  EXPECT_EQ(line.text, "short");
  ASSERT_TRUE(scanner.next(line));
  EXPECT_TRUE(line.too_long);
  EXPECT_EQ(line.offset, 6u);
  EXPECT_EQ(line.text, std::string(16, 'q'));
  ASSERT_TRUE(scanner.next(line));
  EXPECT_FALSE(line.too_long);
  EXPECT_EQ(line.text, "after");
  EXPECT_EQ(line.offset, 6u + big.size() + 2);
  EXPECT_FALSE(scanner.next(line));
  EXPECT_EQ(scanner.bytes_consumed(), text.size());
}

TEST(RangeScanner, RejectsBrokenPreconditions) {
  const std::string text = "aaa\nbbb\n";
  MemoryReader at_five(text, 4, 5);
  EXPECT_THROW(RangeScanner(at_five, 5, 8, 16, 8), std::logic_error);  // cannot see byte 4
  EXPECT_NO_THROW(RangeScanner(at_five, 6, 8, 16, 8));
  EXPECT_THROW(RangeScanner(at_five, 0, 8, 16, 8), std::logic_error);  // begin 0 needs 0
  MemoryReader at_zero(text, 4);
  EXPECT_THROW(RangeScanner(at_zero, 5, 4, 16, 8), std::logic_error);  // begin > end
  EXPECT_THROW(RangeScanner(at_zero, 0, 8, 9, 8), std::logic_error);   // buffer < max + 2
  EXPECT_NO_THROW(RangeScanner(at_zero, 0, 8, 10, 8));
}

// A codec that fails mid-stream: the scanner must pass the InputError on, not swallow it.
class FailingReader final : public codec::DecodedReader {
 public:
  std::size_t read(char* dst, std::size_t capacity) override {
    if (served_ > 0) throw InputError("dump.tsv.gz", 1234, "corrupt deflate block");
    const std::size_t n = capacity < 6 ? capacity : 6;
    std::memcpy(dst, "ok\npar", n);
    served_ += n;
    return n;
  }
  std::uint64_t position() const override { return served_; }

 private:
  std::size_t served_ = 0;
};

TEST(RangeScanner, PropagatesReaderErrors) {
  FailingReader reader;
  RangeScanner scanner(reader, 0, 100, 16, 8);
  Line line{};
  ASSERT_TRUE(scanner.next(line));
  EXPECT_EQ(line.text, "ok");
  EXPECT_THROW(scanner.next(line), InputError);
}

}  // namespace
}  // namespace dumpmill::parse
