// dumpmill-gen-clickstream: writes a synthetic Wikimedia clickstream dump plus its exact ground
// truth.
//
// Output format is the real one (prev \t curr \t type \t n, no header, titles with underscores,
// 2024-style Spark quoting for titles holding `"`). What makes it useful for tests and benchmarks
// is the accounting it can vouch for: every valid row has a (prev, curr, type) key that is unique
// except for the exact duplicate lines it injects on purpose, and every dirty line has exactly one
// fault of a known kind, so `--truth` can state what a correct dedup + aggregation must produce.
//
// Speed decided the shape: one pass, no allocation per row, a 4 MiB output buffer written with
// fwrite, O(1) Zipf sampling (rejection-inversion), and an open-addressing set of 64-bit pair keys.
// 10 M rows (517 MB) take 8.3 s of CPU on the shared 2-core dev box, 62 MB/s (bench/README.md).
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

namespace po = boost::program_options;

constexpr std::string_view kProgram = "dumpmill-gen-clickstream";

// Upstream keeps only pairs seen at least 10 times in the month (clickstream_minimum_links = 10).
constexpr std::uint64_t kMinCount = 10;
// Largest real pair (other-empty -> Main_Page, 2024-11) is 121,508,231; cap a little above it.
constexpr std::uint64_t kMaxCount = 250'000'000;
// Pareto tail index for n. With x_min = 10, alpha = 1 and the cap, the mean is
// 10 * ln(2.5e7) = 170 (enwiki 2018-12: 6.88e9 clicks / 29.8e6 rows = 230) and 10 rows per
// million exceed 1,000,000. alpha = 1.05 gave a mean of 110.
constexpr double kCountTailIndex = 1.0;
// enwiki 2018-12: 10,989,706 external rows of 29,843,928 (37 %); "other" is 1,005,084 of the
// 18,854,222 rows with an article as prev (5.3 %).
constexpr double kExternalShare = 0.37;
constexpr std::uint64_t kOtherTypePerMille = 53;
// Zipf exponents: page popularity on Wikipedia follows s ~ 1; referring pages are a bit flatter.
// Search/empty referers reach nearly every article, so external rows pick curr flatter still:
// at 10 M rows, s = 1.0 there rejected 2.1 draws per row (titles out of other-* slots) and
// s = 0.8 rejects 0.7, for 8.3 s instead of 13.4 s.
constexpr double kCurrZipfExponent = 1.0;
constexpr double kPrevZipfExponent = 0.9;
constexpr double kExternalCurrZipfExponent = 0.8;
// Vocabulary size scales with the row count so small runs still repeat titles: 10 M rows get
// 1.25 M titles, and 37 % external rows fill ~3 of a title's 5 other-* slots on average
// (enwiki 2018-12: 11 M external rows over ~4.5 M titles).
constexpr std::uint64_t kRowsPerTitle = 8;
constexpr std::uint64_t kMinTitles = 1000;
constexpr std::uint64_t kMaxTitles = 4'000'000;
// Quoted and backslash titles never take the most popular ranks, so --quoted-rate stays close to
// the share of rows that carry one instead of hinging on whether rank 3 happened to be picked.
constexpr std::uint64_t kFirstSpecialRank = 100;
// After this many Zipf draws that all hit an existing pair, fall back to uniform draws. Rare with
// the vocabulary at rows/8 titles: 30 rows of 10 M needed it (the truth reports the count).
constexpr int kZipfAttempts = 32;
// 4 MiB output buffer: large enough that fwrite cost is noise, small enough to stay in L2/L3.
constexpr std::size_t kOutputBufferBytes = std::size_t{4} << 20;
// Titles are capped well below this, so one row always fits in this much free buffer space.
constexpr std::size_t kMaxRowBytes = 4096;

// Non-article referers, in the weights seen in real dumps (other-search dominates).
constexpr std::array<std::string_view, 5> kOtherReferers = {
    "other-search", "other-empty", "other-internal", "other-external", "other-other"};
constexpr std::array<double, 5> kOtherRefererWeights = {0.56, 0.24, 0.08, 0.08, 0.04};
constexpr std::uint8_t kAllReferers = 0x1F;

enum class PairType : std::uint8_t { kLink, kExternal, kOther };

constexpr std::string_view type_name(PairType type) {
  switch (type) {
    case PairType::kLink:
      return "link";
    case PairType::kExternal:
      return "external";
    case PairType::kOther:
      return "other";
  }
  return "link";
}

