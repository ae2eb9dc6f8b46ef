// Reject reasons, their counts, and the escaped, buffered rejects TSV writer.
#include "dumpmill/parse/reject.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "dumpmill/core/error.hpp"
#include "dumpmill/parse/utf8.hpp"

namespace dumpmill::parse {
namespace {

struct ReasonText {
  std::string_view name;
  std::string_view description;
};

// Indexed by RejectReason; the static_assert keeps it in step with the enum.
constexpr std::array<ReasonText, kRejectReasonCount> kReasonTexts{{
    {"empty_line", "empty line"},
    {"field_count", "wrong number of tab-separated fields"},
    {"empty_title", "prev or curr title is empty"},
    {"bad_type", "type is not a known link type"},
    {"bad_count", "n is not a positive integer that fits 64 bits"},
    {"bad_quoting", "quoted title with an unescaped or missing quote"},
    {"invalid_utf8", "title is not valid UTF-8"},
    {"line_too_long", "line longer than the configured maximum"},
    {"control_char", "title contains a control character (NUL, CR, ...)"},
    {"bad_id", "page id is neither empty nor digits"},
    {"bad_json", "not one well-formed JSON object"},
    {"missing_field", "a required column is absent or null"},
    {"wrong_type", "a value is not of its column's type"},
    {"out_of_range", "a number does not fit 64 bits or is outside the column's min/max"},
    {"not_allowed", "a value is not in the column's allowed list"},
    {"extra_field", "a field not in the schema (extra = reject)"},
    {"duplicate_field", "the same JSON key twice in one object"},
}};
static_assert(static_cast<std::size_t>(RejectReason::kDuplicateField) + 1 == kRejectReasonCount);

const ReasonText& text_of(RejectReason reason) {
  const auto i = static_cast<std::size_t>(reason);
  if (i >= kRejectReasonCount) throw std::out_of_range("RejectReason out of range");
  return kReasonTexts[i];
}

constexpr char kHex[] = "0123456789ABCDEF";

void append_hex_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0F];
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::string_view reject_reason_name(RejectReason reason) { return text_of(reason).name; }

std::string_view reject_reason_description(RejectReason reason) {
  return text_of(reason).description;
}

std::uint64_t RejectCounts::total() const {
  return std::accumulate(by_reason.begin(), by_reason.end(), std::uint64_t{0});
}

RejectCounts& RejectCounts::operator+=(const RejectCounts& other) {
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) by_reason[i] += other.by_reason[i];
  return *this;
}

RejectWriter::RejectWriter(std::string path, std::size_t max_line_bytes, std::size_t buffer_bytes)
    : path_(std::move(path)), max_line_bytes_(max_line_bytes), buffer_bytes_(buffer_bytes) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw OutputError(path_ + ": cannot create rejects file: " + errno_text(errno));
  }
  buffer_.reserve(buffer_bytes_);
  buffer_ += "file\tbyte_offset\treason\tline\n";
}

RejectWriter::~RejectWriter() { release(); }

RejectWriter::RejectWriter(RejectWriter&& other) noexcept
    : path_(std::move(other.path_)),
      max_line_bytes_(other.max_line_bytes_),
      buffer_bytes_(other.buffer_bytes_),
      buffer_(std::move(other.buffer_)),
      fd_(std::exchange(other.fd_, -1)),
      rejects_(other.rejects_) {}

RejectWriter& RejectWriter::operator=(RejectWriter&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    max_line_bytes_ = other.max_line_bytes_;
    buffer_bytes_ = other.buffer_bytes_;
    buffer_ = std::move(other.buffer_);
    fd_ = std::exchange(other.fd_, -1);
    rejects_ = other.rejects_;
  }
  return *this;
}

void RejectWriter::add(std::string_view file, std::uint64_t offset, RejectReason reason,
                       std::string_view raw_line) {
  if (fd_ < 0) throw std::logic_error("RejectWriter::add after close: " + path_);
  std::string_view kept = raw_line;
  if (kept.size() > max_line_bytes_) {
    std::size_t cut = max_line_bytes_;
    // Do not split a UTF-8 character: back off over at most 3 continuation bytes.
    for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(raw_line[cut]) & 0xC0) == 0x80;
         ++k) {
      --cut;
    }
    kept = raw_line.substr(0, cut);
  }
  dumpmill::detail::append_reject_escaped(buffer_, file);
  buffer_ += '\t';
  buffer_ += std::to_string(offset);
  buffer_ += '\t';
  buffer_ += reject_reason_name(reason);
  buffer_ += '\t';
  dumpmill::detail::append_reject_escaped(buffer_, kept);
  if (kept.size() < raw_line.size()) {
    buffer_ += "\xE2\x80\xA6[truncated ";  // U+2026 HORIZONTAL ELLIPSIS
    buffer_ += std::to_string(raw_line.size() - kept.size());
    buffer_ += " bytes]";
  }
  buffer_ += '\n';
  ++rejects_;
  if (buffer_.size() >= buffer_bytes_) flush();
}

void RejectWriter::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw OutputError(path_ + ": cannot write rejects file: " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void RejectWriter::close() {
  if (fd_ < 0) return;
  try {
    flush();
  } catch (...) {
    buffer_.clear();  // do not retry the failed write in release()
    release();
    throw;
  }
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    throw OutputError(path_ + ": cannot close rejects file: " + errno_text(errno));
  }
}

void RejectWriter::release() noexcept {
  // Best effort without throwing; close() is the path that reports failures.
  if (fd_ < 0) return;
  if (!buffer_.empty()) {
    const char* p = buffer_.data();
    std::size_t left = buffer_.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace dumpmill::parse

namespace dumpmill::detail {

void append_reject_escaped(std::string& out, std::string_view raw) {
  std::size_t i = 0;
  while (i < raw.size()) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x80) {
      const std::size_t len = parse::utf8_sequence_length(raw.substr(i));
      if (len == 0) {
        parse::append_hex_escape(out, c);
        ++i;
      } else {
        out.append(raw.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          parse::append_hex_escape(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

}  // namespace dumpmill::detail
