// Format and schema sections of a job file; field text -> typed value; column constraints.
#include "dumpmill/records/schema.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "dumpmill/core/error.hpp"
#include "dumpmill/parse/utf8.hpp"

namespace dumpmill::records {
namespace {

using parse::RejectReason;

[[noreturn]] void config_fail(std::string_view source, std::string_view key,
                              const std::string& what) {
  throw ConfigError(std::string(source) + ": " + std::string(key) + ": " + what);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

template <typename T>
std::optional<RejectReason> convert_integer(std::string_view text, T& out) {
  if (text.empty()) return RejectReason::kWrongType;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ptr != end) return RejectReason::kWrongType;
  if (ec == std::errc::result_out_of_range) return RejectReason::kOutOfRange;
  if (ec != std::errc()) return RejectReason::kWrongType;
  return std::nullopt;
}

bool parse_bool_text(std::string_view s, bool& out) {
  if (s == "1" || iequals(s, "true")) {
    out = true;
    return true;
  }
  if (s == "0" || iequals(s, "false")) {
    out = false;
    return true;
  }
  return false;
}

std::optional<char> parse_char_setting(std::string_view v, bool allow_none) {
  if (allow_none && v == "none") return '\0';
  if (v == "tab") return '\t';
  if (v == "comma") return ',';
  if (v == "semicolon") return ';';
  if (v == "pipe") return '|';
  if (v == "space") return ' ';
  if (v == "hash") return '#';
  if (v.size() == 1 && v[0] != '\n' && v[0] != '\r') return v[0];
  return std::nullopt;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Literal::Literal(Value v, std::string t) : value(v), text(std::move(t)) { value.text = text; }
Literal::Literal(const Literal& other) : value(other.value), text(other.text) { value.text = text; }
Literal& Literal::operator=(const Literal& other) {
  if (this != &other) {
    value = other.value;
    text = other.text;
    value.text = text;
  }
  return *this;
}
Literal::Literal(Literal&& other) noexcept : value(other.value), text(std::move(other.text)) {
  value.text = text;
}
Literal& Literal::operator=(Literal&& other) noexcept {
  value = other.value;
  text = std::move(other.text);
  value.text = text;
  return *this;
}

std::optional<std::size_t> Schema::find(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<RejectReason> convert_text(std::string_view text, ColumnType type,
                                         const TimestampFormat& format, Value& out) {
  out.null = false;
  switch (type) {
    case ColumnType::kString:
      if (!parse::is_valid_utf8(text)) return RejectReason::kInvalidUtf8;
      out.text = text;
      return std::nullopt;
    case ColumnType::kInt64:
      return convert_integer(text, out.i64);
    case ColumnType::kUint64:
      return convert_integer(text, out.u64);
    case ColumnType::kFloat64: {
      if (text.empty()) return RejectReason::kWrongType;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, out.f64);
      if (ptr != end || ec != std::errc() || !std::isfinite(out.f64)) {
        return RejectReason::kWrongType;
      }
      return std::nullopt;
    }
    case ColumnType::kBool: {
      bool b = false;
      if (!parse_bool_text(text, b)) return RejectReason::kWrongType;
      out.i64 = b ? 1 : 0;
      return std::nullopt;
    }
    case ColumnType::kTimestamp: {
      const auto micros = format.parse_timestamp(text);
      if (!micros) return RejectReason::kWrongType;
      out.i64 = *micros;
      return std::nullopt;
    }
    case ColumnType::kDate: {
      const auto days = format.parse_date(text);
      if (!days) return RejectReason::kWrongType;
      out.i64 = *days;
      return std::nullopt;
    }
  }
  return RejectReason::kWrongType;
}

std::optional<RejectReason> check_value(const Column& column, const Value& value) {
  if (value.null) {
    if (column.required) return RejectReason::kMissingField;
    return std::nullopt;
  }
  if (!column.allowed.empty()) {
    bool found = false;
    for (const Literal& a : column.allowed) {
      if (compare_values(value, a.value, column.type) == 0) {
        found = true;
        break;
      }
    }
    if (!found) return RejectReason::kNotAllowed;
  }
  if (column.min && compare_values(value, column.min->value, column.type) < 0) {
    return RejectReason::kOutOfRange;
  }
  if (column.max && compare_values(value, column.max->value, column.type) > 0) {
    return RejectReason::kOutOfRange;
  }
  return std::nullopt;
}

std::optional<Literal> parse_literal(std::string_view text, ColumnType type) {
  Literal lit(Value{}, std::string(text));
  const TimestampFormat iso;
  if (convert_text(lit.text, type, iso, lit.value)) return std::nullopt;
  lit.value.text = lit.text;
  return lit;
}

FormatSpec parse_format(const std::vector<JobEntry>& entries, std::string_view source) {
  FormatSpec spec;
  bool have_format = false;
  for (const JobEntry& e : entries) {
    if (e.key != "job.format") continue;
    have_format = true;
    if (e.value == "tsv") {
      spec.format = Format::kTsv;
    } else if (e.value == "csv") {
      spec.format = Format::kCsv;
      spec.delimiter = ',';
      spec.quote = '"';
      spec.escape = '"';
      spec.null_text.clear();
    } else if (e.value == "jsonl") {
      spec.format = Format::kJsonl;
    } else {
      config_fail(source, e.key, "'" + e.value + "' is not a record format (tsv, csv, jsonl)");
    }
  }
  if (!have_format) config_fail(source, "job.format", "missing (tsv, csv or jsonl)");
  bool escape_given = false;
  for (const JobEntry& e : entries) {
    if (!starts_with(e.key, "format.")) continue;
    const std::string_view key = std::string_view(e.key).substr(7);
    const std::string_view v = e.value;
    const bool text_only = key == "header" || key == "null";
    const bool csv_only = key == "delimiter" || key == "quote" || key == "escape";
    if (spec.format == Format::kJsonl && (text_only || csv_only)) {
      config_fail(source, e.key, "does not apply to jsonl");
    }
    if (spec.format == Format::kTsv && csv_only) {
      config_fail(source, e.key,
                  "tsv fields are split on tab with no quoting; use format = csv with "
                  "delimiter = tab for quoted fields");
    }
    if (key == "header" || key == "skip_empty") {
      bool b = false;
      if (!parse_bool_text(v, b)) config_fail(source, e.key, "'" + e.value + "' is not a bool");
      (key == "header" ? spec.header : spec.skip_empty) = b;
    } else if (key == "delimiter" || key == "quote" || key == "escape" || key == "comment") {
      const auto c = parse_char_setting(v, key != "delimiter");
      if (!c) config_fail(source, e.key, "'" + e.value + "' is not one character or a name");
      if (key == "delimiter") spec.delimiter = *c;
      if (key == "quote") spec.quote = *c;
      if (key == "escape") {
        spec.escape = *c;
        escape_given = true;
      }
      if (key == "comment") spec.comment = *c;
    } else if (key == "null") {
      spec.null_text = e.value;
    } else {
      config_fail(source, e.key,
                  "unknown key (known: header delimiter quote escape null comment skip_empty)");
    }
  }
  if (spec.format == Format::kCsv) {
    if (!escape_given) spec.escape = spec.quote;
    if (spec.quote != '\0' && spec.quote == spec.delimiter) {
      config_fail(source, "format.quote", "must differ from the delimiter");
    }
    if (spec.escape != '\0' && spec.quote == '\0') {
      config_fail(source, "format.escape", "needs a quote character");
    }
  }
  return spec;
}

Schema parse_schema(const std::vector<JobEntry>& entries, std::string_view source) {
  Schema schema;
  for (const JobEntry& e : entries) {
    if (e.key == "schema.columns") {
      std::vector<std::string> items;
      try {
        items = split_list(e.value);
      } catch (const std::invalid_argument& x) {
        config_fail(source, e.key, x.what());
      }
      for (std::string& item : items) {
        const auto colon = item.rfind(':');
        if (colon == std::string::npos || colon == 0) {
          config_fail(source, e.key, "'" + item + "' is not name:type");
        }
        Column c;
        c.name = item.substr(0, colon);
        std::string_view type = std::string_view(item).substr(colon + 1);
        if (!type.empty() && type.back() == '?') {
          c.required = false;
          type.remove_suffix(1);
        }
        const auto t = column_type_from_name(type);
        if (!t) {
          config_fail(source, e.key,
                      "'" + std::string(type) + "' (column " + c.name +
                          ") is not a type (string int64 uint64 float64 bool timestamp date)");
        }
        c.type = *t;
        if (schema.find(c.name)) config_fail(source, e.key, "column " + c.name + " listed twice");
        schema.columns.push_back(std::move(c));
      }
    } else if (e.key == "schema.extra") {
      if (e.value == "ignore") {
        schema.extra = ExtraPolicy::kIgnore;
      } else if (e.value == "reject") {
        schema.extra = ExtraPolicy::kReject;
      } else {
        config_fail(source, e.key, "'" + e.value + "' is not ignore or reject");
      }
    } else if (starts_with(e.key, "schema.") && e.key != "schema.derive" &&
               e.key != "schema.filter") {
      config_fail(source, e.key, "unknown key (known: columns extra derive filter)");
    }
  }
  if (schema.columns.empty()) config_fail(source, "schema.columns", "missing or empty");

  for (const JobEntry& e : entries) {
    if (!starts_with(e.key, "column.")) continue;
    const auto dot = e.key.rfind('.');
    const std::string name = e.key.substr(7, dot - 7);
    const std::string_view key = std::string_view(e.key).substr(dot + 1);
    const auto index = schema.find(name);
    if (dot <= 7 || !index) {
      config_fail(source, e.key, "no column '" + name + "' in schema.columns");
    }
    Column& c = schema.columns[*index];
    const bool timelike = c.type == ColumnType::kTimestamp || c.type == ColumnType::kDate;
    if (key == "required") {
      bool b = false;
      if (!parse_bool_text(e.value, b))
        config_fail(source, e.key, "'" + e.value + "' is not a bool");
      c.required = b;
    } else if (key == "format") {
      if (!timelike) config_fail(source, e.key, "only timestamp and date columns have a format");
      try {
        c.format = TimestampFormat::from_spec(e.value);
      } catch (const std::invalid_argument& x) {
        config_fail(source, e.key, x.what());
      }
    } else if (key == "allowed") {
      std::vector<std::string> items;
      try {
        items = split_list(e.value);
      } catch (const std::invalid_argument& x) {
        config_fail(source, e.key, x.what());
      }
      if (items.empty()) config_fail(source, e.key, "empty list");
      for (const std::string& item : items) {
        auto lit = parse_literal(item, c.type);
        if (!lit) {
          config_fail(source, e.key,
                      "'" + item + "' is not a " + std::string(column_type_name(c.type)));
        }
        c.allowed.push_back(std::move(*lit));
      }
    } else if (key == "min" || key == "max") {
      if (c.type == ColumnType::kString || c.type == ColumnType::kBool) {
        config_fail(source, e.key, "string and bool columns have no range (use allowed)");
      }
      auto lit = parse_literal(e.value, c.type);
      if (!lit) {
        config_fail(source, e.key,
                    "'" + e.value + "' is not a " + std::string(column_type_name(c.type)));
      }
      (key == "min" ? c.min : c.max) = std::move(*lit);
    } else {
      config_fail(source, e.key, "unknown key (known: required format allowed min max)");
    }
  }
  for (const Column& c : schema.columns) {
    if (c.min && c.max && compare_values(c.min->value, c.max->value, c.type) > 0) {
      config_fail(source, "column." + c.name + ".min", "greater than max");
    }
  }
  return schema;
}

}  // namespace dumpmill::records
