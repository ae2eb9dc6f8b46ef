// The clickstream job end to end on every rank: plan, decode, parse, combine, shuffle, reduce,
// write.
#pragma once

#include <string>

#include "dumpmill/cli/job_config.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/report/run_report.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"

namespace dumpmill::cli {

// Collective over `comm`. Returns the full report on rank 0 (totals only on the others).
// Throws dumpmill::Error; when the error is known to every rank (bad plan) all ranks throw it,
// otherwise the caller must MPI_Abort (other ranks may be waiting in a collective).
report::RunReport run_clickstream(const JobConfig& job, shuffle::MpiComm& comm);

// Thrown identically on every rank when rank 0 could not make a plan.
class CollectiveError : public Error {
 public:
  CollectiveError(const std::string& what, int exit_code) : Error(what, exit_code) {}
};

}  // namespace dumpmill::cli