// Kinds of dirty lines. Each injected dirty line has exactly one fault, so an independent
// validator can classify it without an order of precedence.
enum class BadKind : std::uint8_t {
  kFieldCount,
  kCountZero,
  kCountNotInteger,
  kBadType,
  kEmptyTitle,
  kInvalidUtf8,
  kEmptyLine,
};
constexpr std::size_t kBadKindCount = 7;
constexpr std::array<std::string_view, kBadKindCount> kBadKindNames = {
    "field_count", "n_zero",       "n_not_integer", "bad_type",
    "empty_title", "invalid_utf8", "empty_line"};

struct Options {
  std::uint64_t rows = 0;
  std::uint64_t seed = 1;
  std::string out;
  double dup_rate = 0.01;
  double bad_rate = 0.001;
  double quoted_rate = 0.001;
  bool crlf = false;
  std::string truth;
};

struct Truth {
  std::uint64_t rows_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t vocabulary_titles = 0;
  std::uint64_t valid_rows = 0;
  std::uint64_t bad_rows = 0;
  std::array<std::uint64_t, kBadKindCount> bad_by_kind{};
  std::uint64_t duplicate_rows = 0;
  std::uint64_t distinct_pairs = 0;
  std::uint64_t sum_n_distinct = 0;
  std::uint64_t max_n = 0;
  std::array<std::uint64_t, 3> distinct_by_type{};
  std::uint64_t distinct_with_quoted_field = 0;
  std::uint64_t fallback_draws = 0;
  std::uint64_t rejected_draws = 0;
};

// 64x64->128 multiply for Lemire's bounded draw; __extension__ keeps -Wpedantic quiet on GCC/Clang.
// NOLINTNEXTLINE(modernize-use-using): `__extension__ using` is not valid C++.
__extension__ typedef unsigned __int128 Uint128;

// splitmix64 finaliser: seeds the generator and hashes pair keys (full avalanche, 3 multiplies).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256** (Blackman & Vigna): fast, and its output for a seed is fixed by this code rather
// than by a standard library's distribution implementations, so files are reproducible.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (auto& word : state_) {
      s = mix64(s);
      word = s;
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, bound) by multiply-shift (Lemire); the bias (< bound / 2^64) is immaterial here.
  std::uint64_t below(std::uint64_t bound) {
    return static_cast<std::uint64_t>((static_cast<Uint128>(next()) * bound) >> 64);
  }

  bool chance(double p) { return uniform() < p; }

  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

// Zipf over ranks 0..n-1 by rejection-inversion (Hörmann & Derflinger 1996, as in Apache Commons
// RNG): O(1) per draw, ~1.1 iterations, no table. A CDF table with binary search over 1 M ranks
// costs ~20 cache misses per draw, which alone would halve the generator's speed.
class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double exponent)
      : n_(n),
        exponent_(exponent),
        h_integral_x1_(h_integral(1.5) - 1.0),
        h_integral_n_(h_integral(static_cast<double>(n) + 0.5)),
        s_(2.0 - h_integral_inverse(h_integral(2.5) - h(2.0))) {}

  std::uint64_t operator()(Rng& rng) const {
    for (;;) {
      const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
      const double x = h_integral_inverse(u);
      double k = std::floor(x + 0.5);
      k = std::clamp(k, 1.0, static_cast<double>(n_));
      if (k - x <= s_ || u >= h_integral(k + 0.5) - h(k)) {
        return static_cast<std::uint64_t>(k) - 1;
      }
    }
  }

 private:
  double h(double x) const { return std::exp(-exponent_ * std::log(x)); }
  double h_integral(double x) const {
    const double log_x = std::log(x);
    return helper2((1.0 - exponent_) * log_x) * log_x;
  }
  double h_integral_inverse(double x) const {
    double t = x * (1.0 - exponent_);
    t = std::max(t, -1.0);
    return std::exp(helper1(t) * x);
  }
  // log1p(x)/x and expm1(x)/x, with their series near 0 where the quotient loses precision.
  static double helper1(double x) {
    return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {
    return std::abs(x) > 1e-8 ? std::expm1(x) / x
                              : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
  }

  std::uint64_t n_;
  double exponent_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_;
};

// Asks for transparent huge pages on the 2 MiB-aligned interior of [data, data + bytes), before
// the memory is first touched. The pair set and the title arena are read at random, and with
// 4 KiB pages nearly every access also missed the TLB: 10 M rows took 6.6-8.7 s of CPU without
// this and 6.2-7.7 s with it (Debian's THP mode is "madvise"). Advisory: failure costs only speed.
void advise_huge_pages(const void* data, std::size_t bytes) {
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
  if (last > first) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): madvise needs the page-aligned address
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
}

