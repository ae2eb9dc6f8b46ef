// Civil-date arithmetic and the strict ISO 8601 / unix / pattern timestamp parsers.
#include "dumpmill/records/timestamp.hpp"

#include <array>
#include <chrono>
#include <stdexcept>

namespace dumpmill::records {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads between min_digits and max_digits ASCII digits at s[pos]; advances pos.
bool read_number(std::string_view s, std::size_t& pos, std::size_t min_digits,
                 std::size_t max_digits, int& out) {
  std::size_t n = 0;
  int v = 0;
  while (n < max_digits && pos + n < s.size() && is_digit(s[pos + n])) {
    v = v * 10 + (s[pos + n] - '0');
    ++n;
  }
  if (n < min_digits) return false;
  pos += n;
  out = v;
  return true;
}

// 1-9 fraction digits -> microseconds (digits past the sixth are checked, then dropped).
bool read_fraction(std::string_view s, std::size_t& pos, std::int64_t& micros) {
  std::size_t n = 0;
  std::int64_t v = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) {
    if (n < 6) v = v * 10 + (s[pos + n] - '0');
    ++n;
  }
  if (n == 0 || n > 9) return false;
  for (std::size_t k = n; k < 6; ++k) v *= 10;
  pos += n;
  micros = v;
  return true;
}

bool accept(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// `Z`/`z`, or +HH, +HHMM, +HH:MM (also with `-`); offset in seconds east of UTC.
bool read_zone(std::string_view s, std::size_t& pos, std::int64_t& offset_seconds) {
  if (accept(s, pos, 'Z') || accept(s, pos, 'z')) {
    offset_seconds = 0;
    return true;
  }
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  const bool negative = s[pos] == '-';
  ++pos;
  int hours = 0;
  int minutes = 0;
  if (!read_number(s, pos, 2, 2, hours) || hours > 23) return false;
  const bool colon = accept(s, pos, ':');
  if (pos < s.size() && is_digit(s[pos])) {
    if (!read_number(s, pos, 2, 2, minutes) || minutes > 59) return false;
  } else if (colon) {
    return false;
  }
  offset_seconds = (std::int64_t{hours} * 3600 + std::int64_t{minutes} * 60) * (negative ? -1 : 1);
  return true;
}

// Seconds since the epoch with optional sign and fraction, into microseconds.
bool read_unix(std::string_view s, std::size_t& pos, std::int64_t& micros) {
  const bool negative = accept(s, pos, '-');
  std::int64_t seconds = 0;
  std::size_t digits = 0;
  // 9.2e12 s is the int64 microsecond limit; 12 digits stay below it.
  while (pos < s.size() && is_digit(s[pos])) {
    if (++digits > 12) return false;
    seconds = seconds * 10 + (s[pos] - '0');
    ++pos;
  }
  if (digits == 0) return false;
  std::int64_t fraction = 0;
  if (accept(s, pos, '.') && !read_fraction(s, pos, fraction)) return false;
  micros = seconds * kMicrosPerSecond + fraction;
  if (negative) micros = -micros;
  return true;
}

struct Fields {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t micros = 0;
  std::int64_t offset_seconds = 0;
  std::optional<std::int64_t> unix_micros;  // set by %s or the unix kind
};

std::optional<std::int64_t> to_micros(const Fields& f) {
  if (f.unix_micros) return *f.unix_micros;
  if (f.hour > 23 || f.minute > 59 || f.second > 59 || f.month < 1 || f.day < 1) {
    return std::nullopt;
  }
  const auto days =
      days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
  if (!days) return std::nullopt;
  const std::int64_t seconds = *days * kSecondsPerDay + std::int64_t{f.hour} * 3600 +
                               std::int64_t{f.minute} * 60 + f.second - f.offset_seconds;
  return seconds * kMicrosPerSecond + f.micros;
}

bool read_iso_date(std::string_view s, std::size_t& pos, Fields& f) {
  return read_number(s, pos, 4, 4, f.year) && accept(s, pos, '-') &&
         read_number(s, pos, 2, 2, f.month) && accept(s, pos, '-') &&
         read_number(s, pos, 2, 2, f.day);
}

std::optional<std::int64_t> iso_timestamp(std::string_view s) {
  Fields f;
  std::size_t pos = 0;
  if (!read_iso_date(s, pos, f)) return std::nullopt;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    ++pos;
    if (!read_number(s, pos, 2, 2, f.hour) || !accept(s, pos, ':') ||
        !read_number(s, pos, 2, 2, f.minute)) {
      return std::nullopt;
    }
    if (accept(s, pos, ':')) {
      if (!read_number(s, pos, 2, 2, f.second)) return std::nullopt;
      if ((accept(s, pos, '.') || accept(s, pos, ',')) && !read_fraction(s, pos, f.micros)) {
        return std::nullopt;
      }
    }
  }
  if (pos < s.size() && !read_zone(s, pos, f.offset_seconds)) return std::nullopt;
  if (pos != s.size()) return std::nullopt;
  return to_micros(f);
}

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};

