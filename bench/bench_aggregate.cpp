// aggregate stage micro-benchmarks: table inserts vs std::unordered_map, hashing, pair dedup.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dumpmill/aggregate/clickstream_aggregates.hpp"
#include "dumpmill/aggregate/hashing.hpp"
#include "dumpmill/aggregate/keyed_table.hpp"

namespace {

using dumpmill::aggregate::hash_bytes;

constexpr std::size_t kKeyBytes = 40;  // a typical "prev\tcurr" clickstream key

// `count` distinct 40-byte keys in one buffer (no per-key allocation), shuffled order.
const std::vector<char>& keys(std::size_t count) {
  static std::vector<char> buf;
  if (buf.size() != count * kKeyBytes) {
    buf.assign(count * kKeyBytes, 0);
    std::mt19937_64 rng(1);
    std::vector<std::uint64_t> ids(count);
    for (std::size_t i = 0; i < count; ++i) ids[i] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (std::size_t i = 0; i < count; ++i) {
      char tmp[kKeyBytes + 1];
      std::snprintf(tmp, sizeof tmp, "Article_%012llu_Page_%014llu",
                    static_cast<unsigned long long>(ids[i]),
                    static_cast<unsigned long long>(ids[i] * 7919));
      std::memcpy(buf.data() + i * kKeyBytes, tmp, kKeyBytes);
    }
  }
  return buf;
}

std::string_view key_at(const std::vector<char>& buf, std::size_t i) {
  return {buf.data() + i * kKeyBytes, kKeyBytes};
}

void BM_KeyedTableInsert(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::vector<char>& buf = keys(count);
  std::size_t memory = 0;
  for (auto _ : state) {
    dumpmill::aggregate::KeyedTable<std::uint64_t> table;
    bool inserted = false;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view k = key_at(buf, i);
      ++table.find_or_insert(k, hash_bytes(k), inserted);
    }
    memory = table.memory_bytes();
    benchmark::DoNotOptimize(table.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(count * kKeyBytes));
  state.counters["table_MiB"] = static_cast<double>(memory) / (1 << 20);
}

void BM_UnorderedMapInsert(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::vector<char>& buf = keys(count);
  for (auto _ : state) {
    std::unordered_map<std::string, std::uint64_t> map;
    for (std::size_t i = 0; i < count; ++i) ++map[std::string(key_at(buf, i))];
    benchmark::DoNotOptimize(map.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(count * kKeyBytes));
}

void BM_KeyedTableFindHit(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::vector<char>& buf = keys(count);
  dumpmill::aggregate::KeyedTable<std::uint64_t> table;
  bool inserted = false;
  for (std::size_t i = 0; i < count; ++i) {
    table.find_or_insert(key_at(buf, i), hash_bytes(key_at(buf, i)), inserted) = i;
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view k = key_at(buf, i);
    benchmark::DoNotOptimize(table.find(k, hash_bytes(k)));
    i = i + 1 == count ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_HashBytes(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(hash_bytes(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Clickstream-like rows: 1e5 titles, Zipf-ish popularity, 10% exact duplicates.
void BM_PairReducerAdd(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(2);
  std::vector<std::string> titles;
  for (int i = 0; i < 100000; ++i) titles.push_back("Title_" + std::to_string(rng() % 100000000));
  struct Row {
    std::uint32_t prev, curr;
    std::uint8_t type;
    std::uint64_t n;
  };
  std::vector<Row> data;
  std::size_t row_bytes = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    if (i > 0 && rng() % 10 == 0) {
      data.push_back(data[rng() % data.size()]);
    } else {
      const auto skewed = [&] {
        return static_cast<std::uint32_t>((rng() % 1000) * (rng() % 100));
      };
      data.push_back(Row{skewed(), static_cast<std::uint32_t>(rng() % titles.size()),
                         static_cast<std::uint8_t>(rng() % 3), 10 + rng() % 1000});
    }
    row_bytes += titles[data.back().prev].size() + titles[data.back().curr].size() + 12;
  }
  for (auto _ : state) {
    dumpmill::aggregate::PairReducer reducer;
    for (const Row& r : data) reducer.add(titles[r.prev], titles[r.curr], r.type, r.n);
    benchmark::DoNotOptimize(reducer.rows_kept());
    state.counters["duplicates"] = static_cast<double>(reducer.duplicates());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(row_bytes));
}

BENCHMARK(BM_KeyedTableInsert)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnorderedMapInsert)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeyedTableFindHit)->Arg(1000000);
BENCHMARK(BM_HashBytes)->Arg(16)->Arg(40)->Arg(4096);
BENCHMARK(BM_PairReducerAdd)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("git_commit", DUMPMILL_GIT_COMMIT);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
