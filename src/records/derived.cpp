// Derived column functions (calendar parts, SQLite %W week, lower, URL host) and their syntax.
#include "dumpmill/records/derived.hpp"

#include <array>
#include <cstring>

#include "dumpmill/core/error.hpp"

namespace dumpmill::records {
namespace {

struct FunctionInfo {
  std::string_view name;
  ColumnType result;
  bool takes_time;  // timestamp (and date, unless hour/date) vs string
};

constexpr std::array<FunctionInfo, 7> kFunctions{{
    {"year", ColumnType::kInt64, true},
    {"month", ColumnType::kInt64, true},
    {"week", ColumnType::kInt64, true},
    {"hour", ColumnType::kInt64, true},
    {"date", ColumnType::kDate, true},
    {"lower", ColumnType::kString, false},
    {"domain", ColumnType::kString, false},
}};

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}

std::int64_t day_of(const Value& v, ColumnType type) {
  return type == ColumnType::kDate ? v.i64 : days_of_timestamp(v.i64);
}

bool has_upper(std::string_view s) {
  for (const char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

std::string_view ascii_lower(std::string_view s, Arena& arena) {
  if (!has_upper(s)) return s;
  char* out = arena.allocate(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {out, s.size()};
}

bool is_scheme_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

[[noreturn]] void fail(std::string_view source, const std::string& what) {
  throw ConfigError(std::string(source) + ": schema.derive: " + what);
}

}  // namespace

std::string_view derived_function_name(DerivedFunction function) {
  return kFunctions.at(static_cast<std::size_t>(function)).name;
}

std::int64_t sqlite_week_of_year(std::int64_t days) {
  const CivilDate d = civil_from_days(days);
  const std::int64_t yday = days - *days_from_civil(d.year, 1, 1);
  const std::int64_t wday = floor_mod(days + 4, 7);  // 1970-01-01 was a Thursday; Sunday = 0
  // SQLite date.c, case 'W': (yday + 7 - ((wday + 6) % 7)) / 7, Monday-first.
  return (yday + 7 - (wday + 6) % 7) / 7;
}

std::optional<std::string_view> url_host(std::string_view url) {
  std::size_t start = 0;
  const std::size_t scheme_end = url.find("://");
  bool has_scheme = scheme_end != std::string_view::npos && scheme_end > 0;
  for (std::size_t i = 0; has_scheme && i < scheme_end; ++i) {
    has_scheme = is_scheme_char(url[i], i == 0);
  }
  if (has_scheme) {
    start = scheme_end + 3;
  } else if (url.substr(0, 2) == "//") {
    start = 2;
  } else if (url.empty() || url[0] == '/' || url[0] == '?' || url[0] == '#') {
    return std::nullopt;
  }
  std::size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  std::string_view host = url.substr(start, end - start);
  const std::size_t at = host.rfind('@');
  if (at != std::string_view::npos) host.remove_prefix(at + 1);
  if (!host.empty() && host[0] == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host.substr(0, close + 1);
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (host.empty()) return std::nullopt;
  return host;
}

void compute_derived(const DerivedColumn& column, std::size_t out, Row& row) {
  const Value arg = row.values[column.argument];
  Value& v = row.values[out];
  v = Value{};
  if (arg.null) return;
  v.null = false;
  switch (column.function) {
    case DerivedFunction::kYear:
      v.i64 = civil_from_days(day_of(arg, column.argument_type)).year;
      return;
    case DerivedFunction::kMonth:
      v.i64 = civil_from_days(day_of(arg, column.argument_type)).month;
      return;
    case DerivedFunction::kWeek:
      v.i64 = sqlite_week_of_year(day_of(arg, column.argument_type));
      return;
    case DerivedFunction::kHour:
      v.i64 = floor_mod(arg.i64, kMicrosPerDay) / (3600 * kMicrosPerSecond);
      return;
    case DerivedFunction::kDate:
      v.i64 = day_of(arg, column.argument_type);
      return;
    case DerivedFunction::kLower:
      v.text = ascii_lower(arg.text, row.arena);
      return;
    case DerivedFunction::kDomain: {
      const auto host = url_host(arg.text);
      if (!host) {
        v.null = true;
        return;
      }
      v.text = ascii_lower(*host, row.arena);
      return;
    }
  }
}

std::vector<DerivedColumn> parse_derived(const std::vector<JobEntry>& entries, const Schema& schema,
                                         std::string_view source) {
  std::vector<DerivedColumn> derived;
  const auto find = [&](std::string_view name) -> std::optional<std::size_t> {
    if (auto i = schema.find(name)) return i;
    for (std::size_t k = 0; k < derived.size(); ++k) {
      if (derived[k].name == name) return schema.columns.size() + k;
    }
    return std::nullopt;
  };
  const auto type_at = [&](std::size_t i) {
    return i < schema.columns.size() ? schema.columns[i].type
                                     : derived[i - schema.columns.size()].type;
  };
  for (const JobEntry& e : entries) {
    if (e.key != "schema.derive") continue;
    std::string_view rest = e.value;
    while (!trim(rest).empty()) {
      // One `Name = function(arg)` up to the next top-level comma.
      const std::size_t close = rest.find(')');
      if (close == std::string_view::npos) fail(source, "'" + std::string(rest) + "': missing )");
      const std::string_view item = trim(rest.substr(0, close + 1));
      rest.remove_prefix(close + 1);
      rest = trim(rest);
      if (!rest.empty()) {
        if (rest[0] != ',') fail(source, "expected , after '" + std::string(item) + "'");
        rest.remove_prefix(1);
      }
      const std::size_t eq = item.find('=');
      const std::size_t open = item.find('(');
      if (eq == std::string_view::npos || open == std::string_view::npos || open < eq) {
        fail(source, "'" + std::string(item) + "' is not Name = function(column)");
      }
      DerivedColumn d;
      d.name = std::string(trim(item.substr(0, eq)));
      const std::string_view fn = trim(item.substr(eq + 1, open - eq - 1));
      const std::string_view arg = trim(item.substr(open + 1, item.size() - open - 2));
      if (d.name.empty()) fail(source, "'" + std::string(item) + "' has no name");
      if (find(d.name)) fail(source, "column " + d.name + " already exists");
      std::size_t f = 0;
      while (f < kFunctions.size() && kFunctions[f].name != fn) ++f;
      if (f == kFunctions.size()) {
        fail(source, "'" + std::string(fn) +
                         "' is not a function (year month week hour date lower domain)");
      }
      const auto a = find(arg);
      if (!a) fail(source, "no column '" + std::string(arg) + "' for " + d.name);
      d.function = static_cast<DerivedFunction>(f);
      d.argument = *a;
      d.argument_type = type_at(*a);
      d.type = kFunctions[f].result;
      const bool time_arg =
          d.argument_type == ColumnType::kTimestamp ||
          (d.argument_type == ColumnType::kDate && d.function != DerivedFunction::kHour &&
           d.function != DerivedFunction::kDate);
      const bool ok = kFunctions[f].takes_time ? time_arg : d.argument_type == ColumnType::kString;
      if (!ok) {
        fail(source, std::string(fn) + "() does not take " + std::string(arg) + " (" +
                         std::string(column_type_name(d.argument_type)) + ")");
      }
      derived.push_back(std::move(d));
    }
  }
  return derived;
}

}  // namespace dumpmill::records
