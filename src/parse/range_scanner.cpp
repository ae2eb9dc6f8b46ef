// Byte-range ownership of lines on a decoded stream, with one bounded buffer.
#include "dumpmill/parse/range_scanner.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dumpmill::parse {

RangeScanner::RangeScanner(codec::DecodedReader& reader, std::uint64_t begin, std::uint64_t end,
                           std::size_t buffer_bytes, std::size_t max_line_bytes)
    : reader_(reader),
      begin_(begin),
      end_(end),
      capacity_(buffer_bytes),
      max_line_bytes_(max_line_bytes) {
  if (begin > end) {
    throw std::logic_error("RangeScanner: begin " + std::to_string(begin) + " > end " +
                           std::to_string(end));
  }
  if (max_line_bytes > buffer_bytes || buffer_bytes - max_line_bytes < 2) {
    throw std::logic_error(
        "RangeScanner: buffer_bytes " + std::to_string(buffer_bytes) +
        " must be at least max_line_bytes + 2 = " + std::to_string(max_line_bytes) + " + 2");
  }
  const std::uint64_t position = reader.position();
  const std::uint64_t latest = begin == 0 ? 0 : begin - 1;
  if (position > latest) {
    throw std::logic_error("RangeScanner: reader at decoded offset " + std::to_string(position) +
                           " is past " + std::to_string(latest) +
                           ", the byte before the range must still be readable");
  }
  head_offset_ = position;
  buffer_ = std::make_unique<char[]>(capacity_);
}

RangeScanner::~RangeScanner() = default;

bool RangeScanner::fill() {
  const std::size_t n = reader_.read(buffer_.get() + tail_, capacity_ - tail_);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  tail_ += n;
  return true;
}

// Drops bytes until buffer_[head_] is the byte at decoded offset `target`; false at EOF.
bool RangeScanner::skip_to(std::uint64_t target) {
  while (head_offset_ + (tail_ - head_) <= target) {
    head_offset_ += tail_ - head_;
    head_ = tail_ = 0;
    if (!fill()) return false;
  }
  head_ += static_cast<std::size_t>(target - head_offset_);
  head_offset_ = target;
  return true;
}

// Positions head_ at the first line starting at or after begin_; false if there is none.
bool RangeScanner::start() {
  started_ = true;
  if (begin_ == 0) return true;
  if (!skip_to(begin_ - 1)) return false;
  // The line containing byte begin-1 belongs to an earlier range, unless it ends there.
  for (;;) {
    const char* from = buffer_.get() + head_;
    const void* nl = std::memchr(from, '\n', tail_ - head_);
    if (nl != nullptr) {
      const std::size_t skip = static_cast<std::size_t>(static_cast<const char*>(nl) - from) + 1;
      head_ += skip;
      head_offset_ += skip;
      return true;
    }
    head_offset_ += tail_ - head_;
    head_ = tail_ = 0;
    if (!fill()) return false;
  }
}

bool RangeScanner::next(Line& line) {
  if (done_) return false;
  if (!started_ && !start()) {
    done_ = true;
    return false;
  }
  if (head_offset_ >= end_) {
    done_ = true;
    return false;
  }
  std::size_t scan_from = head_;
  for (;;) {
    const char* base = buffer_.get();
    const void* nl = std::memchr(base + scan_from, '\n', tail_ - scan_from);
    if (nl != nullptr) {
      return emit(line, static_cast<std::size_t>(static_cast<const char*>(nl) - base), 1);
    }
    const std::size_t avail = tail_ - head_;
    if (eof_) {
      if (avail == 0) {  // nothing follows the final '\n' (or the stream is empty)
        done_ = true;
        return false;
      }
      return emit(line, tail_, 0);
    }
    // max_line_bytes + 2 bytes without '\n' cannot be a short line even if one is a '\r'.
    if (avail >= max_line_bytes_ + 2) return emit_too_long(line);
    scan_from = tail_;
    if (tail_ == capacity_) {
      // The line straddles the buffer end: move its start to the front (< max + 2 bytes).
      std::memmove(buffer_.get(), buffer_.get() + head_, avail);
      scan_from -= head_;
      head_ = 0;
      tail_ = avail;
    }
    fill();
  }
}

// Returns the line [head_, stop) followed by `terminator` bytes ('\n' or nothing at EOF).
bool RangeScanner::emit(Line& line, std::size_t stop, std::size_t terminator) {
  const char* text = buffer_.get() + head_;
  std::size_t length = stop - head_;
  if (length > 0 && text[length - 1] == '\r') --length;
  line.too_long = length > max_line_bytes_;
  line.text = std::string_view(text, std::min(length, max_line_bytes_));
  line.offset = head_offset_;
  const std::size_t total = stop - head_ + terminator;
  head_ += total;
  head_offset_ += total;
  consumed_ += total;
  return true;
}

// The line at head_ has more than max_line_bytes bytes and no '\n' in the buffer yet: keep
// its first max_line_bytes bytes at the buffer front, read and drop the rest up to its '\n'.
bool RangeScanner::emit_too_long(Line& line) {
  std::uint64_t total = tail_ - head_;
  std::memmove(buffer_.get(), buffer_.get() + head_, max_line_bytes_);
  line.text = std::string_view(buffer_.get(), max_line_bytes_);
  line.offset = head_offset_;
  line.too_long = true;
  head_ = tail_ = max_line_bytes_;
  while (fill()) {
    const char* from = buffer_.get() + max_line_bytes_;
    const void* nl = std::memchr(from, '\n', tail_ - max_line_bytes_);
    if (nl != nullptr) {
      const std::size_t used = static_cast<std::size_t>(static_cast<const char*>(nl) - from) + 1;
      total += used;
      head_ = max_line_bytes_ + used;
      break;
    }
    total += tail_ - max_line_bytes_;
    head_ = tail_ = max_line_bytes_;
  }
  head_offset_ += total;
  consumed_ += total;
  return true;
}

}  // namespace dumpmill::parse
