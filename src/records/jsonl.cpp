// JSON Lines parsing with simdjson On-Demand: a padded copy of the line, fields by key.
#include "dumpmill/records/jsonl.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace dumpmill::records {
namespace {

using parse::RejectReason;
namespace od = simdjson::ondemand;

std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

struct JsonlParser::Impl {
  explicit Impl(const Schema& s) : schema(s), seen(s.columns.size(), 0) {}

  const Schema& schema;
  od::parser parser;
  std::unique_ptr<char[]> padded;
  std::size_t capacity = 0;
  std::vector<char> seen;  // per column: key met in this object

  std::optional<RowReject> convert(od::value& v, std::size_t col, Row& row) {
    const Column& c = schema.columns[col];
    Value& out = row.values[col];
    const auto reject = [&](RejectReason r) {
      return std::optional<RowReject>(RowReject{r, static_cast<std::int32_t>(col)});
    };
    od::json_type type{};
    if (v.type().get(type) != simdjson::SUCCESS) return reject(RejectReason::kBadJson);
    switch (type) {
      case od::json_type::null:
        // type() only peeks at the first byte: `nul` also starts with 'n'.
        {
          bool is_null = false;
          if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
            return reject(RejectReason::kBadJson);
          }
        }
        out = Value{};
        return std::nullopt;
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS) return reject(RejectReason::kBadJson);
        if (c.type != ColumnType::kString && s.empty()) {
          out = Value{};  // "" for a number: null, as an empty TSV/CSV field
          return std::nullopt;
        }
        if (auto r = convert_text(s, c.type, c.format, out)) return reject(*r);
        return std::nullopt;
      }
      case od::json_type::number: {
        if (c.type == ColumnType::kBool) return reject(RejectReason::kWrongType);
        if (c.type == ColumnType::kFloat64) {
          double d = 0;
          const auto e = v.get_double().get(d);
          if (e != simdjson::SUCCESS) return reject(RejectReason::kBadJson);
          out.null = false;
          out.f64 = d;
          return std::nullopt;
        }
        const std::string_view token = trim_right(v.raw_json_token());
        // The raw token is not validated by simdjson; for strings keep only valid numbers.
        if (c.type == ColumnType::kString) {
          double d = 0;
          if (v.get_double().get(d) != simdjson::SUCCESS) return reject(RejectReason::kBadJson);
        }
        if (auto r = convert_text(token, c.type, c.format, out)) return reject(*r);
        return std::nullopt;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (v.get_bool().get(b) != simdjson::SUCCESS) return reject(RejectReason::kBadJson);
        if (c.type == ColumnType::kBool) {
          out.null = false;
          out.i64 = b ? 1 : 0;
          return std::nullopt;
        }
        if (c.type == ColumnType::kString) {
          out.null = false;
          out.text = b ? "true" : "false";
          return std::nullopt;
        }
        return reject(RejectReason::kWrongType);
      }
      case od::json_type::array:
      case od::json_type::object:
        return reject(RejectReason::kWrongType);
    }
    return reject(RejectReason::kBadJson);
  }
};

JsonlParser::JsonlParser(const Schema& schema) : impl_(std::make_unique<Impl>(schema)) {}
JsonlParser::~JsonlParser() = default;
JsonlParser::JsonlParser(JsonlParser&&) noexcept = default;

std::optional<RowReject> JsonlParser::parse(std::string_view line, Row& row) {
  Impl& m = *impl_;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (need > m.capacity) {
    m.capacity = need + need / 2;
    m.padded = std::make_unique<char[]>(m.capacity);
  }
  std::memcpy(m.padded.get(), line.data(), line.size());
  std::memset(m.padded.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  const RowReject bad_json{RejectReason::kBadJson};
  od::document doc;
  if (m.parser.iterate(m.padded.get(), line.size(), m.capacity).get(doc) != simdjson::SUCCESS) {
    return bad_json;
  }
  od::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return bad_json;
  std::fill(m.seen.begin(), m.seen.end(), 0);
  const auto& columns = m.schema.columns;
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return bad_json;
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return bad_json;
    std::size_t col = 0;
    while (col < columns.size() && columns[col].name != key) ++col;
    if (col == columns.size()) {
      if (m.schema.extra == ExtraPolicy::kReject) return RowReject{RejectReason::kExtraField};
      continue;  // the loop skips the unread value
    }
    if (m.seen[col] != 0) {
      return RowReject{RejectReason::kDuplicateField, static_cast<std::int32_t>(col)};
    }
    m.seen[col] = 1;
    if (auto r = m.convert(field.value(), col, row)) return r;
  }
  // After the closing brace the document must be at its end: `{..} x` or `{..}{..}` is
  // not one object. current_location() fails with OUT_OF_BOUNDS exactly at the end.
  const char* where = nullptr;
  if (doc.current_location().get(where) == simdjson::SUCCESS) return bad_json;
  return std::nullopt;
}

}  // namespace dumpmill::records