bool read_month_name(std::string_view s, std::size_t& pos, int& month) {
  if (pos + 3 > s.size()) return false;
  char lower[3];
  for (std::size_t k = 0; k < 3; ++k) {
    const char c = s[pos + k];
    lower[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (std::string_view(lower, 3) == kMonths[m]) {
      month = static_cast<int>(m) + 1;
      pos += 3;
      return true;
    }
  }
  return false;
}

constexpr std::string_view kDirectives = "YmdHMSfbzsFT%";

std::optional<std::int64_t> pattern_timestamp(std::string_view pattern, std::string_view s) {
  Fields f;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char p = pattern[i];
    if (p != '%') {
      if (!accept(s, pos, p)) return std::nullopt;
      continue;
    }
    const char d = pattern[++i];  // validated by from_spec: never dangling
    bool ok = true;
    switch (d) {
      case 'Y':
        ok = read_number(s, pos, 4, 4, f.year);
        break;
      case 'm':
        ok = read_number(s, pos, 1, 2, f.month);
        break;
      case 'd':
        ok = read_number(s, pos, 1, 2, f.day);
        break;
      case 'H':
        ok = read_number(s, pos, 1, 2, f.hour);
        break;
      case 'M':
        ok = read_number(s, pos, 1, 2, f.minute);
        break;
      case 'S':
        ok = read_number(s, pos, 1, 2, f.second);
        break;
      case 'f':
        ok = read_fraction(s, pos, f.micros);
        break;
      case 'b':
        ok = read_month_name(s, pos, f.month);
        break;
      case 'z':
        ok = read_zone(s, pos, f.offset_seconds);
        break;
      case 's': {
        std::int64_t m = 0;
        ok = read_unix(s, pos, m);
        f.unix_micros = m;
        break;
      }
      case 'F':
        ok = read_iso_date(s, pos, f);
        break;
      case 'T':
        ok = read_number(s, pos, 1, 2, f.hour) && accept(s, pos, ':') &&
             read_number(s, pos, 1, 2, f.minute) && accept(s, pos, ':') &&
             read_number(s, pos, 1, 2, f.second);
        break;
      default:  // '%'
        ok = accept(s, pos, '%');
    }
    if (!ok) return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return to_micros(f);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::optional<std::int64_t> days_from_civil(int year, unsigned month, unsigned day) {
  if (year < 0 || year > 9999) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                        std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

CivilDate civil_from_days(std::int64_t days) {
  const std::chrono::year_month_day ymd{
      std::chrono::sys_days{std::chrono::days{static_cast<std::chrono::days::rep>(days)}}};
  return CivilDate{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

std::int64_t days_of_timestamp(std::int64_t micros) { return floor_div(micros, kMicrosPerDay); }

TimestampFormat TimestampFormat::from_spec(std::string_view spec) {
  TimestampFormat f;
  if (spec.empty() || spec == "iso") return f;
  if (spec == "unix") {
    f.kind_ = Kind::kUnixSeconds;
    return f;
  }
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') continue;
    if (i + 1 == spec.size()) throw std::invalid_argument("pattern ends with a lone %");
    if (kDirectives.find(spec[i + 1]) == std::string_view::npos) {
      throw std::invalid_argument(std::string("unknown directive %") + spec[i + 1] +
                                  " (known: %Y %m %d %H %M %S %f %b %z %s %F %T %%)");
    }
    ++i;
  }
  f.kind_ = Kind::kPattern;
  f.pattern_ = spec;
  return f;
}

std::optional<std::int64_t> TimestampFormat::parse_timestamp(std::string_view text) const {
  switch (kind_) {
    case Kind::kIso8601:
      return iso_timestamp(text);
    case Kind::kUnixSeconds: {
      std::size_t pos = 0;
      std::int64_t micros = 0;
      if (!read_unix(text, pos, micros) || pos != text.size()) return std::nullopt;
      return micros;
    }
    case Kind::kPattern:
      return pattern_timestamp(pattern_, text);
  }
  return std::nullopt;
}

std::optional<std::int64_t> TimestampFormat::parse_date(std::string_view text) const {
  if (kind_ == Kind::kIso8601) return parse_iso_date(text);
  const auto micros = parse_timestamp(text);
  if (!micros) return std::nullopt;
  return days_of_timestamp(*micros);
}

std::optional<std::int64_t> parse_iso_timestamp(std::string_view text) {
  return iso_timestamp(text);
}

std::optional<std::int64_t> parse_iso_date(std::string_view text) {
  Fields f;
  std::size_t pos = 0;
  if (!read_iso_date(text, pos, f) || pos != text.size()) return std::nullopt;
  return days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
}

}  // namespace dumpmill::records
