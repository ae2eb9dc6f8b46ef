// `dumpmill ingest`: the landing directory against the manifest, new versions run and published.
#include "dumpmill/cli/ingest_command.hpp"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>

#include "dumpmill/cli/clickstream_pipeline.hpp"
#include "dumpmill/cli/exit_on_error.hpp"
#include "dumpmill/cli/ingest_cumulative.hpp"
#include "dumpmill/cli/ingest_landing.hpp"
#include "dumpmill/cli/ingest_lock.hpp"
#include "dumpmill/cli/ingest_manifest.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/process_stats.hpp"
#include "dumpmill/core/wire.hpp"

namespace dumpmill::cli {
namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    R"usage(Usage: dumpmill ingest JOB.ini --landing DIR --warehouse DIR [run flags]

Ingests every dump in the landing directory that is new or changed since the last ingest, one
result per dump, under mpirun or srun like `dumpmill run`:
  WAREHOUSE/manifest.sqlite          one row per input version: name, path, size, mtime, XXH3-64
                                     checksum, status (pending|running|done|failed), message,
                                     version, result directory, holder pid, times, rows read,
                                     attempts (runs started since one last finished)
  WAREHOUSE/results/STEM/vN/         the job's results for version N of a dump (STEM = its file
                                     name without .gz/.zst and .tsv), as `dumpmill run` writes them
  WAREHOUSE/results/STEM/current     symlink to the published version; older versions stay
  WAREHOUSE/cumulative.sqlite        articles and types summed over every dump's current result
  WAREHOUSE/ingest.lock              flock(2)-held by the running ingest (holds its pid)
