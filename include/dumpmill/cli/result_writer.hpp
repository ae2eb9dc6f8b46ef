// Turns the reduced clickstream tables into published results: HDF5 (collective) and SQLite (rank
// 0).
#pragma once

#include "dumpmill/aggregate/clickstream_aggregates.hpp"
#include "dumpmill/cli/job_config.hpp"
#include "dumpmill/cli/output_files.hpp"
#include "dumpmill/plan/plan.hpp"
#include "dumpmill/report/run_report.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"

namespace dumpmill::cli {

// Collective: every rank writes its own rows of pairs, articles and types at offsets from
// MPI_Exscan into the staged HDF5 file (OutputFiles::publish renames it into place).
void write_hdf5_result(const OutputFiles& out, const JobConfig& job, const plan::Plan& plan,
                       const report::RunReport& totals, const aggregate::PairReducer& pairs,
                       const aggregate::ArticleReducer& articles, shuffle::MpiComm& comm);

// Rank 0: exports the staged HDF5 tables into the staged SQLite file in one transaction; the runs
// table keeps the rows of earlier runs found in the published file it will replace.
void export_sqlite_result(const OutputFiles& out, const JobConfig& job,
                          const report::RunReport& totals);

// The link-type dictionary stored with the type columns (code = parse::LinkType value).
std::vector<std::string> link_type_dictionary();

}  // namespace dumpmill::cli
