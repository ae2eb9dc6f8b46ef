// Typed values and rows as bytes: what the tables stage sends through the shuffle and keys on.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "dumpmill/aggregate/key_codec.hpp"
#include "dumpmill/records/value.hpp"

namespace dumpmill::tables {

// One value, appended to `out`: a flag byte (0 null, 1 present), then for a present value
//   string -> varint length + bytes (copied: the encoding outlives the line);
//   int64, bool, timestamp, date -> 8 bytes big-endian of (i64 XOR 2^63);
//   uint64 -> 8 bytes big-endian;
//   float64 -> 8 bytes big-endian of the IEEE bits, sign-flipped (negative: all bits), with
//              -0.0 written as +0.0.
// So equal values encode equal (a key compares values by bytes), and for numbers byte order
// is numeric order, nulls first: sorting encoded group keys sorts numeric groups numerically.
void encode_value(aggregate::KeyBuilder& out, const records::Value& value,
                  records::ColumnType type);

// Reads one value written by encode_value; a string's text views the reader's bytes.
// Throws std::out_of_range on truncated bytes or a bad flag byte.
records::Value decode_value(aggregate::KeyReader& in, records::ColumnType type);

// The values at `columns` of `row`, in that order. `types` is indexed by row column (the
// whole row's types), so one vector serves every call.
void encode_columns(aggregate::KeyBuilder& out, const records::Row& row,
                    std::span<const std::size_t> columns,
                    std::span<const records::ColumnType> types);

// Every value of `row` (row.values.size() == types.size()).
void encode_row(aggregate::KeyBuilder& out, const records::Row& row,
                std::span<const records::ColumnType> types);

// Decodes a row written by encode_row into `values` (resized to types.size()); texts view
// `bytes`. Throws std::out_of_range if the bytes are not exactly one such row.
void decode_row(std::string_view bytes, std::span<const records::ColumnType> types,
                std::vector<records::Value>& values);

}  // namespace dumpmill::tables
