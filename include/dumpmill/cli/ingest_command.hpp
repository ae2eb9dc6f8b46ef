// `dumpmill ingest`: new and changed dumps of a landing directory into a versioned warehouse.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <string>
#include <vector>

#include "dumpmill/cli/job_config.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"

namespace dumpmill::cli {

struct IngestOptions {
  std::string landing;    // where dumps are dropped
  std::string warehouse;  // manifest.sqlite, ingest.lock, results/, cumulative.sqlite
  bool quiet = false;     // no line for inputs skipped as unchanged
};

// Collective over `comm`: call on every rank with the same arguments. Rank 0 takes the
// warehouse lock (IngestLock) for the whole call, scans the landing directory in name order
// against the manifest, and every input version not yet `done` is run by all ranks
// (run_clickstream) into results/<stem>/v<N>/; then rank 0 points results/<stem>/current at it
// (rename of a temporary symlink) and marks it done. Last, warehouse/cumulative.sqlite is
// rebuilt if the set of current results changed. Rank 0 prints one line per input and
// "nothing new" when no input needed work, or "another ingest is running (pid N)" when the
// lock is held (that is exit code 0: an overlapping cron run is normal, not a failure).
// Returns 0, or the exit code of the first input that failed (the others are still ingested).
// Throws like run_clickstream: CollectiveError when every rank knows (rank 0's own steps are
// broadcast), any other Error only on the rank that failed (the caller must MPI_Abort).
int run_ingest(const JobConfig& job, const IngestOptions& options, shuffle::MpiComm& comm);

// `dumpmill ingest JOB.ini --landing DIR --warehouse DIR [run flags]` (args without "ingest"):
// parses, starts MPI, runs run_ingest, turns errors into one line and an exit code (as `run`
// does). `run_flags` is `dumpmill run`'s flag set, bound to `overrides`, which parsing fills.
int ingest_command(const std::vector<std::string>& args,
                   const boost::program_options::options_description& run_flags,
                   JobOverrides& overrides);

}  // namespace dumpmill::cli
