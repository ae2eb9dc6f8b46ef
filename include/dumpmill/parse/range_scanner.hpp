// Splits one byte range of a decoded stream into the lines (records) that the range owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dumpmill/codec/decoded_reader.hpp"

namespace dumpmill::parse {

// One line of the decoded stream.
struct Line {
  std::string_view text;  // the line without its terminator ("\n" or "\r\n")
  std::uint64_t offset;   // decoded offset of the line's first byte
  bool too_long;          // longer than max_line_bytes: text holds only the first max_line_bytes
};

// Invariant 3 on the decoded stream. A line starts at offset p when p == 0 or byte p-1 is
// '\n'; it ends at the next '\n' or at the end of the stream. One trailing '\r' is stripped
// (CRLF files; also a lone '\r' before EOF). A final '\n' at EOF ends the last line: no
// empty record follows it. Empty lines elsewhere are records (the parser rejects them).
// The range [begin, end) owns exactly the lines that start inside it: it skips the partial
// line at its start (by looking at byte begin-1) and reads past `end` to finish its last
// line. So for any tiling of [0, size) into ranges, every line is returned by exactly one
// range, with the same offset and text as a single scan of the whole stream.
//
// Memory is bounded by buffer_bytes whatever the input: a line longer than max_line_bytes
// is returned with too_long set and its first max_line_bytes bytes; the rest is read and
// dropped without being buffered. Lines are views into the scanner's buffer (no copy);
// only a line that straddles a refill is moved to the buffer front. One virtual read()
// per refill, none per line.
class RangeScanner {
 public:
  // 4 MiB: one refill per ~80k clickstream lines (~52 bytes each), large enough that the
  // virtual read() and the memmove of a straddling line are noise, small enough per rank.
  static constexpr std::size_t kDefaultBufferBytes = 4 << 20;
  // 1 MiB: real clickstream lines are < 1 KiB (titles are capped at 255 bytes by
  // MediaWiki); anything near 1 MiB is corruption (e.g. a missing newline).
  static constexpr std::size_t kDefaultMaxLineBytes = 1 << 20;

  // `reader` must be positioned at or before begin-1 (at 0 when begin == 0) so the scanner
  // can see the byte before the range; bytes before that are read and skipped. Throws
  // std::logic_error if that does not hold, if begin > end, or if
  // buffer_bytes < max_line_bytes + 2 (a line of max_line_bytes plus "\r\n" must fit).
  // Reads nothing until the first next().
  RangeScanner(codec::DecodedReader& reader, std::uint64_t begin, std::uint64_t end,
               std::size_t buffer_bytes = kDefaultBufferBytes,
               std::size_t max_line_bytes = kDefaultMaxLineBytes);
  ~RangeScanner();
  RangeScanner(const RangeScanner&) = delete;
  RangeScanner& operator=(const RangeScanner&) = delete;

  // Sets `line` to the next owned line and returns true, or returns false when the range
  // has no more lines (and on every later call). `line.text` stays valid until the next
  // call. Propagates the reader's InputError.
  bool next(Line& line);

  // Bytes of the lines returned so far, terminators and the dropped tails of too-long lines
  // included. Summed over the ranges of a tiling it equals the decoded size of the stream.
  std::uint64_t bytes_consumed() const { return consumed_; }

 private:
  bool start();
  bool fill();
  bool skip_to(std::uint64_t target);
  bool emit(Line& line, std::size_t stop, std::size_t terminator);
  bool emit_too_long(Line& line);

  codec::DecodedReader& reader_;
  std::uint64_t begin_;
  std::uint64_t end_;
  std::size_t capacity_;
  std::size_t max_line_bytes_;
  std::unique_ptr<char[]> buffer_;
  std::size_t head_ = 0;           // next unreturned byte in buffer_
  std::size_t tail_ = 0;           // end of valid bytes in buffer_
  std::uint64_t head_offset_ = 0;  // decoded offset of buffer_[head_]
  std::uint64_t consumed_ = 0;
  bool started_ = false;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace dumpmill::parse
