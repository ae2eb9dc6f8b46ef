// PgBinaryCopy: encodes rows in PostgreSQL's binary COPY format into a reusable buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill::sql {

// Why binary and not text COPY: text format needs every \ tab newline CR in a value escaped
// (and \N reserved for NULL), and a float printed and re-parsed; binary sends each value as
// length + bytes, so titles go through byte for byte with nothing to escape, and integers and
// doubles as their 8 bytes. Layout (PostgreSQL docs, "COPY", binary format): the 19-byte header
// "PGCOPY\n\377\r\n\0" + int32 flags 0 + int32 extension length 0; per row an int16 field
// count, then per field an int32 byte length and the bytes (int8 and float8: 8 bytes, big
// endian; text: its bytes); the trailer int16 -1. Appending allocates nothing once the buffer
// has grown.
class PgBinaryCopy {
 public:
  PgBinaryCopy() { header(); }

  void begin_row(std::uint16_t fields);
  void integer(std::int64_t value);  // for BIGINT columns
  void real(double value);           // for DOUBLE PRECISION columns
  // For TEXT columns. Throws OutputError on a NUL byte: PostgreSQL text cannot hold one
  // (SQLite can; the parser rejects control bytes, so real titles never have one).
  void text(std::string_view value);
  // Appends the trailer; call once after the last row.
  void finish();

  std::string_view bytes() const noexcept { return buffer_; }
  std::size_t size() const noexcept { return buffer_.size(); }
  // Empties the buffer after it was sent (the header is sent only once, with the first chunk).
  void clear() noexcept { buffer_.clear(); }

 private:
  void header();
  void be16(std::uint16_t v);
  void be32(std::uint32_t v);
  void be64(std::uint64_t v);
  std::string buffer_;
};

}  // namespace dumpmill::sql
