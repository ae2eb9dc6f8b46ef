// The clickstream job on every rank. Stages are called in pipeline order; each knows only its
// inputs.
#include "dumpmill/cli/clickstream_pipeline.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "dumpmill/aggregate/clickstream_aggregates.hpp"
#include "dumpmill/aggregate/hashing.hpp"
#include "dumpmill/aggregate/key_codec.hpp"
#include "dumpmill/aggregate/keyed_table.hpp"
#include "dumpmill/cli/output_files.hpp"
#include "dumpmill/cli/result_writer.hpp"
#include "dumpmill/core/byte_size.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/process_stats.hpp"
#include "dumpmill/core/wire.hpp"
#include "dumpmill/parse/clickstream.hpp"
#include "dumpmill/parse/range_scanner.hpp"
#include "dumpmill/parse/reject.hpp"
#include "dumpmill/plan/parallel_gzip_index.hpp"
#include "dumpmill/plan/plan.hpp"
#include "dumpmill/plan/range_reader.hpp"
#include "dumpmill/report/progress.hpp"
#include "dumpmill/shuffle/exchange.hpp"
#include "dumpmill/version.hpp"

namespace dumpmill::cli {
namespace fs = std::filesystem;

namespace {

// 1 GiB per rank: the budget for a 10 M-row dump; tables and buffers are checked against
// it.
constexpr std::uint64_t kDefaultMemoryPerRank = 1ull << 30;
// 16 MiB per rank and round: MPI_Alltoallv of 64 MiB takes ~7 ms here (TOOLCHAIN.md), so a
// 16 MiB round costs ~2 ms against ~100 ms of parsing that produces it (< 2 % overhead),
// while receive buffers stay at ranks x 16 MiB.
constexpr std::uint64_t kDefaultShuffleRound = 16ull << 20;
// Decoded bytes read per refill of the scanner's buffer.
constexpr std::size_t kReadBuffer = 4 << 20;
// A round also ends after this much input even if the exchange is not full (at one rank rows
// never leave the rank): the memory budget is checked and progress reported between rounds.
// 64 MiB is ~0.5 s of work per round at the measured read-stage speed (52 MB/s at one rank).
constexpr std::uint64_t kRoundInputBytes = 64ull << 20;

plan::PlanOptions plan_options(const JobConfig& job, int ranks) {
  plan::PlanOptions options;
  options.ranks = ranks;
  options.range_size = job.range_size ? job.range_size : plan::kDefaultRangeSize;
  options.checkpoint_spacing = job.checkpoint_spacing;
  options.index_cache = job.index_cache;
  options.gzip_split_min = job.gzip_split_min;
  options.legacy = job.legacy_schema == LegacySchemaPolicy::kMap ? plan::LegacyPolicy::kMap
                                                                 : plan::LegacyPolicy::kReject;
  return options;
}

// Every rank takes part in indexing the gzip inputs that will be split and have no cached index
// (no sequential pass over them); rank 0 keeps the indexes for make_plan. Errors in listing the
// inputs are left for make_plan to report.
void build_indexes_in_parallel(const JobConfig& job, shuffle::Communicator& comm,
                               plan::PlanOptions& options) {
  if (comm.size() < 2) return;
  WireWriter w;
  if (comm.rank() == 0) {
    std::vector<std::string> todo;
    try {
      todo = plan::gzip_inputs_needing_index(job.inputs, options);
    } catch (const Error&) {
      todo.clear();
    }
    w.u64(todo.size());
    for (const auto& path : todo) w.str(path);
  }
  const std::vector<char> msg = comm.broadcast(std::move(w.bytes()), 0);
  WireReader r(msg);
  const std::uint64_t n = r.u64();
  const std::uint64_t spacing = plan::checkpoint_spacing(options);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string path = r.str();
    if (comm.rank() == 0)
      std::fprintf(stderr, "[dumpmill] %s: building its gzip index with %d ranks\n", path.c_str(),
                   comm.size());
    plan::ParallelIndexResult res = plan::build_gzip_index_parallel(path, spacing, comm);
    if (comm.rank() != 0) continue;
    char note[160];
    if (res.built) {
      std::snprintf(note, sizeof note, "%llu chunks; find %.2f s, decode %.2f s, resolve %.2f s",
                    static_cast<unsigned long long>(res.chunks), res.find_seconds, res.scan_seconds,
                    res.resolve_seconds);
      options.prebuilt_indexes.emplace(path, std::move(res.index));
      options.prebuilt_notes.emplace(path, note);
    } else {
      options.prebuilt_notes.emplace(path, "not in parallel: " + res.fallback_reason);
    }
  }
}

// Rank 0 plans; every rank receives either the plan or the same error.
// Rank 0's start time travels with the plan: attributes written collectively must be identical
// on every rank, and ranks starting on either side of a second boundary once made them differ.
plan::Plan agree_on_plan(const JobConfig& job, shuffle::Communicator& comm, std::string& tag,
                         std::string& started_utc) {
  plan::PlanOptions options = plan_options(job, comm.size());
  build_indexes_in_parallel(job, comm, options);
  WireWriter w;
  if (comm.rank() == 0) {
    try {
      fs::create_directories(job.output_dir);
      const plan::Plan p = plan::make_plan(job.inputs, options);
      w.u8(1);
      w.str(std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)));
      w.str(started_utc);
      const std::vector<char> bytes = plan::serialize_plan(p);
      w.str(std::string_view(bytes.data(), bytes.size()));
    } catch (const Error& e) {
      w.u8(0);
      w.str(e.what());
      w.u64(static_cast<std::uint64_t>(e.exit_code()));
    } catch (const fs::filesystem_error& e) {
      w.u8(0);
      w.str(std::string("cannot create output directory: ") + e.what());
      w.u64(3);
    }
  }
  const std::vector<char> msg = comm.broadcast(std::move(w.bytes()), 0);
  WireReader r(msg);
  if (r.u8() == 0) {
    const std::string what = r.str();
    throw CollectiveError(what, static_cast<int>(r.u64()));
  }
  tag = r.str();
  started_utc = r.str();
  const std::string bytes = r.str();
  return plan::deserialize_plan(std::span<const char>(bytes.data(), bytes.size()));
}

