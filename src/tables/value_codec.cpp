// Typed values and rows as order-preserving bytes.
#include "dumpmill/tables/value_codec.hpp"

#include <bit>
#include <cstdint>
#include <stdexcept>

namespace dumpmill::tables {
namespace {

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

std::uint64_t double_to_ordered(double d) {
  if (d == 0) d = 0;  // -0.0 == 0.0: one encoding, so a key does not split them
  const auto bits = std::bit_cast<std::uint64_t>(d);
  return (bits & kSignBit) != 0 ? ~bits : bits | kSignBit;
}

double ordered_to_double(std::uint64_t v) {
  const std::uint64_t bits = (v & kSignBit) != 0 ? v & ~kSignBit : ~v;
  return std::bit_cast<double>(bits);
}

}  // namespace

void encode_value(aggregate::KeyBuilder& out, const records::Value& value,
                  records::ColumnType type) {
  if (value.null) {
    out.add_u8(0);
    return;
  }
  out.add_u8(1);
  switch (type) {
    case records::ColumnType::kString:
      out.add_string(value.text);
      break;
    case records::ColumnType::kUint64:
      out.add_u64(value.u64);
      break;
    case records::ColumnType::kFloat64:
      out.add_u64(double_to_ordered(value.f64));
      break;
    case records::ColumnType::kInt64:
    case records::ColumnType::kBool:
    case records::ColumnType::kTimestamp:
    case records::ColumnType::kDate:
      out.add_u64(static_cast<std::uint64_t>(value.i64) ^ kSignBit);
      break;
  }
}

records::Value decode_value(aggregate::KeyReader& in, records::ColumnType type) {
  records::Value v;
  const std::uint8_t flag = in.u8();
  if (flag == 0) return v;
  if (flag != 1) throw std::out_of_range("encoded value: bad null flag");
  v.null = false;
  switch (type) {
    case records::ColumnType::kString:
      v.text = in.string();
      break;
    case records::ColumnType::kUint64:
      v.u64 = in.u64();
      break;
    case records::ColumnType::kFloat64:
      v.f64 = ordered_to_double(in.u64());
      break;
    case records::ColumnType::kInt64:
    case records::ColumnType::kBool:
    case records::ColumnType::kTimestamp:
    case records::ColumnType::kDate:
      v.i64 = static_cast<std::int64_t>(in.u64() ^ kSignBit);
      break;
  }
  return v;
}

void encode_columns(aggregate::KeyBuilder& out, const records::Row& row,
                    std::span<const std::size_t> columns,
                    std::span<const records::ColumnType> types) {
  for (const std::size_t c : columns) encode_value(out, row.values[c], types[c]);
}

void encode_row(aggregate::KeyBuilder& out, const records::Row& row,
                std::span<const records::ColumnType> types) {
  for (std::size_t c = 0; c < types.size(); ++c) encode_value(out, row.values[c], types[c]);
}

void decode_row(std::string_view bytes, std::span<const records::ColumnType> types,
                std::vector<records::Value>& values) {
  aggregate::KeyReader in(bytes);
  values.resize(types.size());
  for (std::size_t c = 0; c < types.size(); ++c) values[c] = decode_value(in, types[c]);
  if (!in.done()) throw std::out_of_range("encoded row: bytes left after the last column");
}

}  // namespace dumpmill::tables