A changed file with the same name (other checksum) becomes a new version; `current` moves only
when it succeeded. A failed input is retried by every later run, except one whose run died
(a rank aborted, the job was killed) 3 times in a row: that is marked failed and skipped until
its content changes. Prints one line per input, "nothing new" when nothing needed work, and
"another ingest is running (pid N)" (exit 0) when the warehouse is locked.
Exit codes: 0 ok (or nothing new, or locked), else the first failed input's code (see `dumpmill
--help`). --input and --output do not apply: inputs come from --landing, results go under
--warehouse.
)usage";

// An input version to run, as rank 0 decided and broadcast it.
struct WorkItem {
  std::int64_t id = 0;
  std::string name, path, stem;
  std::int64_t version = 0;
  std::string why;
};

// Test-only fault injection, read here and nowhere else. DUMPMILL_FAULT=ingest-kill-before-done:
// rank 0 SIGKILLs itself after switching `current` and before marking the input done, the
// narrowest window a crash can hit (tests/e2e/ingest_test.py).
bool fault_requested(const char* name) {
  const char* f = std::getenv("DUMPMILL_FAULT");
  return f != nullptr && std::string_view(f) == name;
}

void say(const std::string& line) {
  std::printf("[ingest] %s\n", line.c_str());
  std::fflush(stdout);
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

// Runs `work` on rank 0 and broadcasts what it wrote, or its error, to every rank: a failure in
// a rank-0 step becomes the same CollectiveError on every rank instead of leaving the others
// waiting in a collective.
std::vector<char> from_rank0(shuffle::MpiComm& comm, const std::function<void(WireWriter&)>& work) {
  WireWriter msg;
  if (comm.rank() == 0) {
    WireWriter body;
    std::string error;
    int code = 0;
    try {
      work(body);
    } catch (const Error& e) {
      error = e.what();
      code = e.exit_code();
    } catch (const fs::filesystem_error& e) {
      error = e.what();
      code = 3;
    }
    if (code == 0) {
      msg.u8(1);
      msg.str(std::string_view(body.bytes().data(), body.bytes().size()));
    } else {
      msg.u8(0);
      msg.str(error);
      msg.u64(static_cast<std::uint64_t>(code));
    }
  }
  const std::vector<char> bytes = comm.broadcast(std::move(msg.bytes()), 0);
  WireReader r(bytes);
  if (r.u8() == 0) {
    const std::string what = r.str();
    throw CollectiveError(what, static_cast<int>(r.u64()));
  }
  const std::string body = r.str();
  return {body.begin(), body.end()};
}

// Temporary files of a killed ingest: pointer links and unfinished cumulative files.
void remove_leftovers(const fs::path& warehouse) {
  for (const fs::directory_entry& e : fs::directory_iterator(warehouse))
    if (e.path().filename().string().rfind("cumulative.sqlite.tmp-", 0) == 0) fs::remove(e.path());
  const fs::path results = warehouse / "results";
  if (!fs::exists(results)) return;
  for (const fs::directory_entry& stem : fs::directory_iterator(results)) {
    if (!stem.is_directory()) continue;
    for (const fs::directory_entry& e : fs::directory_iterator(stem.path()))
      if (e.path().filename().string().rfind(".current.tmp-", 0) == 0) fs::remove(e.path());
  }
}

fs::path version_dir(const fs::path& warehouse, const WorkItem& item) {
  return warehouse / "results" / item.stem / ("v" + std::to_string(item.version));
}

// An empty directory for the version, except when `current` already points at it (a run killed
// between switching the pointer and marking the input done): then it is redone in place, each
// file replaced by rename, and only a killed run's staged files are removed.
void prepare_result_dir(const fs::path& warehouse, const WorkItem& item) {
  const fs::path dir = version_dir(warehouse, item);
  const fs::path current = dir.parent_path() / "current";
  std::error_code ec;
  if (fs::is_symlink(current, ec) && fs::read_symlink(current) == dir.filename()) {
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.front() == '.' && name != ".index") fs::remove_all(e.path());
    }
    return;
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
}

// Points results/<stem>/current at v<N>: a new symlink under a temporary name renamed over the
// old one, so a reader sees the old or the new target, never none.
void switch_current(const fs::path& warehouse, const WorkItem& item) {
  const fs::path dir = version_dir(warehouse, item);
  const fs::path tmp = dir.parent_path() / (".current.tmp-" + std::to_string(::getpid()));
  fs::remove(tmp);
  fs::create_symlink(dir.filename(), tmp);
  fs::rename(tmp, dir.parent_path() / "current");
}

// The stat to record for a file hashed now. Timestamps move in clock ticks (1-10 ms), so a file
// written within a tick of this check could be rewritten later with an identical stat; such a
// stat is recorded with ctime 0, which matches nothing, and the next run hashes the file again
// (git's "racy clean" rule). 2 s covers the 1 s timestamps of older file systems.
FileStat stat_to_record(const FileStat& seen) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t now_ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  FileStat s = seen;
  if (now_ns - seen.ctime_ns < 2'000'000'000) s.ctime_ns = 0;
  return s;
}

// Rank 0: the manifest brought up to date with the landing directory; the versions to run.
std::vector<WorkItem> plan_work(Manifest& manifest, const JobConfig& job,
                                const IngestOptions& options) {
  std::vector<WorkItem> items;
  std::map<std::string, std::string> stems;  // stem -> the file that has it
  for (const LandingFile& f : list_landing(options.landing)) {
    const FileStat recorded = stat_to_record(f.stat);
    WorkItem item;
    item.name = f.name;
    item.path = f.path;
    item.stem = result_stem(f.name);
    if (auto [it, fresh] = stems.emplace(item.stem, f.name); !fresh)
      throw ConfigError("--landing " + options.landing + ": " + f.name + " and " + it->second +
                        " would both publish results/" + item.stem + "; rename one of them");
    const std::optional<InputVersion> latest = manifest.latest(f.name);
    // Unchanged stat: the recorded checksum still holds (see FileStat) and the file is not read.
    const std::string checksum =
        latest && latest->stat == f.stat ? latest->checksum : file_checksum(f.path);
    if (latest && latest->checksum == checksum) {
      if (latest->stat != recorded || latest->path != f.path)
        manifest.update_seen(latest->id, f.path, recorded);
      if (latest->status == InputStatus::kDone) {
        if (!options.quiet)
          say(f.name + ": skipped (unchanged, v" + std::to_string(latest->version) + " done " +
              latest->finished_utc + ")");
        continue;
      }
      if (gave_up(*latest)) {  // printed even with --quiet: it needs a person
        say(f.name + ": skipped (gave up after " + std::to_string(kMaxAttempts) +
            " attempts; replace the file to retry)");
        continue;
      }
      item.id = latest->id;
      item.version = latest->version;
      item.why = latest->status == InputStatus::kFailed ? "retry after: " + latest->message
                 : latest->message.empty()              ? std::string("pending")
                                                        : latest->message;
    } else {
      // A row given up on keeps its message and count: the record of why.
      if (latest && latest->status != InputStatus::kDone && !gave_up(*latest))
        manifest.mark_failed(latest->id,
                             "superseded by a changed file of the same name before it was done",
                             utc_timestamp());
      InputVersion v;
      v.name = f.name;
      v.path = f.path;
      v.stat = recorded;
      v.checksum = checksum;
      v.job = job.name;
      v.version = latest ? latest->version + 1 : 1;
      v.result_dir = (fs::path("results") / item.stem / ("v" + std::to_string(v.version))).string();
      item.id = manifest.add(v);
      item.version = v.version;
      item.why = latest ? "changed: checksum " + checksum + ", v" +
                              std::to_string(latest->version) + " had " + latest->checksum
                        : std::string("new");
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

int run_ingest(const JobConfig& job, const IngestOptions& options, shuffle::MpiComm& comm) {
  if (job.sqlite_name.empty())
    throw ConfigError(
        "dumpmill ingest needs the SQLite export (the cumulative tables are built "
        "from it): drop --no-sqlite / set output.sqlite");
  const bool root = comm.rank() == 0;
  const fs::path warehouse(options.warehouse);
  std::optional<IngestLock> lock;  // rank 0, held until this function returns
  std::optional<Manifest> manifest;

  // --- rank 0: lock, recover, plan; every rank learns the decision ---------------------------
  std::vector<WorkItem> items;
  {
    const std::vector<char> plan = from_rank0(comm, [&](WireWriter& w) {
      fs::create_directories(warehouse / "results");
      std::string holder;
      lock = IngestLock::try_acquire((warehouse / "ingest.lock").string(), &holder);
      if (!lock) {
        w.u8(0);
        w.str(holder);
        return;
      }
      w.u8(1);
      manifest.emplace((warehouse / "manifest.sqlite").string());
      const Manifest::Recovered recovered = manifest->recover_running();
      if (recovered.redone)
        say(std::to_string(recovered.redone) + " input(s) left running by a killed ingest: redone");
      if (recovered.given_up)
        say(std::to_string(recovered.given_up) + " input(s) left running by a killed ingest: " +
            "given up (" + std::to_string(kMaxAttempts) + " attempts died)");
      remove_leftovers(warehouse);
      const std::vector<WorkItem> planned = plan_work(*manifest, job, options);
      w.u64(planned.size());
      for (const WorkItem& it : planned) {
        w.i64(it.id);
        w.str(it.name);
        w.str(it.path);
        w.str(it.stem);
        w.i64(it.version);
        w.str(it.why);
      }
    });
    WireReader r(plan);
    if (r.u8() == 0) {
      const std::string holder = r.str();
      if (root) std::printf("another ingest is running (pid %s)\n", holder.c_str());
      return 0;
    }
    items.resize(r.u64());
    for (WorkItem& it : items) {
      it.id = r.i64();
      it.name = r.str();
      it.path = r.str();
      it.stem = r.str();
      it.version = r.i64();
      it.why = r.str();
    }
  }

  // --- every input version, all ranks -------------------------------------------------------
  int exit_code = 0;
  for (const WorkItem& item : items) {
    from_rank0(comm, [&](WireWriter&) {
      say(item.name + ": processing as v" + std::to_string(item.version) + " (" + item.why + ")");
      manifest->mark_running(item.id, ::getpid(), utc_timestamp());
      prepare_result_dir(warehouse, item);
    });
    JobConfig one = job;
    one.inputs = {item.path};
    one.output_dir = version_dir(warehouse, item).string();
    Stopwatch took;
    report::RunReport rep;
    int failed = 0;
    std::string why;
    try {
      rep = run_clickstream(one, comm);
      if (!rep.accounting_holds()) {
        failed = 6;
        why = "accounting does not hold (see " + one.output_dir + "/" + job.report_name + ")";
      }
    } catch (const CollectiveError& e) {  // every rank knows: record it, go on with the next
      failed = e.exit_code();
      why = e.what();
    } catch (const Error& e) {
      // Only this rank knows; the caller aborts the run. Rank 0 records why first (a rank that
      // dies otherwise leaves the row `running`, which the next ingest redoes); either way the
      // attempt counts toward kMaxAttempts.
      if (root) {
        try {
          manifest->mark_dying(item.id, e.what(), utc_timestamp());
        } catch (const Error& m) {
          std::fprintf(stderr, "dumpmill: manifest not updated: %s\n", m.what());
        }
      }
      throw;
    }
    const std::vector<char> outcome = from_rank0(comm, [&](WireWriter& w) {
      if (failed) {
        manifest->mark_failed(item.id, why, utc_timestamp());
        say(item.name + ": failed v" + std::to_string(item.version) + " after " +
            seconds_text(took.seconds()) + ": " + why);
      } else {
        switch_current(warehouse, item);
        if (fault_requested("ingest-kill-before-done")) std::raise(SIGKILL);
        const double seconds = took.seconds();
        manifest->mark_done(item.id, static_cast<std::int64_t>(rep.records_read), seconds,
                            utc_timestamp());
        say(item.name + ": done v" + std::to_string(item.version) + ", " +
            std::to_string(rep.records_read) + " rows read, " + std::to_string(rep.distinct_pairs) +
            " pairs, " + seconds_text(seconds));
      }
      w.u64(static_cast<std::uint64_t>(failed));
    });
    WireReader r(outcome);
    const int code = static_cast<int>(r.u64());
    if (exit_code == 0) exit_code = code;
  }

  // --- cumulative tables, when the set of current results changed ---------------------------
  from_rank0(comm, [&](WireWriter&) {
    const std::vector<CumulativeSource> sources = current_results(warehouse, job.sqlite_name);
    const std::string path = (warehouse / "cumulative.sqlite").string();
    if (cumulative_is_stale(path, sources)) {
      Stopwatch took;
      const std::uint64_t rows = rebuild_cumulative(warehouse.string(), path, sources);
      say("cumulative.sqlite rebuilt from " + std::to_string(sources.size()) +
          " result(s): " + std::to_string(rows) + " articles, " + seconds_text(took.seconds()));
    }
    if (items.empty()) std::printf("nothing new\n");
  });
  return exit_code;
}

int ingest_command(const std::vector<std::string>& args, const po::options_description& run_flags,
                   JobOverrides& overrides) {
  IngestOptions options;
  po::options_description flags("ingest flags");
  // clang-format off
  flags.add_options()
    ("landing", po::value(&options.landing), "directory where dumps are dropped (required)")
    ("warehouse", po::value(&options.warehouse), "directory of the manifest, results and cumulative tables (required; created)");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("job", po::value<std::string>(), "job file");
  po::options_description all;
  all.add(flags).add(run_flags).add(hidden);
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(std::string(e.what()) + " (see `dumpmill ingest --help`)");
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << flags << "\n" << run_flags;
    return 0;
  }
  if (!vm.count("job") || options.landing.empty() || options.warehouse.empty())
    throw ConfigError(
        "usage: dumpmill ingest JOB.ini --landing DIR --warehouse DIR (see `dumpmill ingest "
        "--help`)");
  if (!overrides.inputs.empty() || !overrides.output_dir.empty())
    throw ConfigError(
        "dumpmill ingest takes its inputs from --landing and writes under --warehouse; "
        "--input and --output do not apply");
  options.quiet = vm.count("quiet") > 0;
  options.landing = fs::absolute(options.landing).lexically_normal().string();
  options.warehouse = fs::absolute(options.warehouse).lexically_normal().string();
  // load_job wants an input and an output; each input's run replaces both.
  overrides.inputs = {options.landing};
  overrides.output_dir = options.warehouse;
  if (overrides.index_cache.empty())
    overrides.index_cache = (fs::path(options.warehouse) / ".index").string();

  shuffle::MpiEnvironment env;
  shuffle::MpiComm comm;
  return exit_on_error(comm, [&] {
    const JobConfig job = load_job(vm["job"].as<std::string>(), overrides);
    return run_ingest(job, options, comm);
  });
}

}  // namespace dumpmill::cli
