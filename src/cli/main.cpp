// dumpmill's command line: `dumpmill run JOB.ini [flags]`, under mpirun or srun.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "dumpmill/cli/clickstream_pipeline.hpp"
#include "dumpmill/cli/exit_on_error.hpp"
#include "dumpmill/cli/ingest_command.hpp"
#include "dumpmill/cli/job_config.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"
#include "dumpmill/version.hpp"

namespace po = boost::program_options;
using namespace dumpmill;

namespace {

constexpr const char* kOverview =
    R"(dumpmill — turn big compressed record dumps into deduplicated, aggregated tables
(chunked HDF5 + SQLite), on a laptop with mpirun or on a cluster with srun/sbatch.

Usage:
  dumpmill run JOB.ini [flags]         run a job (see `dumpmill run --help`)
  dumpmill ingest JOB.ini --landing DIR --warehouse DIR [flags]
                                       new/changed dumps only (see `dumpmill ingest --help`)
  dumpmill --version                   print the version
  dumpmill --help                      this text

Examples:
  mpirun -n 4 dumpmill run jobs/clickstream.ini
  mpirun -n 4 dumpmill run jobs/clickstream.ini --input clickstream-enwiki-2024-11.tsv.gz --output out/
  srun --mpi=pmix dumpmill run jobs/clickstream.ini --memory-per-rank 2GiB

Every rank reads its own byte ranges of the inputs (plain, gzip single- or multi-member, zstd),
records are hash-partitioned across ranks for exact dedup and aggregation, and all ranks write
the HDF5 result together. Results appear only when complete (written under a temporary name,
then renamed). Exit codes: 0 ok, 1 input error, 2 bad job/flags, 3 output error, 4 MPI error,
5 memory budget exceeded.
)";

po::options_description run_flags(cli::JobOverrides& o) {
  po::options_description d("run flags (each overrides the job file)");
  // clang-format off
  d.add_options()
    ("help,h", "explain the flags and the job file keys")
    ("input,i", po::value(&o.inputs)->composing(), "input file, directory or glob; repeat for more (replaces input.paths)")
    ("output,o", po::value(&o.output_dir), "result directory (output.dir)")
    ("hdf5", po::value(&o.hdf5_name), "HDF5 file name in the result directory (output.hdf5)")
    ("sqlite", po::value(&o.sqlite_name), "SQLite file name in the result directory (output.sqlite)")
    ("no-sqlite", po::bool_switch(&o.no_sqlite), "skip the SQL export")
    ("sql", po::value(&o.sql), "extra SQL target (output.sql): postgresql://[user@]host[:port]/db (password only from PGPASSWORD or PGPASSFILE) or file:out.sql (a script psql and sqlite3 both load)")
    ("index-cache", po::value(&o.index_cache), "directory for gzip checkpoint indexes when the input directory is read-only (output.index_cache; default <output>/.index)")
    ("range-size", po::value(&o.range_size), "largest decoded byte range read as one unit, e.g. 64MiB (run.range_size; default 256MiB, capped at input/ranks)")
    ("memory-per-rank", po::value(&o.memory_per_rank), "memory budget per rank, e.g. 4GiB (run.memory_per_rank; default 1GiB)")
    ("shuffle-round", po::value(&o.shuffle_round), "bytes a rank sends per exchange round (run.shuffle_round; default 16MiB, at most 256MiB)")
    ("checkpoint-spacing", po::value(&o.checkpoint_spacing), "decoded bytes between gzip index checkpoints (run.checkpoint_spacing)")
    ("gzip-split-min", po::value(&o.gzip_split_min), "gzip files smaller than this are read whole by one rank (run.gzip_split_min; default 4MiB)")
    ("max-line", po::value(&o.max_line), "longest accepted line, longer ones are rejected (run.max_line; default 1MiB)")
    ("progress", po::value(&o.progress), "auto | always | never (run.progress; auto = live line on a terminal, a log line every 10 s otherwise)")
    ("quiet,q", "print no summary (the report file is still written)");
  // clang-format on
  return d;
}

int run_command(const std::vector<std::string>& args) {
  cli::JobOverrides overrides;
  po::options_description flags = run_flags(overrides);
  po::options_description hidden;
  hidden.add_options()("job", po::value<std::string>(), "job file");
  po::options_description all;
  all.add(flags).add(hidden);
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(std::string(e.what()) + " (see `dumpmill run --help`)");
  }
  if (vm.count("help")) {
    std::cout
        << "Usage: dumpmill run JOB.ini [flags]\n\n"
           "Runs a job file (INI). Relative paths inside the job file are relative to the job\n"
           "file; relative paths in flags are relative to the working directory.\n\n"
        << flags << "\n"
        << cli::job_file_reference()
        << "\nOutputs in the result directory: the HDF5 file (tables pairs, articles, types; see\n"
           "docs/hdf5-layout.md), the SQLite file (same tables + runs), rejects.tsv (file, byte\n"
           "offset, reason, line of every rejected row) and report.json (accounting, timings).\n";
    return 0;
  }
  if (!vm.count("job"))
    throw ConfigError("missing job file: dumpmill run JOB.ini (see `dumpmill run --help`)");
  const bool quiet = vm.count("quiet") > 0;

  shuffle::MpiEnvironment env;
  shuffle::MpiComm comm;
  return cli::exit_on_error(comm, [&] {
    const cli::JobConfig job = cli::load_job(vm["job"].as<std::string>(), overrides);
    const report::RunReport rep = cli::run_clickstream(job, comm);
    if (comm.rank() == 0 && !quiet) std::fputs(report::to_text(rep).c_str(), stdout);
    return rep.accounting_holds() ? 0 : 6;
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::fputs(kOverview, stdout);
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
      std::printf("dumpmill %s\n", kDumpmillVersion);
      return 0;
    }
    if (args[0] == "run") return run_command({args.begin() + 1, args.end()});
    if (args[0] == "ingest") {
      cli::JobOverrides o;
      return cli::ingest_command({args.begin() + 1, args.end()}, run_flags(o), o);
    }
    throw ConfigError("unknown command '" + args[0] + "' (see `dumpmill --help`)");
  } catch (const Error& e) {
    std::fprintf(stderr, "dumpmill: error: %s\n", e.what());
    return e.exit_code();
  }
}
