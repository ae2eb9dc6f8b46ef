// Parsing `column op value` filters and evaluating them on a typed row.
#include "dumpmill/records/filter.hpp"

#include <array>
#include <stdexcept>

#include "dumpmill/core/error.hpp"

namespace dumpmill::records {
namespace {

struct OpToken {
  std::string_view token;
  CompareOp op;
};
// Longest first, so that "<=" is not read as "<".
constexpr std::array<OpToken, 8> kOps{{{"<=", CompareOp::kLe},
                                       {">=", CompareOp::kGe},
                                       {"!=", CompareOp::kNe},
                                       {"<>", CompareOp::kNe},
                                       {"==", CompareOp::kEq},
                                       {"=", CompareOp::kEq},
                                       {"<", CompareOp::kLt},
                                       {">", CompareOp::kGt}}};

bool lower_equals(std::string_view s, std::string_view lower_word) {
  if (s.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] + 32) : s[i];
    if (c != lower_word[i]) return false;
  }
  return true;
}

// Splits off the next whitespace-delimited word.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  const std::size_t end = rest.find_first_of(" \t(");
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(word.size());
  return word;
}

Literal literal_or_throw(std::string_view text, ColumnType type) {
  auto lit = parse_literal(text, type);
  if (!lit) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a " +
                                std::string(column_type_name(type)));
  }
  return std::move(*lit);
}

// A quoted value is unquoted; a bare one is taken whole (an ISO time may hold a space).
std::string unquote(std::string_view text) {
  if (text.front() != '"') return std::string(text);
  const auto items = split_list(text);
  if (items.size() != 1)
    throw std::invalid_argument("expected one value, got '" + std::string(text) + "'");
  return items.front();
}

Filter parse_one(std::string_view expr, const Schema& schema,
                 const std::vector<DerivedColumn>& derived) {
  Filter f;
  f.text = std::string(expr);
  std::string_view rest = trim(expr);
  // The column name: up to whitespace or an operator character.
  const std::size_t name_end = rest.find_first_of(" \t=!<>");
  const std::string_view name = rest.substr(0, name_end);
  if (name.empty()) throw std::invalid_argument("no column name");
  rest.remove_prefix(name.size());
  if (auto i = schema.find(name)) {
    f.column = *i;
    f.type = schema.columns[*i].type;
  } else {
    std::size_t k = 0;
    while (k < derived.size() && derived[k].name != name) ++k;
    if (k == derived.size()) throw std::invalid_argument("no column '" + std::string(name) + "'");
    f.column = schema.columns.size() + k;
    f.type = derived[k].type;
  }
  rest = trim(rest);
  for (const OpToken& t : kOps) {
    if (rest.substr(0, t.token.size()) == t.token) {
      f.op = t.op;
      rest.remove_prefix(t.token.size());
      rest = trim(rest);
      if (rest.empty()) throw std::invalid_argument("no value after " + std::string(t.token));
      f.operands.push_back(literal_or_throw(unquote(rest), f.type));
      return f;
    }
  }
  std::string_view word = next_word(rest);
  bool negated = false;
  if (lower_equals(word, "is")) {
    word = next_word(rest);
    if (lower_equals(word, "not")) {
      negated = true;
      word = next_word(rest);
    }
    if (!lower_equals(word, "null") || !trim(rest).empty()) {
      throw std::invalid_argument("expected is null or is not null");
    }
    f.op = negated ? CompareOp::kIsNotNull : CompareOp::kIsNull;
    return f;
  }
  if (lower_equals(word, "not")) {
    negated = true;
    word = next_word(rest);
  }
  if (!lower_equals(word, "in")) {
    throw std::invalid_argument("expected an operator (= != < <= > >= in, not in, is null)");
  }
  rest = trim(rest);
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
    throw std::invalid_argument("expected (value, ...) after in");
  }
  const auto items = split_list(rest.substr(1, rest.size() - 2));
  if (items.empty()) throw std::invalid_argument("empty in list");
  for (const std::string& item : items) f.operands.push_back(literal_or_throw(item, f.type));
  f.op = negated ? CompareOp::kNotIn : CompareOp::kIn;
  return f;
}

}  // namespace

std::vector<Filter> parse_filters(const std::vector<JobEntry>& entries, const Schema& schema,
                                  const std::vector<DerivedColumn>& derived,
                                  std::string_view source) {
  std::vector<Filter> filters;
  for (const JobEntry& e : entries) {
    if (e.key != "schema.filter") continue;
    try {
      filters.push_back(parse_one(e.value, schema, derived));
    } catch (const std::invalid_argument& x) {
      throw ConfigError(std::string(source) + ": schema.filter: '" + e.value + "': " + x.what());
    }
  }
  return filters;
}

bool filter_matches(const Filter& filter, const Row& row) {
  const Value& v = row.values[filter.column];
  switch (filter.op) {
    case CompareOp::kIsNull:
      return v.null;
    case CompareOp::kIsNotNull:
      return !v.null;
    default:
      break;
  }
  if (v.null) return false;
  if (filter.op == CompareOp::kIn || filter.op == CompareOp::kNotIn) {
    bool found = false;
    for (const Literal& l : filter.operands) {
      if (compare_values(v, l.value, filter.type) == 0) {
        found = true;
        break;
      }
    }
    return found == (filter.op == CompareOp::kIn);
  }
  const int c = compare_values(v, filter.operands.front().value, filter.type);
  switch (filter.op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

}  // namespace dumpmill::records