// Titles in rank order (0 = most popular), stored once in their on-disk form: a title holding
// `"` is written as Spark's CSV writer writes it since 2024-04, quoted with `\"` inside.
class Vocabulary {
 public:
  Vocabulary(std::uint64_t count, double quoted_rate, Rng& rng) { build(count, quoted_rate, rng); }

  std::uint64_t size() const { return offsets_.size() - 1; }
  std::string_view field(std::uint64_t id) const {
    return {arena_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]};
  }
  bool quoted(std::uint64_t id) const { return arena_[offsets_[id]] == '"'; }

 private:
  void build(std::uint64_t count, double quoted_rate, Rng& rng);
  void add(std::string_view title);

  std::vector<char> arena_;
  std::vector<std::uint64_t> offsets_{0};
};

// Real titles that trip up readers, pinned at ranks popular enough to show up in small runs:
// pandas reads NaN/Null/None/NA as missing values, and the rest test UTF-8 and punctuation.
struct PinnedTitle {
  std::uint64_t rank;
  std::string_view title;
};
constexpr std::array<PinnedTitle, 14> kPinnedTitles = {{
    {0, "Main_Page"},
    {1, "Hyphen-minus"},
    {5, "NaN"},
    {11, "Null"},
    {17, "None"},
    {23, "NA"},
    {31, "True"},
    {41, "Infinity"},
    {53, "C++"},
    {67, "AC/DC"},
    {79, "Москва"},
    {97, "日本"},
    {131, "Ø"},
    {173, "Pokémon"},
}};

constexpr std::array<std::string_view, 26> kOnsets = {
    "b", "br", "c", "ch", "d", "dr", "f",  "g",  "gr", "h",  "j", "k", "l",
    "m", "n",  "p", "pr", "r", "s",  "sh", "st", "t",  "tr", "v", "w", "z"};
constexpr std::array<std::string_view, 10> kVowels = {"a",  "e",  "i",  "o", "u",
                                                      "ai", "ea", "ou", "y", "ie"};
constexpr std::array<std::string_view, 12> kCodas = {"",  "",  "",  "n",  "r",  "s",
                                                     "l", "t", "m", "nd", "st", "ck"};
// Accented vowels as UTF-8 (2 bytes each) for Latin-script titles with diacritics.
constexpr std::array<std::string_view, 10> kAccented = {"é", "ö", "ü", "ñ", "å",
                                                        "ł", "ç", "á", "ø", "ő"};
constexpr std::array<std::string_view, 16> kCyrillic = {"ка", "ми", "ро", "ва",  "ст", "на",
                                                        "ль", "де", "по", "ски", "ов", "ин",
                                                        "Бе", "Мо", "Пе", "Вла"};
constexpr std::array<std::string_view, 8> kConnectors = {"of", "the", "and", "in",
                                                         "de", "von", "on",  "for"};
constexpr std::array<std::string_view, 14> kQualifiers = {"film",
                                                          "album",
                                                          "band",
                                                          "song",
                                                          "novel",
                                                          "TV_series",
                                                          "footballer",
                                                          "politician",
                                                          "2019_film",
                                                          "video_game",
                                                          "river",
                                                          "surname",
                                                          "footballer,_born_1990",
                                                          "musician"};

void append_word(std::string& out, Rng& rng, bool capital, bool accented) {
  const std::size_t start = out.size();
  const std::uint64_t syllables = 1 + rng.below(3);
  const std::uint64_t accent_at = accented ? rng.below(syllables) : syllables;
  for (std::uint64_t i = 0; i < syllables; ++i) {
    out += rng.pick(kOnsets);
    out += i == accent_at ? rng.pick(kAccented) : rng.pick(kVowels);
    out += rng.pick(kCodas);
  }
  if (capital && out[start] >= 'a' && out[start] <= 'z') {
    out[start] = static_cast<char>(out[start] - 'a' + 'A');
  }
}

