// Records-stage throughput on ~32 MB of generated votes-like rows: JSONL (simdjson) and CSV.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>

#include "dumpmill/records/record_parser.hpp"

namespace {

using dumpmill::records::parse_record_spec;
using dumpmill::records::RecordParser;
using dumpmill::records::RecordSpec;
using dumpmill::records::Row;
using dumpmill::records::RowOutcome;
using dumpmill::records::RowReject;

constexpr std::size_t kTargetBytes = 32u << 20;

// The votes job's schema and derived columns (what jobs/votes.ini parses per row).
constexpr std::string_view kSchema = R"(
[schema]
columns = Id:int64 PostId:int64 VoteTypeId:int64 CreationDate:timestamp UserId:int64?
derive = Year = year(CreationDate), WeekNumber = week(CreationDate)
)";

struct Vote {
  std::uint64_t id, post, type, user;
  int year, month, day;
};

template <typename Format>
std::string generate(Format&& format) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::uint64_t> post(1, 60000), type(1, 16), user(1, 9000);
  std::uniform_int_distribution<int> year(2017, 2021), month(1, 12), day(1, 28), pct(0, 99);
  std::string out;
  out.reserve(kTargetBytes + 256);
  for (std::uint64_t id = 1; out.size() < kTargetBytes; ++id) {
    const Vote v{id,        post(rng),  type(rng), pct(rng) < 6 ? user(rng) : 0,
                 year(rng), month(rng), day(rng)};
    format(out, v);
  }
  return out;
}

// Like votes.jsonl: every value a string; UserId on ~6% of rows.
void jsonl_row(std::string& out, const Vote& v) {
  char buf[192];
  int n =
      std::snprintf(buf, sizeof buf,
                    R"({"Id":"%llu","PostId":"%llu","VoteTypeId":"%llu",)"
                    R"("CreationDate":"%04d-%02d-%02dT00:00:00.000")",
                    static_cast<unsigned long long>(v.id), static_cast<unsigned long long>(v.post),
                    static_cast<unsigned long long>(v.type), v.year, v.month, v.day);
  out.append(buf, static_cast<std::size_t>(n));
  if (v.user != 0) {
    n = std::snprintf(buf, sizeof buf, R"(,"UserId":"%llu")",
                      static_cast<unsigned long long>(v.user));
    out.append(buf, static_cast<std::size_t>(n));
  }
  out += "}\n";
}

// The same rows as RFC 4180 CSV, dates quoted as a spreadsheet export would.
void csv_row(std::string& out, const Vote& v) {
  char buf[160];
  const int n =
      std::snprintf(buf, sizeof buf, "%llu,%llu,%llu,\"%04d-%02d-%02dT00:00:00.000\",",
                    static_cast<unsigned long long>(v.id), static_cast<unsigned long long>(v.post),
                    static_cast<unsigned long long>(v.type), v.year, v.month, v.day);
  out.append(buf, static_cast<std::size_t>(n));
  if (v.user != 0) out += std::to_string(v.user);
  out += '\n';
}

// Lines are pre-split so the numbers are the parser's alone (RangeScanner has its own bench).
void run(benchmark::State& state, const std::string& text, const RecordSpec& spec) {
  RecordParser parser(spec);
  Row row;
  RowReject reject{};
  std::uint64_t rows = 0;
  for (auto _ : state) {
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = text.find('\n', pos);
      const dumpmill::parse::Line line{std::string_view(text).substr(pos, end - pos), pos + 1,
                                       false};
      if (parser.parse(line, row, reject) == RowOutcome::kRow) ++rows;
      benchmark::DoNotOptimize(row.values.data());
      pos = end + 1;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  if (rows == 0) state.SkipWithError("no row parsed");
}

void BM_ParseJsonlVotes(benchmark::State& state) {
  static const std::string text = generate(jsonl_row);
  static const RecordSpec spec =
      parse_record_spec("[job]\nformat = jsonl\n" + std::string(kSchema), "bench");
  run(state, text, spec);
}
BENCHMARK(BM_ParseJsonlVotes)->Unit(benchmark::kMillisecond);

void BM_ParseCsvVotes(benchmark::State& state) {
  static const std::string text = generate(csv_row);
  static const RecordSpec spec =
      parse_record_spec("[job]\nformat = csv\n" + std::string(kSchema), "bench");
  run(state, text, spec);
}
BENCHMARK(BM_ParseCsvVotes)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
