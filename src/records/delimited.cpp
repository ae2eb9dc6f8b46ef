// TSV/CSV field splitting (RFC 4180 quoting) and field -> column conversion.
#include "dumpmill/records/delimited.hpp"

#include <cstring>
#include <stdexcept>

namespace dumpmill::records {
namespace {

using parse::RejectReason;

// Calls on_field(index, text, quoted) for every field of `line`; stops at the first reject
// on_field returns. Unescaped copies of quoted fields go to `arena`. Returns the number of
// fields through `fields`.
template <typename OnField>
std::optional<RowReject> split_fields(const FormatSpec& format, std::string_view line, Arena& arena,
                                      std::size_t& fields, OnField&& on_field) {
  const char delim = format.delimiter;
  const char quote = format.format == Format::kCsv ? format.quote : '\0';
  const char esc = format.escape;
  std::size_t index = 0;
  std::size_t pos = 0;
  while (true) {
    if (quote != '\0' && pos < line.size() && line[pos] == quote) {
      const std::size_t start = pos + 1;
      std::size_t i = start;
      char* buf = nullptr;  // the unescaped copy, made at the first escape
      std::size_t n = 0;
      const auto begin_copy = [&] {
        if (buf == nullptr) {
          buf = arena.allocate(line.size() - start);
          n = i - start;
          std::memcpy(buf, line.data() + start, n);
        }
      };
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i];
        if (c == esc && esc != quote && i + 1 < line.size()) {
          begin_copy();
          buf[n++] = line[i + 1];
          i += 2;
          continue;
        }
        if (c == quote) {
          if (esc == quote && i + 1 < line.size() && line[i + 1] == quote) {
            begin_copy();
            buf[n++] = quote;
            i += 2;
            continue;
          }
          closed = true;
          break;
        }
        if (buf != nullptr) buf[n++] = c;
        ++i;
      }
      // Unclosed: a broken field or a quoted newline (see the header); either way not a record.
      if (!closed) return RowReject{RejectReason::kBadQuoting};
      ++i;  // past the closing quote
      if (i < line.size() && line[i] != delim) return RowReject{RejectReason::kBadQuoting};
      const std::string_view text =
          buf != nullptr ? std::string_view(buf, n) : line.substr(start, i - 1 - start);
      if (auto r = on_field(index, text, true)) return r;
      if (i >= line.size()) break;
      pos = i + 1;
    } else {
      const void* hit = std::memchr(line.data() + pos, delim, line.size() - pos);
      const std::size_t end =
          hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(hit) - line.data())
                         : line.size();
      if (auto r = on_field(index, line.substr(pos, end - pos), false)) return r;
      if (hit == nullptr) break;
      pos = end + 1;
    }
    ++index;
  }
  fields = index + 1;
  return std::nullopt;
}

}  // namespace

DelimitedParser::DelimitedParser(const FormatSpec& format, const Schema& schema)
    : format_(format), schema_(schema) {
  if (format.format == Format::kJsonl) throw std::logic_error("DelimitedParser: jsonl format");
  bind_positional();
}

void DelimitedParser::bind_positional() {
  field_to_column_.resize(schema_.columns.size());
  for (std::size_t i = 0; i < field_to_column_.size(); ++i) {
    field_to_column_[i] = static_cast<std::int32_t>(i);
  }
  bound_fields_ = field_to_column_.size();
}

HeaderBinding DelimitedParser::bind_header(std::string_view line) {
  std::vector<std::string> names;
  Arena arena;
  std::size_t fields = 0;
  const auto bad =
      split_fields(format_, line, arena, fields, [&](std::size_t, std::string_view text, bool) {
        names.emplace_back(text);
        return std::optional<RowReject>{};
      });
  HeaderBinding binding;
  if (bad) names.clear();  // an unparseable header binds nothing: every column is missing
  field_to_column_.assign(names.size(), -1);
  std::vector<bool> seen(schema_.columns.size(), false);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto c = schema_.find(names[i]);
    if (!c) {
      binding.extra.push_back(names[i]);
    } else if (seen[*c]) {
      binding.duplicates.push_back(names[i]);
    } else {
      seen[*c] = true;
      field_to_column_[i] = static_cast<std::int32_t>(*c);
    }
  }
  for (std::size_t c = 0; c < seen.size(); ++c) {
    if (seen[c]) continue;
    (schema_.columns[c].required ? binding.missing_required : binding.missing_optional)
        .push_back(schema_.columns[c].name);
  }
  bound_fields_ = names.size();
  return binding;
}

std::optional<RowReject> DelimitedParser::parse(std::string_view line, Row& row) {
  std::size_t fields = 0;
  const bool reject_extra = schema_.extra == ExtraPolicy::kReject;
  auto bad = split_fields(
      format_, line, row.arena, fields,
      [&](std::size_t index, std::string_view text, bool quoted) -> std::optional<RowReject> {
        if (index >= field_to_column_.size()) {
          if (reject_extra) return RowReject{RejectReason::kFieldCount};
          return std::nullopt;
        }
        const std::int32_t col = field_to_column_[index];
        if (col < 0) return std::nullopt;
        const Column& c = schema_.columns[static_cast<std::size_t>(col)];
        Value& v = row.values[static_cast<std::size_t>(col)];
        if ((!quoted && text == format_.null_text) ||
            (text.empty() && c.type != ColumnType::kString)) {
          v = Value{};
          return std::nullopt;
        }
        if (auto r = convert_text(text, c.type, c.format, v)) return RowReject{*r, col};
        return std::nullopt;
      });
  if (bad) return bad;
  if (fields < bound_fields_) return RowReject{RejectReason::kFieldCount};
  return std::nullopt;
}

}  // namespace dumpmill::records
