// PostgreSQL binary COPY encoding (big-endian lengths and numbers, raw text bytes).
#include "dumpmill/sql/pg_copy.hpp"

#include <bit>
#include <cstring>
#include <limits>

#include "dumpmill/core/error.hpp"

namespace dumpmill::sql {

void PgBinaryCopy::header() {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + the terminating NUL = 11 bytes
  buffer_.append(kSignature, sizeof kSignature);
  be32(0);  // flags: no OIDs
  be32(0);  // header extension length
}

void PgBinaryCopy::be16(std::uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  buffer_.append(b, 2);
}

void PgBinaryCopy::be32(std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  buffer_.append(b, 4);
}

void PgBinaryCopy::be64(std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  buffer_.append(b, 8);
}

void PgBinaryCopy::begin_row(std::uint16_t fields) { be16(fields); }

void PgBinaryCopy::integer(std::int64_t value) {
  be32(8);
  be64(static_cast<std::uint64_t>(value));
}

void PgBinaryCopy::real(double value) {
  be32(8);
  be64(std::bit_cast<std::uint64_t>(value));
}

void PgBinaryCopy::text(std::string_view value) {
  if (value.find('\0') != std::string_view::npos)
    throw OutputError("a text value holds a NUL byte, which PostgreSQL text cannot store");
  if (value.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw OutputError("a text value is longer than PostgreSQL's field length limit");
  be32(static_cast<std::uint32_t>(value.size()));
  buffer_.append(value);
}

void PgBinaryCopy::finish() { be16(0xffff); }

}  // namespace dumpmill::sql
