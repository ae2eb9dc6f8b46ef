// Parse-stage throughput on ~64 MB of generated clickstream-like lines: scanner, parser, both.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/codec/decoded_reader.hpp"
#include "dumpmill/parse/clickstream.hpp"
#include "dumpmill/parse/range_scanner.hpp"

namespace {

using dumpmill::parse::ClickRecord;
using dumpmill::parse::ClickSchema;
using dumpmill::parse::ClickstreamParser;
using dumpmill::parse::Line;
using dumpmill::parse::RangeScanner;

constexpr std::size_t kTargetBytes = 64u << 20;
constexpr std::size_t kVocabulary = 200'000;

// Serves an in-memory string like a codec would: memcpy into the caller's buffer.
class MemoryReader final : public dumpmill::codec::DecodedReader {
 public:
  explicit MemoryReader(std::string_view data) : data_(data) {}
  std::size_t read(char* dst, std::size_t capacity) override {
    const std::size_t n = std::min(capacity, data_.size() - pos_);
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::uint64_t position() const override { return pos_; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

std::string make_title(std::mt19937_64& rng) {
  static constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<int> length(4, 36);
  std::uniform_int_distribution<std::size_t> letter(0, kLetters.size() - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  std::string t;
  const int n = length(rng);
  for (int i = 0; i < n; ++i) {
    char c = kLetters[letter(rng)];
    if (i == 0) c = static_cast<char>(c - 'a' + 'A');
    t += (i > 0 && percent(rng) < 12) ? '_' : c;
  }
  const int kind = percent(rng);
  if (kind < 5) t += "_(film)";
  if (kind >= 5 && kind < 8) t += "_\xC3\xA9t\xC3\xA9";  // "_été": non-ASCII titles
  if (kind == 99) t = "\"\\\"" + t + "\\\"_live\"";      // 2024 Spark-quoted title
  return t;
}

// Zipf-like (s ~ 1) ranks over the vocabulary, as real clickstream titles are.
std::size_t zipf_rank(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double x = std::pow(static_cast<double>(kVocabulary), u(rng));
  return std::min(kVocabulary - 1, static_cast<std::size_t>(x) - 1);
}

const std::string& corpus() {
  static const std::string text = [] {
    std::mt19937_64 rng(20241101);
    std::vector<std::string> titles;
    titles.reserve(kVocabulary);
    for (std::size_t i = 0; i < kVocabulary; ++i) titles.push_back(make_title(rng));
    static constexpr std::string_view kReferrers[] = {
        "other-search", "other-empty", "other-internal", "other-external", "other-other"};
    std::uniform_int_distribution<int> percent(0, 99);
    std::string out;
    out.reserve(kTargetBytes + 1024);
    while (out.size() < kTargetBytes) {
      const int kind = percent(rng);
      if (kind < 35) {
        out += kReferrers[static_cast<std::size_t>(kind) % 5];
      } else {
        out += titles[zipf_rank(rng)];
      }
      out += '\t';
      out += titles[zipf_rank(rng)];
      out += kind < 35 ? "\texternal\t" : (kind < 38 ? "\tother\t" : "\tlink\t");
      out += std::to_string(10 + zipf_rank(rng) * zipf_rank(rng) % 100000);
      out += '\n';
    }
    return out;
  }();
  return text;
}

void BM_Scanner(benchmark::State& state) {
  const std::string& text = corpus();
  std::uint64_t lines = 0;
  for (auto _ : state) {
    MemoryReader reader(text);
    RangeScanner scanner(reader, 0, text.size());
    Line line{};
    while (scanner.next(line)) {
      benchmark::DoNotOptimize(line.text.data());
      ++lines;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Scanner)->Unit(benchmark::kMillisecond);

void BM_Parser(benchmark::State& state) {
  const std::string& text = corpus();
  std::vector<std::string_view> lines;
  for (std::size_t p = 0; p < text.size();) {
    const std::size_t nl = text.find('\n', p);
    lines.emplace_back(text.data() + p, nl - p);
    p = nl + 1;
  }
  ClickstreamParser parser(ClickSchema::kCurrent);
  std::uint64_t sum = 0;
  std::uint64_t rejects = 0;
  for (auto _ : state) {
    ClickRecord record{};
    for (const std::string_view l : lines) {
      if (parser.parse(l, record)) {
        ++rejects;
      } else {
        sum += record.n;
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  if (rejects != 0) state.SkipWithError("generated lines were rejected");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Parser)->Unit(benchmark::kMillisecond);

void BM_ScanAndParse(benchmark::State& state) {
  const std::string& text = corpus();
  ClickstreamParser parser(ClickSchema::kCurrent);
  std::uint64_t sum = 0;
  std::uint64_t rejects = 0;
  for (auto _ : state) {
    MemoryReader reader(text);
    RangeScanner scanner(reader, 0, text.size());
    Line line{};
    ClickRecord record{};
    while (scanner.next(line)) {
      if (line.too_long || parser.parse(line.text, record)) {
        ++rejects;
      } else {
        sum += record.n;
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  if (rejects != 0) state.SkipWithError("generated lines were rejected");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ScanAndParse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
