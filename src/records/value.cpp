// Column type names, value comparison and the row arena.
#include "dumpmill/records/value.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace dumpmill::records {
namespace {

constexpr std::array<std::string_view, 7> kTypeNames{"string", "int64",     "uint64", "float64",
                                                     "bool",   "timestamp", "date"};

template <typename T>
int three_way(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

std::string_view column_type_name(ColumnType type) {
  const auto i = static_cast<std::size_t>(type);
  if (i >= kTypeNames.size()) throw std::out_of_range("ColumnType out of range");
  return kTypeNames[i];
}

std::optional<ColumnType> column_type_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<ColumnType>(i);
  }
  return std::nullopt;
}

int compare_values(const Value& a, const Value& b, ColumnType type) {
  switch (type) {
    case ColumnType::kString: {
      const int c = a.text.compare(b.text);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ColumnType::kUint64:
      return three_way(a.u64, b.u64);
    case ColumnType::kFloat64:
      return three_way(a.f64, b.f64);
    case ColumnType::kInt64:
    case ColumnType::kBool:
    case ColumnType::kTimestamp:
    case ColumnType::kDate:
      return three_way(a.i64, b.i64);
  }
  return 0;
}

char* Arena::allocate(std::size_t bytes) {
  while (current_ < blocks_.size()) {
    Block& b = blocks_[current_];
    if (b.size - used_ >= bytes) {
      char* p = b.data.get() + used_;
      used_ += bytes;
      return p;
    }
    ++current_;
    used_ = 0;
  }
  const std::size_t size = std::max(bytes, block_bytes_);
  blocks_.push_back(Block{std::make_unique<char[]>(size), size});
  current_ = blocks_.size() - 1;
  used_ = bytes;
  return blocks_.back().data.get();
}

}  // namespace dumpmill::records
