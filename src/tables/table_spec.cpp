// Parsing the [dedup] and [table.NAME] sections of a job.
#include "dumpmill/tables/table_spec.hpp"

#include <array>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "dumpmill/core/error.hpp"

namespace dumpmill::tables {
namespace {

using records::ColumnType;

constexpr std::array<std::string_view, 6> kFunctionNames{
    "count", "count_distinct", "sum", "mean", "min", "max"};

// A ConfigError's text for `key` (section.key) with the reason.
[[noreturn]] void fail(std::string_view source, std::string_view key, const std::string& why) {
  throw ConfigError(std::string(source) + ": " + std::string(key) + ": " + why);
}

std::size_t column_or_throw(const records::RecordSpec& rec, std::string_view name) {
  const auto i = rec.find(name);
  if (!i) throw std::invalid_argument("no column '" + std::string(name) + "'");
  return *i;
}

std::vector<std::size_t> column_list(const records::RecordSpec& rec, std::string_view text) {
  std::vector<std::size_t> out;
  for (const std::string& name : records::split_list(text)) {
    out.push_back(column_or_throw(rec, name));
  }
  return out;
}

bool is_numeric(ColumnType t) {
  return t == ColumnType::kInt64 || t == ColumnType::kUint64 || t == ColumnType::kFloat64 ||
         t == ColumnType::kBool;
}

// `Name = fn(Column)` or `Name = count()`.
AggregateSpec parse_aggregate(const records::RecordSpec& rec, std::string_view item) {
  const std::size_t eq = item.find('=');
  if (eq == std::string_view::npos) {
    throw std::invalid_argument("'" + std::string(item) + "': expected Name = function(column)");
  }
  AggregateSpec a;
  a.name = std::string(records::trim(item.substr(0, eq)));
  const std::string_view call = records::trim(item.substr(eq + 1));
  const std::size_t open = call.find('(');
  if (a.name.empty() || open == std::string_view::npos || call.back() != ')') {
    throw std::invalid_argument("'" + std::string(item) + "': expected Name = function(column)");
  }
  const std::string_view fn = records::trim(call.substr(0, open));
  const std::string_view arg = records::trim(call.substr(open + 1, call.size() - open - 2));
  std::size_t f = 0;
  while (f < kFunctionNames.size() && kFunctionNames[f] != fn) ++f;
  if (f == kFunctionNames.size()) {
    throw std::invalid_argument("unknown aggregate '" + std::string(fn) +
                                "' (count, count_distinct, sum, mean, min, max)");
  }
  a.function = static_cast<AggregateFunction>(f);
  if (arg.empty()) {
    if (a.function != AggregateFunction::kCount) {
      throw std::invalid_argument(std::string(fn) + "() needs a column");
    }
    a.result_type = ColumnType::kInt64;
    return a;
  }
  a.has_column = true;
  a.column = column_or_throw(rec, arg);
  a.input_type = rec.column_type(a.column);
  switch (a.function) {
    case AggregateFunction::kCount:
    case AggregateFunction::kCountDistinct:
      a.result_type = ColumnType::kInt64;
      break;
    case AggregateFunction::kSum:
    case AggregateFunction::kMean:
      if (!is_numeric(a.input_type)) {
        throw std::invalid_argument(std::string(fn) + "(" + std::string(arg) + "): column is " +
                                    std::string(records::column_type_name(a.input_type)) +
                                    ", not a number");
      }
      if (a.function == AggregateFunction::kMean) {
        a.result_type = ColumnType::kFloat64;
      } else {
        a.result_type = a.input_type == ColumnType::kBool ? ColumnType::kInt64 : a.input_type;
      }
      break;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      a.result_type = a.input_type;
      break;
  }
  return a;
}

// `a = f(x), b = g()`: items split at commas (an aggregate's one argument has none).
std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = records::trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

struct RawTable {
  std::string name;
  std::vector<std::pair<std::string, std::string>> entries;  // (key within section, value)
};

void parse_dedup(const records::RecordSpec& rec, const records::JobEntry& e, std::string_view field,
                 DedupSpec& d, std::string_view source) {
  try {
    if (field == "by") {
      const auto items = records::split_list(e.value);
      if (items.size() == 1 && items.front() == "exact") {
        d.mode = DedupMode::kExact;
        d.key_columns.clear();
      } else {
        d.mode = DedupMode::kByKey;
        d.key_columns = column_list(rec, e.value);
        if (d.key_columns.empty()) throw std::invalid_argument("empty: name key columns or exact");
      }
    } else if (field == "keep") {
      const std::string_view v = records::trim(e.value);
      if (v == "first") {
        d.keep = KeepRule::kFirst;
      } else if (v == "last") {
        d.keep = KeepRule::kLast;
      } else if (v.size() > 5 && v.substr(0, 4) == "max(" && v.back() == ')') {
        d.keep = KeepRule::kMax;
        d.keep_column = column_or_throw(rec, records::trim(v.substr(4, v.size() - 5)));
      } else {
        throw std::invalid_argument("'" + std::string(v) +
                                    "': expected first, last or max(column)");
      }
    } else {
      throw std::invalid_argument("unknown key (by, keep)");
    }
  } catch (const std::invalid_argument& x) {
    fail(source, e.key, x.what());
  }
}

// `having` through records' filter parser: a schema made of the output columns.
std::vector<records::Filter> parse_having(const std::vector<std::string>& exprs,
                                          const records::Schema& schema,
                                          const std::vector<records::DerivedColumn>& derived,
                                          const std::string& key, std::string_view source) {
  std::vector<records::JobEntry> entries;
  entries.reserve(exprs.size());
  for (const std::string& x : exprs) entries.push_back(records::JobEntry{"schema.filter", x});
  try {
    return records::parse_filters(entries, schema, derived, source);
  } catch (const ConfigError& e) {
    // Re-point records' "schema.filter" at this table's key.
    std::string what = e.what();
    const std::string from = "schema.filter";
    const std::size_t at = what.find(from);
    if (at != std::string::npos) what.replace(at, from.size(), key);
    throw ConfigError(what);
  }
}

TableSpec build_table(const records::RecordSpec& rec, const RawTable& raw,
                      std::string_view source) {
  TableSpec t;
  t.name = raw.name;
  const std::string prefix = "table." + raw.name + ".";
  bool has_group_by = false;
  bool has_columns = false;
  std::vector<std::string> having;
  for (const auto& [field, value] : raw.entries) {
    const std::string key = prefix + field;
    try {
      if (field == "group_by") {
        has_group_by = true;
        const auto cols = column_list(rec, value);
        t.group_by.insert(t.group_by.end(), cols.begin(), cols.end());
      } else if (field == "aggregates") {
        for (const std::string& item : split_commas(value)) {
          t.aggregates.push_back(parse_aggregate(rec, item));
        }
      } else if (field == "columns") {
        has_columns = true;
        if (records::trim(value) == "*") {
          for (std::size_t c = 0; c < rec.width(); ++c) t.columns.push_back(c);
        } else {
          const auto cols = column_list(rec, value);
          t.columns.insert(t.columns.end(), cols.begin(), cols.end());
        }
      } else if (field == "having") {
        having.push_back(value);
      } else {
        throw std::invalid_argument("unknown key (group_by, aggregates, having, columns)");
      }
    } catch (const std::invalid_argument& x) {
      fail(source, key, x.what());
    }
  }
  t.is_rows = !has_group_by && t.aggregates.empty();
  if (t.is_rows) {
    if (!has_columns) {
      for (std::size_t c = 0; c < rec.width(); ++c) t.columns.push_back(c);
    }
    for (const std::size_t c : t.columns) {
      t.output.push_back(OutputColumn{std::string(rec.column_name(c)), rec.column_type(c)});
    }
    t.having = parse_having(having, rec.schema, rec.derived, prefix + "having", source);
  } else {
    if (has_columns) fail(source, prefix + "columns", "only for a table without group_by");
    for (const std::size_t c : t.group_by) {
      t.output.push_back(OutputColumn{std::string(rec.column_name(c)), rec.column_type(c)});
    }
    for (const AggregateSpec& a : t.aggregates) {
      t.output.push_back(OutputColumn{a.name, a.result_type});
    }
    records::Schema out;
    std::set<std::string> seen;
    for (const OutputColumn& c : t.output) {
      if (!seen.insert(c.name).second) {
        fail(source, prefix + "aggregates", "output column '" + c.name + "' appears twice");
      }
      records::Column col;
      col.name = c.name;
      col.type = c.type;
      out.columns.push_back(std::move(col));
    }
    t.having = parse_having(having, out, {}, prefix + "having", source);
  }
  return t;
}

bool valid_table_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view aggregate_function_name(AggregateFunction function) {
  const auto i = static_cast<std::size_t>(function);
  if (i >= kFunctionNames.size()) throw std::out_of_range("AggregateFunction out of range");
  return kFunctionNames[i];
}

TablesSpec parse_tables_spec(const std::vector<records::JobEntry>& entries,
                             const records::RecordSpec& records, std::string_view source) {
  TablesSpec spec;
  std::vector<RawTable> raw;
  std::map<std::string, std::size_t, std::less<>> index;
  for (const records::JobEntry& e : entries) {
    const std::string_view key = e.key;
    if (key.substr(0, 6) == "dedup.") {
      parse_dedup(records, e, key.substr(6), spec.dedup, source);
    } else if (key.substr(0, 6) == "table.") {
      const std::string_view rest = key.substr(6);
      const std::size_t dot = rest.rfind('.');
      const std::string_view name = dot == std::string_view::npos ? "" : rest.substr(0, dot);
      if (!valid_table_name(name))
        fail(source, key, "expected [table.NAME] with NAME in [A-Za-z0-9_]");
      auto it = index.find(name);
      if (it == index.end()) {
        it = index.emplace(std::string(name), raw.size()).first;
        raw.push_back(RawTable{std::string(name), {}});
      }
      raw[it->second].entries.emplace_back(std::string(rest.substr(dot + 1)), e.value);
    }
  }
  if (spec.dedup.mode == DedupMode::kNone && spec.dedup.keep != KeepRule::kFirst) {
    fail(source, "dedup.keep", "needs dedup.by (key columns or exact)");
  }
  for (const RawTable& r : raw) spec.tables.push_back(build_table(records, r, source));
  return spec;
}

}  // namespace dumpmill::tables
