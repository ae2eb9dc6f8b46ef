// Timestamps and dates: civil-calendar arithmetic and the text formats a job may declare.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dumpmill::records {

inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kSecondsPerDay = 86'400;
inline constexpr std::int64_t kMicrosPerDay = kMicrosPerSecond * kSecondsPerDay;

struct CivilDate {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date, or nullopt if it does not exist
// (2023-02-29, month 13, ...). Years 0..9999 (what the text formats can spell).
std::optional<std::int64_t> days_from_civil(int year, unsigned month, unsigned day);
CivilDate civil_from_days(std::int64_t days);

// Days since 1970-01-01 of the day holding `micros` (floor, so correct before 1970 too).
std::int64_t days_of_timestamp(std::int64_t micros);

// How a timestamp or date column is spelled in the input. Declared per column in the job
// (`[column.X] format = ...`):
//  - `iso` (default): ISO 8601 / RFC 3339: `YYYY-MM-DD`, optionally followed by `T` (or `t`
//    or one space) and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (1-9 fraction digits, `.` or `,`;
//    kept to the microsecond, further digits dropped), optionally followed by `Z` or an
//    offset `+HH:MM`, `+HHMM`, `+HH`. No offset means UTC. A date column takes `YYYY-MM-DD`.
//  - `unix`: seconds since the epoch, optional `-` and optional `.fraction` (NASA logs).
//  - otherwise a strptime-like pattern, matched exactly: %Y (4 digits), %m %d %H %M %S (1-2
//    digits), %f (1-9 fraction digits), %b (Jan..Dec, any case), %z (`Z`, +HHMM, +HH:MM),
//    %s (unix seconds), %F (= %Y-%m-%d), %T (= %H:%M:%S), %% (a `%`); any other byte
//    matches itself. E.g. Apache logs: `%d/%b/%Y:%H:%M:%S %z`. Fields not in the pattern
//    are 1970-01-01 00:00:00. Written here rather than calling strptime(3): that needs a
//    NUL-terminated copy of every field, depends on the locale and accepts trailing junk.
// Parsing is strict: the whole text must match; out-of-range fields (month 13, 24:00,
// 2023-02-29) fail.
class TimestampFormat {
 public:
  enum class Kind : std::uint8_t { kIso8601, kUnixSeconds, kPattern };

  TimestampFormat() = default;
  // "iso", "unix" or a pattern. Throws std::invalid_argument (with the reason) for a
  // pattern with an unknown or dangling % directive.
  static TimestampFormat from_spec(std::string_view spec);

  Kind kind() const { return kind_; }
  const std::string& pattern() const { return pattern_; }

  // Microseconds since the epoch, or nullopt if `text` does not match.
  std::optional<std::int64_t> parse_timestamp(std::string_view text) const;
  // Days since the epoch; the iso kind takes exactly YYYY-MM-DD, the others take a
  // timestamp and keep its (UTC) day.
  std::optional<std::int64_t> parse_date(std::string_view text) const;

 private:
  Kind kind_ = Kind::kIso8601;
  std::string pattern_;
};

// Convenience for literals in filters and bounds: ISO 8601 as above.
std::optional<std::int64_t> parse_iso_timestamp(std::string_view text);
std::optional<std::int64_t> parse_iso_date(std::string_view text);

}  // namespace dumpmill::records
