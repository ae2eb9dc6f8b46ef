// Typed column values, a reusable row of them, and the arena that owns rewritten strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dumpmill/parse/reject.hpp"

namespace dumpmill::records {

enum class ColumnType : std::uint8_t {
  kString,
  kInt64,
  kUint64,
  kFloat64,
  kBool,
  kTimestamp,
  kDate,
};

// "string", "int64", "uint64", "float64", "bool", "timestamp", "date".
std::string_view column_type_name(ColumnType type);
std::optional<ColumnType> column_type_from_name(std::string_view name);

// One typed value. The member that holds it depends on the column's type:
//   string -> text (a view: into the line, the JSON parser's buffer or the row's arena);
//   int64 and bool (0/1) -> i64; timestamp -> i64 microseconds since 1970-01-01T00:00:00Z
//   (UTC; +-292,000 years fit); date -> i64 days since 1970-01-01; uint64 -> u64;
//   float64 -> f64 (always finite: NaN and infinities are rejected on input).
// A plain struct, not a variant: the row is a flat array rewritten in place per record.
struct Value {
  std::string_view text;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  double f64 = 0;
  bool null = true;
};

// -1, 0 or 1 as a is less than, equal to or greater than b; both must be non-null and of
// `type`. Strings compare bytewise (memcmp order, as SQLite's BINARY collation).
int compare_values(const Value& a, const Value& b, ColumnType type);

// Bump allocator for strings a row must own (CSV fields with escaped quotes, lower()).
// reset() keeps the blocks, so after the first rows no record allocates. Pointers stay
// valid until reset(): blocks never move.
class Arena {
 public:
  // 64 KiB: a block holds the rewritten fields of any line below that size; longer needs
  // get a block of their own size.
  static constexpr std::size_t kDefaultBlockBytes = 64 << 10;

  Arena() = default;
  explicit Arena(std::size_t block_bytes) : block_bytes_(block_bytes) {}

  char* allocate(std::size_t bytes);
  void reset() {
    current_ = 0;
    used_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size;
  };
  std::size_t block_bytes_ = kDefaultBlockBytes;
  std::vector<Block> blocks_;
  std::size_t current_ = 0;  // index of the block being filled
  std::size_t used_ = 0;     // bytes used in blocks_[current_]
};

// One record: the schema's columns in schema order, then the derived columns. Reused for
// every record (RecordParser::parse resets it), so its vector and arena allocate only
// while warming up.
struct Row {
  std::vector<Value> values;
  Arena arena;

  void reset(std::size_t width) {
    values.assign(width, Value{});
    arena.reset();
  }
};

// Why a row was rejected, and which column (an index into Row::values) if one is to
// blame; kNoColumn for faults of the whole line (broken JSON, field count, ...).
struct RowReject {
  static constexpr std::int32_t kNoColumn = -1;
  parse::RejectReason reason;
  std::int32_t column = kNoColumn;
};

}  // namespace dumpmill::records