// Per-file counters of one rank, summed over ranks at the end.
struct FileCounters {
  std::uint64_t bytes = 0, headers = 0, read = 0, valid = 0;
  parse::RejectCounts rejected;
};

// Reads this rank's ranges in order, one line at a time, across range boundaries.
class RangeCursor {
 public:
  RangeCursor(const plan::Plan& p, int rank, std::uint64_t max_line)
      : plan_(p), ranges_(p.work_of(rank)), max_line_(max_line), per_file_(p.files.size(), 0) {}

  // Next owned line; false when every range is done.
  bool next(parse::Line& line) {
    for (;;) {
      if (scanner_ && scanner_->next(line)) return true;
      if (scanner_) finish_range();
      if (next_ >= ranges_.size()) return false;
      open_range(ranges_[next_++]);
    }
  }
  const plan::WorkRange& range() const { return *current_; }
  const plan::InputFile& file() const { return plan_.files[current_->file]; }
  // Decoded bytes taken from readers so far (for progress and the report).
  std::uint64_t bytes_done() const { return done_ + (scanner_ ? scanner_->bytes_consumed() : 0); }
  std::uint64_t bytes_done_in(std::uint32_t file) const { return per_file_.at(file); }
  bool exhausted() const { return !scanner_ && next_ >= ranges_.size(); }

 private:
  void open_range(const plan::WorkRange& r) {
    current_ = &r;
    reader_ = plan::open_range(plan_.files[r.file], r, kReadBuffer);
    const std::size_t max_line = static_cast<std::size_t>(max_line_);
    scanner_ = std::make_unique<parse::RangeScanner>(*reader_, r.begin, r.end,
                                                     std::max(kReadBuffer, max_line + 2), max_line);
  }
  void finish_range() {
    const std::uint64_t n = scanner_->bytes_consumed();
    done_ += n;
    per_file_[current_->file] += n;
    scanner_.reset();
    reader_.reset();
  }

  const plan::Plan& plan_;
  std::vector<plan::WorkRange> ranges_;
  std::uint64_t max_line_;
  std::size_t next_ = 0;
  const plan::WorkRange* current_ = nullptr;
  std::unique_ptr<codec::DecodedReader> reader_;
  std::unique_ptr<parse::RangeScanner> scanner_;
  std::uint64_t done_ = 0;
  std::vector<std::uint64_t> per_file_;
};

void check_budget(std::uint64_t used, std::uint64_t budget, int rank, const char* what) {
  if (used <= budget) return;
  throw Error("rank " + std::to_string(rank) + ": " + what + " needs " + format_bytes(used) +
                  ", over the memory budget of " + format_bytes(budget) +
                  " per rank; run with more ranks or raise --memory-per-rank",
              5);
}

}  // namespace