void append_cjk(std::string& out, Rng& rng) {
  const std::uint64_t chars = 2 + rng.below(3);
  for (std::uint64_t i = 0; i < chars; ++i) {
    // CJK Unified Ideographs U+4E00..U+9FFF, three UTF-8 bytes each.
    const auto cp = static_cast<std::uint32_t>(0x4E00 + rng.below(0x9FFF - 0x4E00 + 1));
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// One random title shaped like an English Wikipedia page_title (underscores for spaces).
void make_title(std::string& out, Rng& rng, bool with_quote, bool with_backslash) {
  out.clear();
  const bool special = with_quote || with_backslash;
  const std::uint64_t script = special ? 1000 : rng.below(1000);
  if (script < 10) {  // ~1 %: Cyrillic
    const std::uint64_t parts = 2 + rng.below(3);
    for (std::uint64_t i = 0; i < parts; ++i) out += rng.pick(kCyrillic);
    return;
  }
  if (script < 15) {  // ~0.5 %: CJK
    append_cjk(out, rng);
    return;
  }
  const bool accented = script < 65;  // ~5 %: a Latin letter with a diacritic
  const std::uint64_t shape = special ? 100 : rng.below(100);
  if (shape < 2) {
    out += "List_of_";
    append_word(out, rng, false, accented);
    out += "s";
    return;
  }
  if (shape < 5) {
    out += std::to_string(1900 + rng.below(125));
    out += '_';
  }
  // A backslash joins words the way `TBWA\Chiat\Day` does, so such titles have two words or more.
  const std::uint64_t words = (with_backslash ? 2 : 1) + rng.below(with_backslash ? 3 : 4);
  const std::uint64_t quoted_word = words - 1 - (words > 1 ? rng.below(2) : 0);
  for (std::uint64_t w = 0; w < words; ++w) {
    if (w > 0) {
      out += with_backslash ? '\\' : '_';
      if (!with_backslash && rng.chance(0.12)) {
        out += rng.pick(kConnectors);
        out += '_';
      }
    }
    const bool quote_this = with_quote && w == quoted_word;
    if (quote_this) out += '"';
    append_word(out, rng, w == 0 || rng.chance(0.6), accented && w == 0);
    if (quote_this) out += '"';
  }
  const std::uint64_t decoration = rng.below(100);
  if (decoration < 6) {
    out += "_(";
    out += rng.pick(kQualifiers);
    out += ')';
  } else if (decoration < 8) {
    out += "_(";
    out += std::to_string(1950 + rng.below(75));
    out += ')';
  } else if (decoration < 9) {
    out.insert(1, "'");  // O'Brien-like apostrophe
  } else if (decoration < 10) {
    out += ",_";
    append_word(out, rng, true, false);  // Paris,_Texas
  } else if (decoration < 11) {
    out += ":_";
    append_word(out, rng, true, false);  // Star_Wars:_Episode
  } else if (decoration < 12) {
    out += "_&_";
    append_word(out, rng, true, false);
  } else if (decoration < 13) {
    out += '!';
  }
}

void Vocabulary::add(std::string_view title) {
  if (title.find('"') == std::string_view::npos) {
    arena_.insert(arena_.end(), title.begin(), title.end());
  } else {
    arena_.push_back('"');
    for (const char c : title) {
      if (c == '"') arena_.push_back('\\');
      arena_.push_back(c);
    }
    arena_.push_back('"');
  }
  offsets_.push_back(arena_.size());
}

void Vocabulary::build(std::uint64_t count, double quoted_rate, Rng& rng) {
  // Setup, not the per-row path: a string set is the simple way to keep titles unique.
  std::unordered_set<std::string> seen;
  seen.reserve(count + kOtherReferers.size());
  for (const auto referer : kOtherReferers) seen.emplace(referer);
  std::vector<std::string_view> pinned(count);
  for (const auto& p : kPinnedTitles) {
    if (p.rank < count) {
      pinned[p.rank] = p.title;
      seen.emplace(p.title);
    }
  }
  offsets_.reserve(count + 1);
  advise_huge_pages(offsets_.data(), (count + 1) * sizeof(std::uint64_t));
  arena_.reserve(count * 28);  // titles average ~21 bytes; quoting adds a few
  advise_huge_pages(arena_.data(), count * 28);
  std::string title;
  for (std::uint64_t rank = 0; rank < count; ++rank) {
    if (!pinned[rank].empty()) {
      add(pinned[rank]);
      continue;
    }
    const bool special = rank >= kFirstSpecialRank && rng.chance(quoted_rate);
    const bool with_quote = special && rng.chance(0.5);
    const bool with_backslash = special && !with_quote;
    do {
      make_title(title, rng, with_quote, with_backslash);
    } while (!seen.insert(title).second);
    add(title);
  }
}

// Set of 64-bit pair keys, open addressing with linear probing. Kept at most 5/8 full: at
// 10 M rows that is 2^24 slots = 128 MiB, and an insert costs about one cache miss.
class PairSet {
 public:
  explicit PairSet(std::uint64_t max_entries) {
    std::uint64_t capacity = 1024;
    while (capacity * 5 < max_entries * 8) capacity *= 2;
    slots_.reserve(capacity);
    advise_huge_pages(slots_.data(), capacity * sizeof(std::uint64_t));
    slots_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
  }

  // Returns false when the key is already present.
  bool insert(std::uint64_t key) {
    for (std::uint64_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == key) return false;
      if (slots_[i] == kEmpty) {
        slots_[i] = key;
        return true;
      }
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::uint64_t> slots_;
  std::uint64_t mask_ = 0;
};

// Owns the output FILE (or borrows stdout) and a big buffer; every write error throws.
class Output {
 public:
  Output(const std::string& path, bool crlf)
      : path_(path == "-" ? "<stdout>" : path), eol_(crlf ? "\r\n" : "\n") {
    if (path == "-") {
      file_ = stdout;
    } else {
      file_ = std::fopen(path.c_str(), "wb");
      if (file_ == nullptr) {
        throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
      }
      owned_ = true;
    }
    // Rows are already batched in buffer_: stdio's own buffer would only add a copy and delay
    // write errors to fclose, where the byte offset is no longer known.
    std::setvbuf(file_, nullptr, _IONBF, 0);
    buffer_.resize(kOutputBufferBytes);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (owned_ && file_ != nullptr) std::fclose(file_);  // error path only; close() reports
  }

  // Guarantees room for one row.
  void reserve_row() {
    if (buffer_.size() - used_ < kMaxRowBytes) flush();
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // a default string_view has a null data(), which memcpy must not get
    std::memcpy(buffer_.data() + used_, s.data(), s.size());
    used_ += s.size();
  }
  void put(char c) { buffer_[used_++] = c; }
  void put_number(std::uint64_t value) {
    const auto result =
        std::to_chars(buffer_.data() + used_, buffer_.data() + buffer_.size(), value);
    used_ = static_cast<std::size_t>(result.ptr - buffer_.data());
  }
  void end_line() { put(eol_); }

  std::uint64_t bytes_written() const { return flushed_ + used_; }

  void close() {
    flush();
    if (std::fflush(file_) != 0) fail("flush");
    if (owned_) {
      FILE* f = file_;
      file_ = nullptr;
      if (std::fclose(f) != 0) fail("close");
    }
  }

 private:
  void flush() {
    if (used_ == 0) return;
    if (std::fwrite(buffer_.data(), 1, used_, file_) != used_) fail("write");
    flushed_ += used_;
    used_ = 0;
  }
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(std::string(what) + " failed on " + path_ + " at byte " +
                             std::to_string(flushed_) + ": " + std::strerror(errno));
  }

  std::string path_;
  std::string_view eol_;
  FILE* file_ = nullptr;
  bool owned_ = false;
  std::vector<char> buffer_;
  std::size_t used_ = 0;
  std::uint64_t flushed_ = 0;
};

// A valid row, compact enough to queue for its later duplicate.
struct Row {
  std::uint64_t prev = 0;  // title id, or vocabulary size + index into kOtherReferers
  std::uint64_t curr = 0;
  std::uint64_t n = 0;
  PairType type = PairType::kLink;
};

struct PendingDuplicate {
  std::uint64_t line = 0;  // the line index it is due at
  Row row;
  bool operator>(const PendingDuplicate& other) const { return line > other.line; }
};

class Generator {
 public:
  explicit Generator(const Options& options)
      : options_(options),
        rng_(options.seed),
        vocabulary_(std::clamp(options.rows / kRowsPerTitle, kMinTitles, kMaxTitles),
                    options.quoted_rate, rng_),
        titles_(vocabulary_.size()),
        curr_sampler_(titles_, kCurrZipfExponent),
        prev_sampler_(titles_, kPrevZipfExponent),
        external_curr_sampler_(titles_, kExternalCurrZipfExponent),
        pairs_(options.rows),
        external_used_(titles_, 0),
        type_salt_(mix64(options.seed ^ 0x7970655f73616c74ULL)) {}

  Truth run() {
    Truth truth;
    truth.vocabulary_titles = titles_;
    Output out(options_.out, options_.crlf);
    std::priority_queue<PendingDuplicate, std::vector<PendingDuplicate>, std::greater<>> pending;
    for (std::uint64_t line = 0; line < options_.rows; ++line) {
      out.reserve_row();
      if (!pending.empty() && pending.top().line <= line) {
        write_row(out, pending.top().row);
        pending.pop();
        ++truth.duplicate_rows;
        ++truth.valid_rows;
        continue;
      }
      if (options_.bad_rate > 0.0 && rng_.chance(options_.bad_rate)) {
        const auto kind = static_cast<BadKind>(rng_.below(kBadKindCount));
        write_bad_row(out, kind);
        ++truth.bad_by_kind[static_cast<std::size_t>(kind)];
        ++truth.bad_rows;
        continue;
      }
      const Row row = new_distinct_row(truth);
      write_row(out, row);
      ++truth.valid_rows;
      ++truth.distinct_pairs;
      truth.sum_n_distinct += row.n;
      truth.max_n = std::max(truth.max_n, row.n);
      ++truth.distinct_by_type[static_cast<std::size_t>(row.type)];
      if ((row.prev < titles_ && vocabulary_.quoted(row.prev)) || vocabulary_.quoted(row.curr)) {
        ++truth.distinct_with_quoted_field;
      }
      const std::uint64_t later = options_.rows - line - 1;
      if (later > 0 && options_.dup_rate > 0.0 && rng_.chance(options_.dup_rate)) {
        pending.push({line + 1 + rng_.below(later), row});
      }
    }
    truth.rows_written = options_.rows;
    out.close();
    truth.bytes_written = out.bytes_written();
    return truth;
  }

 private:
  std::uint64_t draw_n() {
    const double u = 1.0 - rng_.uniform();  // (0, 1]
    const double n =
        std::floor(static_cast<double>(kMinCount) * std::pow(u, -1.0 / kCountTailIndex));
    return n >= static_cast<double>(kMaxCount) ? kMaxCount : static_cast<std::uint64_t>(n);
  }

  // One of the other-* referers not yet paired with curr, by the real weights among those left;
  // returns false when curr already has all five. A 5-bit mask per title replaces the pair set
  // for external rows and keeps the draw O(1) where rejection would retry popular titles often.
  bool draw_other_referer(Row& row) {
    const std::uint8_t used = external_used_[row.curr];
    if (used == kAllReferers) return false;
    std::array<double, kOtherReferers.size()> cumulative{};
    double total = 0.0;
    for (std::size_t i = 0; i < kOtherReferers.size(); ++i) {
      if ((used & (1U << i)) == 0) total += kOtherRefererWeights[i];
      cumulative[i] = total;
    }
    const double u = rng_.uniform() * total;
    std::size_t i = 0;
    while (i + 1 < kOtherReferers.size() && ((used & (1U << i)) != 0 || u >= cumulative[i])) ++i;
    external_used_[row.curr] = static_cast<std::uint8_t>(used | (1U << i));
    row.prev = titles_ + i;
    return true;
  }

  // (prev, curr) with prev != curr and the type upstream would give it: external exactly when
  // prev is an other-* referer, else link, or other for a stable ~5 % of article pairs.
  // Returns false when the pair is taken.
  bool draw_distinct_pair(Row& row, bool external, bool uniform) {
    if (external) {
      row.curr = uniform ? rng_.below(titles_) : external_curr_sampler_(rng_);
      row.type = PairType::kExternal;
      return draw_other_referer(row);
    }
    draw_article_pair(row, uniform);
    return pairs_.insert(key(row));
  }

  void draw_article_pair(Row& row, bool uniform) {
    row.curr = uniform ? rng_.below(titles_) : curr_sampler_(rng_);
    do {
      row.prev = uniform ? rng_.below(titles_) : prev_sampler_(rng_);
    } while (row.prev == row.curr);
    row.type = mix64(key(row) ^ type_salt_) % 1000 < kOtherTypePerMille ? PairType::kOther
                                                                        : PairType::kLink;
  }

  std::uint64_t key(const Row& row) const { return row.prev * titles_ + row.curr; }

  // The row's kind is drawn once, so collisions (which hit external pairs far more often: a title
  // has only five of them) cannot skew the external share.
  Row new_distinct_row(Truth& truth) {
    bool external = rng_.chance(kExternalShare);
    for (int attempt = 0;; ++attempt) {
      const bool uniform = attempt >= kZipfAttempts;
      // Tiny vocabularies could run out of external slots (five per title); article pairs cannot.
      if (attempt >= 4 * kZipfAttempts) external = false;
      Row row;
      if (draw_distinct_pair(row, external, uniform)) {
        row.n = draw_n();
        if (uniform) ++truth.fallback_draws;
        truth.rejected_draws += static_cast<std::uint64_t>(attempt);
        return row;
      }
    }
  }

  std::string_view prev_field(std::uint64_t prev) const {
    return prev < titles_ ? vocabulary_.field(prev) : kOtherReferers[prev - titles_];
  }

  void write_row(Output& out, const Row& row) {
    out.put(prev_field(row.prev));
    out.put('\t');
    out.put(vocabulary_.field(row.curr));
    out.put('\t');
    out.put(type_name(row.type));
    out.put('\t');
    out.put_number(row.n);
    out.end_line();
  }

  // A title id whose field is unquoted, so that a fault injected into it is the row's only fault.
  std::uint64_t plain_title() {
    for (int attempt = 0; attempt < 8; ++attempt) {
      const std::uint64_t id = curr_sampler_(rng_);
      if (!vocabulary_.quoted(id)) return id;
    }
    return 0;  // Main_Page
  }

  void write_bad_row(Output& out, BadKind kind) {
    // Any plausible pair will do: dirty lines are not part of the distinct set.
    Row row;
    if (rng_.chance(kExternalShare)) {
      row.curr = curr_sampler_(rng_);
      row.prev = titles_ + rng_.below(kOtherReferers.size());
      row.type = PairType::kExternal;
    } else {
      draw_article_pair(row, false);
    }
    row.n = draw_n();
    const std::string_view prev = prev_field(row.prev);
    const std::string_view curr = vocabulary_.field(row.curr);
    const std::string_view type = type_name(row.type);
    switch (kind) {
      case BadKind::kFieldCount: {
        const std::uint64_t variant = rng_.below(3);
        out.put(prev);
        if (variant == 0) {  // type column missing
          out.put('\t');
          out.put(curr);
          out.put('\t');
          out.put_number(row.n);
        } else if (variant == 1) {  // an extra column
          out.put('\t');
          out.put(curr);
          out.put('\t');
          out.put(type);
          out.put('\t');
          out.put_number(row.n);
          out.put('\t');
          out.put_number(row.n);
        }  // variant 2: a lone title
        break;
      }
      case BadKind::kCountZero:
        write_fields(out, prev, curr, type, "0");
        break;
      case BadKind::kCountNotInteger: {
        static constexpr std::array<std::string_view, 5> kNotCounts = {"abc", "12abc", "1.5", "NaN",
                                                                       "ten"};
        write_fields(out, prev, curr, type, rng_.pick(kNotCounts));
        break;
      }
      case BadKind::kBadType: {
        // "redlink" is the 2015 schema's type; the others are near misses of the real ones.
        static constexpr std::array<std::string_view, 5> kBadTypes = {"redlink", "Link", "EXTERNAL",
                                                                      "linkk", "none"};
        out.put(prev);
        out.put('\t');
        out.put(curr);
        out.put('\t');
        out.put(rng_.pick(kBadTypes));
        out.put('\t');
        out.put_number(row.n);
        break;
      }
      case BadKind::kEmptyTitle:
        if (rng_.chance(0.5)) {
          write_fields(out, "", curr, type, {});
        } else {
          write_fields(out, prev, "", type, {});
        }
        out.put_number(row.n);
        break;
      case BadKind::kInvalidUtf8: {
        // A byte never valid in UTF-8, a bad continuation, an overlong "/", a truncated
        // 3-byte sequence, a UTF-16 surrogate, and a code point above U+10FFFF.
        static constexpr std::array<std::string_view, 6> kBadSequences = {
            "\xFF", "\xC3\x28", "\xC0\xAF", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80"};
        const std::string_view bad = rng_.pick(kBadSequences);
        const std::string_view title = vocabulary_.field(plain_title());
        const bool in_prev = rng_.chance(0.5);
        if (in_prev) {
          out.put(title);
          out.put(bad);
        } else {
          out.put(prev);
        }
        out.put('\t');
        if (in_prev) {
          out.put(curr);
        } else {
          out.put(bad);
          out.put(title);
        }
        out.put('\t');
        out.put(in_prev ? type_name(PairType::kLink) : type);  // an article prev: not external
        out.put('\t');
        out.put_number(row.n);
        break;
      }
      case BadKind::kEmptyLine:
        break;
    }
    out.end_line();
  }

  static void write_fields(Output& out, std::string_view prev, std::string_view curr,
                           std::string_view type, std::string_view n) {
    out.put(prev);
    out.put('\t');
    out.put(curr);
    out.put('\t');
    out.put(type);
    out.put('\t');
    out.put(n);
  }

  const Options& options_;
  Rng rng_;
  Vocabulary vocabulary_;
  std::uint64_t titles_;
  ZipfSampler curr_sampler_;
  ZipfSampler prev_sampler_;
  ZipfSampler external_curr_sampler_;
  PairSet pairs_;
  std::vector<std::uint8_t> external_used_;  // bit i: (kOtherReferers[i], title) written
  std::uint64_t type_salt_;
};

void write_truth(const std::string& path, const Options& options, const Truth& t) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
  }
  std::string json;
  json.reserve(2048);
  auto field = [&json](std::string_view name, std::uint64_t value, bool last = false) {
    json += "  \"";
    json += name;
    json += "\": ";
    json += std::to_string(value);
    json += last ? "\n" : ",\n";
  };
  json += "{\n  \"generator\": \"";
  json += kProgram;
  json += "\",\n";
  field("seed", options.seed);
  json += "  \"dup_rate\": " + std::to_string(options.dup_rate) + ",\n";
  json += "  \"bad_rate\": " + std::to_string(options.bad_rate) + ",\n";
  json += "  \"quoted_rate\": " + std::to_string(options.quoted_rate) + ",\n";
  json += std::string("  \"line_ending\": \"") + (options.crlf ? "crlf" : "lf") + "\",\n";
  field("rows_written", t.rows_written);
  field("bytes_written", t.bytes_written);
  field("vocabulary_titles", t.vocabulary_titles);
  field("valid_rows", t.valid_rows);
  field("bad_rows", t.bad_rows);
  json += "  \"bad_rows_by_kind\": {\n";
  for (std::size_t k = 0; k < kBadKindCount; ++k) {
    json += "    \"";
    json += kBadKindNames[k];
    json += "\": " + std::to_string(t.bad_by_kind[k]) + (k + 1 < kBadKindCount ? ",\n" : "\n");
  }
  json += "  },\n";
  field("duplicate_rows_injected", t.duplicate_rows);
  field("distinct_pairs", t.distinct_pairs);
  field("sum_n_distinct", t.sum_n_distinct);
  field("max_n", t.max_n);
  json += "  \"distinct_pairs_by_type\": {\"link\": " + std::to_string(t.distinct_by_type[0]) +
          ", \"external\": " + std::to_string(t.distinct_by_type[1]) +
          ", \"other\": " + std::to_string(t.distinct_by_type[2]) + "},\n";
  field("distinct_pairs_with_quoted_field", t.distinct_with_quoted_field);
  field("rejected_pair_draws", t.rejected_draws);
  field("uniform_fallback_draws", t.fallback_draws, true);
  json += "}\n";
  const bool ok = std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (std::fclose(f) != 0 || !ok) {
    throw std::runtime_error("write failed on " + path + ": " + std::strerror(errno));
  }
}

// Returns the options, or nothing after printing help; throws po::error on bad usage.
bool parse_options(int argc, char** argv, Options& options) {
  std::int64_t rows = -1;
  po::options_description desc(
      "Usage: dumpmill-gen-clickstream --rows N --out FILE|- [options]\n"
      "Writes a synthetic Wikimedia clickstream dump (prev\\tcurr\\ttype\\tn, no header)");
  desc.add_options()("help,h", "print this help")(
      "rows", po::value<std::int64_t>(&rows)->required(),
      "lines to write, duplicates and dirty lines included")(
      "seed", po::value<std::uint64_t>(&options.seed)->default_value(1),
      "random seed; the same seed and options give the same bytes")(
      "out", po::value<std::string>(&options.out)->required(), "output file, or - for stdout")(
      "dup-rate", po::value<double>(&options.dup_rate)->default_value(0.01, "0.01"),
      "chance that a new valid row is repeated verbatim at a random later line")(
      "bad-rate", po::value<double>(&options.bad_rate)->default_value(0.001, "0.001"),
      "chance that a line is dirty (wrong field count, n=0, n not an integer, bad type, empty "
      "title, invalid UTF-8, empty line)")(
      "quoted-rate", po::value<double>(&options.quoted_rate)->default_value(0.001, "0.001"),
      "share of titles holding a '\"' (written quoted, 2024 style) and, as many again, a "
      "backslash")("crlf", po::bool_switch(&options.crlf), "end lines with \\r\\n")(
      "truth", po::value<std::string>(&options.truth),
      "write the ground truth (counts by kind, distinct pairs, sum of n) as JSON here");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help") != 0) {
    std::fputs((std::ostringstream() << desc).str().c_str(), stdout);
    return false;
  }
  po::notify(vm);
  if (rows < 0) throw po::error("--rows must be >= 0");
  options.rows = static_cast<std::uint64_t>(rows);
  for (const double rate : {options.dup_rate, options.bad_rate, options.quoted_rate}) {
    if (!(rate >= 0.0 && rate <= 1.0)) throw po::error("rates must be within [0, 1]");
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    if (!parse_options(argc, argv, options)) return 0;
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", kProgram.data(), e.what());
    return 2;
  }
  try {
    Generator generator(options);
    const Truth truth = generator.run();
    if (!options.truth.empty()) write_truth(options.truth, options, truth);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", kProgram.data(), e.what());
    return 1;
  }
  return 0;
}
