// Why a record was rejected, per-reason counts, and the rejects TSV writer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill::parse {

// Why a line is not a valid record. A bad record is a value, never an exception: the
// caller counts it (RejectCounts) and writes it out (RejectWriter). Values are stable:
// they index RejectCounts::by_reason and may be stored in results; append new ones last.
enum class RejectReason : std::uint8_t {
  kEmptyLine,    // a line with no bytes (an empty line in the middle of a file)
  kFieldCount,   // not exactly the schema's number of tab-separated fields
  kEmptyTitle,   // prev or curr is empty (after unquoting)
  kBadType,      // type is not one of the schema's link types
  kBadCount,     // n is not ASCII digits, is 0, or does not fit uint64
  kBadQuoting,   // a quoted title that does not decode cleanly
  kInvalidUtf8,  // a title that is not valid UTF-8 (overlong, surrogate, truncated, ...)
  kLineTooLong,  // the line exceeded the scanner's max_line_bytes (set by the caller)
  kControlChar,  // a title holding a C0 control byte (0x00-0x1F, e.g. NUL or a lone CR) or DEL
  kBadId,        // 2015 schema: prev_id or curr_id is neither empty nor ASCII digits
  // Generic records (records/): the RowReject beside the reason names the column.
  kBadJson,         // JSONL: not one well-formed JSON object (syntax, truncation, trailing bytes)
  kMissingField,    // a required column is absent, empty-null or JSON null
  kWrongType,       // a value that is not of its column's type ("abc" for int64, an array, ...)
  kOutOfRange,      // an integer too big for 64 bits, or outside the column's min/max
  kNotAllowed,      // a value outside the column's allowed list
  kExtraField,      // a field/key not in the schema while `extra = reject`
  kDuplicateField,  // JSONL: the same key twice in one object
};

inline constexpr std::size_t kRejectReasonCount = 17;

// snake_case name, stable, used in the rejects file, reports and SQL ("empty_line", ...).
std::string_view reject_reason_name(RejectReason reason);

// One line for human-readable reports.
std::string_view reject_reason_description(RejectReason reason);

// Rejected lines counted by reason; ranks add their counts together for the run report.
struct RejectCounts {
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};

  std::uint64_t total() const;
  std::uint64_t count(RejectReason reason) const {
    return by_reason[static_cast<std::size_t>(reason)];
  }
  void add(RejectReason reason) { ++by_reason[static_cast<std::size_t>(reason)]; }
  RejectCounts& operator+=(const RejectCounts& other);
  friend bool operator==(const RejectCounts&, const RejectCounts&) = default;
};

// Appends rejects to a TSV file: a header line `file\tbyte_offset\treason\tline`, then one
// line per reject. byte_offset is the decoded (uncompressed) offset of the line's first byte;
// reason is reject_reason_name(). The file name and raw line are escaped so that every reject
// stays one line and the file stays valid UTF-8: \t -> \\t, \n -> \\n, \r -> \\r, \\ -> \\\\,
// other C0 control bytes, DEL and bytes that are not part of a valid UTF-8 sequence -> \xHH.
// Only the first max_line_bytes bytes of a raw line are kept (cut back to a UTF-8 character
// boundary), followed by "…[truncated N bytes]" where N counts the bytes dropped.
//
// Memory is bounded: output is staged in a buffer of buffer_bytes and written when full.
// Errors: the constructor and add() throw OutputError if the file cannot be created or
// written (a write happens only when the buffer fills); close() flushes and closes and
// throws OutputError on failure (e.g. disk full). The destructor closes without throwing
// and so cannot report a failure: call close() on every successful path.
class RejectWriter {
 public:
  static constexpr std::size_t kDefaultMaxLineBytes = 4096;
  // 64 KiB: large enough that write(2) calls are rare (rejects are a small fraction of
  // lines), small enough to be noise next to the 4 MiB scanner buffer.
  static constexpr std::size_t kDefaultBufferBytes = 64 << 10;

  // Creates (or truncates) `path` and stages the header line.
  explicit RejectWriter(std::string path, std::size_t max_line_bytes = kDefaultMaxLineBytes,
                        std::size_t buffer_bytes = kDefaultBufferBytes);
  ~RejectWriter();
  RejectWriter(RejectWriter&& other) noexcept;
  RejectWriter& operator=(RejectWriter&& other) noexcept;
  RejectWriter(const RejectWriter&) = delete;
  RejectWriter& operator=(const RejectWriter&) = delete;

  // Stages one reject. Throws std::logic_error after close().
  void add(std::string_view file, std::uint64_t offset, RejectReason reason,
           std::string_view raw_line);

  // Writes what is staged and closes the file. Idempotent once it has succeeded.
  void close();

  std::uint64_t rejects_written() const { return rejects_; }
  const std::string& path() const { return path_; }

 private:
  void flush();
  void release() noexcept;

  std::string path_;
  std::size_t max_line_bytes_;
  std::size_t buffer_bytes_;
  std::string buffer_;
  int fd_ = -1;
  std::uint64_t rejects_ = 0;
};

}  // namespace dumpmill::parse

namespace dumpmill::detail {
// Appends `raw` to `out`, escaped as the rejects file escapes it (see RejectWriter).
// Public only so that tests can check the escaping rules directly.
void append_reject_escaped(std::string& out, std::string_view raw);
}  // namespace dumpmill::detail