report::RunReport run_clickstream(const JobConfig& job, shuffle::MpiComm& comm) {
  const int rank = comm.rank();
  const int ranks = comm.size();
  const std::uint64_t budget = job.memory_per_rank ? job.memory_per_rank : kDefaultMemoryPerRank;
  const std::uint64_t round_bytes = job.shuffle_round ? job.shuffle_round : kDefaultShuffleRound;
  Stopwatch wall;
  report::RunReport rep;
  rep.tool_version = kDumpmillVersion;
  rep.job_name = job.name;
  rep.job_path = job.job_path;
  rep.started_utc = utc_timestamp();
  rep.ranks = ranks;

  // --- plan --------------------------------------------------------------------------------
  std::string tag;
  Stopwatch stage;
  const plan::Plan plan = agree_on_plan(job, comm, tag, rep.started_utc);
  if (rank == 0)
    for (const auto& l : plan.log) std::fprintf(stderr, "[dumpmill] %s\n", l.c_str());
  rep.stage_seconds.emplace_back("plan", stage.seconds());
  const OutputFiles out(job, tag);

  // --- decode + parse + combine + shuffle, in bounded rounds --------------------------------
  stage.restart();
  std::vector<FileCounters> counters(plan.files.size());
  parse::RejectWriter rejects(out.rejects_part(rank));
  aggregate::PairReducer pairs;  // owner side: final dedup + sum
  aggregate::KeyBuilder key;
  shuffle::Exchange exchange(comm, round_bytes);
  std::vector<parse::ClickstreamParser> parsers;
  for (const auto& f : plan.files) parsers.emplace_back(f.schema);

  std::uint64_t total_decoded = 0;
  bool estimate = false;
  for (const auto& f : plan.files) {
    total_decoded += f.decoded_size;
    estimate |= !f.decoded_size_known;
  }
  report::ProgressMeter progress(
      rank == 0 ? report::progress_mode(job.progress) : report::ProgressMode::kOff, total_decoded,
      estimate);

  auto receive = [&](std::string_view pair_key, std::span<const char> value) {
    pairs.add_encoded(pair_key, shuffle::value_as<std::uint64_t>(value));
  };

  RangeCursor cursor(plan, rank, job.max_line);
  parse::Line line;
  parse::ClickRecord rec;
  bool more = !cursor.exhausted();
  // A row the exchange refused (its round was full) waits here and goes first next round.
  std::string pending_key;
  std::uint64_t pending_n = 0;
  int pending_owner = -1;
  while (comm.allreduce_or(more || pending_owner >= 0)) {
    if (pending_owner >= 0) {
      if (!exchange.add_value(pending_owner, pending_key, pending_n))
        throw std::logic_error("exchange refused an entry into empty buffers");
      pending_owner = -1;
    }
    const std::uint64_t round_start = cursor.bytes_done();
    std::uint32_t lines_this_round = 0;
    while (more && !exchange.full()) {
      if ((++lines_this_round & 4095u) == 0 &&
          cursor.bytes_done() - round_start >= kRoundInputBytes)
        break;
      if (!cursor.next(line)) {
        more = false;
        break;
      }
      const std::uint32_t fi = cursor.range().file;
      FileCounters& fc = counters[fi];
      if (line.offset == 0 && cursor.file().has_header) {
        ++fc.headers;
        continue;
      }
      ++fc.read;
      const std::optional<parse::RejectReason> bad =
          line.too_long ? std::optional(parse::RejectReason::kLineTooLong)
                        : parsers[fi].parse(line.text, rec);
      if (bad) {
        fc.rejected.add(*bad);
        rejects.add(cursor.file().path, line.offset, *bad, line.text);
        continue;
      }
      ++fc.valid;
      // No local pre-combine of pairs: in real dumps (prev, curr, type) is unique, so a local
      // dedup table only adds a second hash insert per row (measured on 2 M generated rows at
      // one rank: read stage 2.8 s with it, 1.9 s without, on a loaded machine; it can only
      // drop exact duplicates, which the owner drops anyway). Skew lives in the article
      // totals, which are pre-aggregated before their shuffle. Rows this rank owns skip the
      // exchange.
      key.clear();
      const std::string_view pair_key =
          aggregate::encode_pair_key(key, rec.prev, rec.curr, static_cast<std::uint8_t>(rec.type));
      const int owner = aggregate::owner_of(aggregate::pair_owner_hash_of_key(pair_key), ranks);
      if (owner == rank) {
        pairs.add_encoded(pair_key, rec.n);
      } else if (!exchange.add_value(owner, pair_key, rec.n)) {
        pending_key.assign(pair_key);
        pending_n = rec.n;
        pending_owner = owner;
        break;
      }
    }
    exchange.flush(receive);
    check_budget(pairs.memory_bytes(), budget, rank, "the pair table");
    const std::uint64_t done = cursor.bytes_done();
    const std::vector<std::uint64_t> sum =
        comm.allreduce_sum(std::span<const std::uint64_t>(&done, 1));
    progress.update(sum[0]);
  }
  exchange.finish(receive);
  progress.finish();
  rejects.close();
  rep.stage_seconds.emplace_back("read_parse_shuffle", stage.seconds());

  // --- articles: pre-aggregate on the pair owner, then shuffle by title -------------------
  stage.restart();
  aggregate::ArticleReducer local_articles;
  const aggregate::PairTypeTotals type_totals =
      aggregate::contribute_articles(pairs, local_articles, &parse::is_pseudo_referrer);
  aggregate::ArticleReducer articles;
  shuffle::Exchange title_exchange(comm, round_bytes);
  auto receive_article = [&](std::string_view title, std::span<const char> value) {
    articles.add(title, shuffle::value_as<aggregate::ArticleTotals>(value));
  };
  if (ranks == 1) {
    articles = std::move(local_articles);  // every title is this rank's: nothing to exchange
  } else {
    // Titles this rank owns go straight into the final table; the rest are shuffled.
    std::vector<std::pair<std::string_view, aggregate::ArticleTotals>> items;
    local_articles.for_each([&](std::string_view title, const aggregate::ArticleTotals& t) {
      const std::uint64_t h = aggregate::hash_bytes(title);
      if (aggregate::owner_of(h, ranks) == rank) {
        articles.add(title, h, t);
      } else {
        items.emplace_back(title, t);
      }
    });
    std::size_t i = 0;
    bool pending = !items.empty();
    while (comm.allreduce_or(pending)) {
      while (i < items.size()) {
        const auto& [title, t] = items[i];
        if (!title_exchange.add_value(aggregate::owner_of(aggregate::hash_bytes(title), ranks),
                                      title, t))
          break;  // round full: this item goes first next round
        ++i;
      }
      pending = i < items.size();
      title_exchange.flush(receive_article);
    }
    title_exchange.finish(receive_article);
  }
  local_articles = aggregate::ArticleReducer();  // frees it (moved from at one rank)
  check_budget(pairs.memory_bytes() + articles.memory_bytes(), budget, rank,
               "pair and article tables");
  rep.stage_seconds.emplace_back("articles", stage.seconds());

  // --- totals over ranks --------------------------------------------------------------------
  constexpr std::size_t kPerFile = 4 + parse::kRejectReasonCount;
  std::vector<std::uint64_t> sums;
  for (std::size_t f = 0; f < plan.files.size(); ++f) {
    const FileCounters& c = counters[f];
    sums.insert(sums.end(),
                {cursor.bytes_done_in(static_cast<std::uint32_t>(f)), c.headers, c.read, c.valid});
    sums.insert(sums.end(), c.rejected.by_reason.begin(), c.rejected.by_reason.end());
  }
  std::uint64_t sum_n_local = 0;
  pairs.for_each_encoded([&](std::string_view, std::uint64_t n) { sum_n_local += n; });
  std::uint64_t conflicting = pairs.rows_kept() - pairs.size();
  sums.insert(sums.end(), {pairs.rows_kept(), pairs.duplicates(), pairs.size(), conflicting,
                           articles.size(), sum_n_local, exchange.rounds(),
                           exchange.bytes_sent() + title_exchange.bytes_sent()});
  sums.insert(sums.end(), type_totals.pairs_by_type.begin(), type_totals.pairs_by_type.end());
  sums.insert(sums.end(), type_totals.n_by_type.begin(), type_totals.n_by_type.end());
  const std::vector<std::uint64_t> total = comm.allreduce_sum(sums);
  std::size_t k = 0;
  for (std::size_t f = 0; f < plan.files.size(); ++f) {
    const plan::InputFile& in = plan.files[f];
    report::FileAccounting fa;
    fa.path = in.path;
    fa.codec = std::string(codec::codec_name(in.codec));
    fa.size = in.size;
    fa.fingerprint = in.fingerprint;
    for (const auto& r : plan.ranges) fa.ranges += r.file == f ? 1 : 0;
    fa.bytes_decoded = total[k++];
    fa.header_lines = total[k++];
    fa.records_read = total[k++];
    fa.valid = total[k++];
    for (std::size_t r = 0; r < parse::kRejectReasonCount; ++r)
      fa.rejected.by_reason[r] = total[k++];
    rep.records_read += fa.records_read;
    rep.valid += fa.valid;
    rep.rejected += fa.rejected;
    rep.bytes_in += fa.size;
    rep.bytes_decoded += fa.bytes_decoded;
    rep.files.push_back(std::move(fa));
  }
  (void)kPerFile;
  rep.rows_kept = total[k++];
  rep.duplicates_dropped = total[k++];
  rep.distinct_pairs = total[k++];
  rep.conflicting_rows = total[k++];
  rep.distinct_articles = total[k++];
  rep.sum_n = total[k++];
  rep.shuffle_rounds = total[k++] / static_cast<std::uint64_t>(ranks);
  rep.shuffle_bytes = total[k++];
  for (std::size_t t = 0; t < parse::kLinkTypeCount; ++t) rep.pairs_by_type[t] = total[k++];
  for (std::size_t t = 0; t < parse::kLinkTypeCount; ++t) rep.n_by_type[t] = total[k++];

  // --- write HDF5 collectively, publish atomically -----------------------------------------
  stage.restart();
  write_hdf5_result(out, job, plan, rep, pairs, articles, comm);
  pairs.clear();
  articles.clear();
  rep.stage_seconds.emplace_back("write_hdf5", stage.seconds());
  rep.hdf5_path = out.hdf5_final();

  // --- rejects, SQL, report: rank 0; PostgreSQL COPY: every rank ---------------------------
  std::uint64_t rss = peak_rss_bytes();
  const std::vector<std::vector<char>> rss_all =
      comm.gather(std::vector<char>(reinterpret_cast<const char*>(&rss),
                                    reinterpret_cast<const char*>(&rss) + sizeof rss),
                  0);
  std::vector<sql::SqlValue> run;  // one runs row for every SQL export, so they agree
  if (rank == 0) {
    try {
      out.stage_rejects(ranks);
      rep.rejects_path = out.rejects_final();
      run = run_row(out, job, rep);
      if (!job.sqlite_name.empty()) {
        stage.restart();
        export_sqlite_result(out, job, run);
        rep.stage_seconds.emplace_back("export_sqlite", stage.seconds());
        rep.sqlite_path = out.sqlite_final();
      }
      if (!job.sql_script.empty()) {
        stage.restart();
        export_sql_script(out, job, run);
        rep.stage_seconds.emplace_back("export_sql_script", stage.seconds());
      }
    } catch (...) {
      out.remove_staged();  // nothing was published; leave no half-built files behind
      throw;
    }
  }
  // PostgreSQL is loaded into staging tables before anything is published, so an unreachable
  // server or a failed COPY publishes nothing. The swap is then prepared (every statement but
  // COMMIT), the files are renamed, and COMMIT comes last: a failure before it leaves files and
  // database as they were; only a failing COMMIT leaves new files beside the old tables (exit 3).
  std::unique_ptr<sql::PgStaging> pg;
  if (!job.sql_url.empty()) {
    stage.restart();
    try {
      pg = stage_postgres_result(out, job, comm);
    } catch (...) {
      if (rank == 0) out.remove_staged();
      throw;
    }
    rep.stage_seconds.emplace_back("export_postgres", stage.seconds());
  }
  if (rank == 0) {
    try {
      for (const auto& b : rss_all) {
        std::uint64_t v = 0;
        std::memcpy(&v, b.data(), std::min(b.size(), sizeof v));
        rep.peak_rss_bytes.push_back(v);
      }
      rep.peak_rss_bytes[0] = std::max(rep.peak_rss_bytes[0], peak_rss_bytes());
      if (pg) pg->prepare_swap(run);
      rep.wall_seconds = wall.seconds();
      rep.report_path = out.report_final();
      out.publish(report::to_json(rep));
    } catch (...) {
      out.remove_staged();  // nothing was published; ~PgStaging rolls the swap back
      throw;
    }
    if (pg) {
      try {
        pg->commit();
      } catch (const Error& e) {
        throw OutputError(std::string(e.what()) +
                          "; the result files were published, PostgreSQL still holds the "
                          "previous results (re-run to update it)");
      }
      std::fprintf(stderr, "[dumpmill] PostgreSQL: tables published at %s\n",
                   pg->redacted_url().c_str());
    }
  }
  comm.barrier();
  return rep;
}

}  // namespace dumpmill::cli
