// Turns the reduced clickstream tables into results: HDF5 (collective), SQLite and the .sql
// script (rank 0), PostgreSQL (COPY from every rank, published by rank 0).
#pragma once

#include <memory>
#include <vector>

#include "dumpmill/aggregate/clickstream_aggregates.hpp"
#include "dumpmill/cli/job_config.hpp"
#include "dumpmill/cli/output_files.hpp"
#include "dumpmill/plan/plan.hpp"
#include "dumpmill/report/run_report.hpp"
#include "dumpmill/shuffle/mpi_comm.hpp"
#include "dumpmill/sql/pg_export.hpp"
#include "dumpmill/sql/schema.hpp"

namespace dumpmill::cli {

// Collective: every rank writes its own rows of pairs, articles and types at offsets from
// MPI_Exscan into the staged HDF5 file (OutputFiles::publish renames it into place).
void write_hdf5_result(const OutputFiles& out, const JobConfig& job, const plan::Plan& plan,
                       const report::RunReport& totals, const aggregate::PairReducer& pairs,
                       const aggregate::ArticleReducer& articles, shuffle::MpiComm& comm);

// The runs-table row of this run (columns of sql::runs_table()), one value set for every SQL
// export so they agree.
std::vector<sql::SqlValue> run_row(const OutputFiles& out, const JobConfig& job,
                                   const report::RunReport& totals);

// Rank 0: exports the staged HDF5 tables into the staged SQLite file in one transaction; the runs
// table keeps the rows of earlier runs found in the published file it will replace.
void export_sqlite_result(const OutputFiles& out, const JobConfig& job,
                          const std::vector<sql::SqlValue>& run);

// Rank 0: writes the portable SQL script (job.sql_script) from the staged HDF5 file to its staged
// name (OutputFiles::publish renames it). Removes the staged script if it throws.
void export_sql_script(const OutputFiles& out, const JobConfig& job,
                       const std::vector<sql::SqlValue>& run);

// Collective, for job.sql_url. Rank 0 connects and creates this run's staging tables (dropping
// leftovers of dead runs); then every rank connects and COPYs an even slice of every table,
// read back from the staged HDF5 file. Returns rank 0's sql::PgStaging, ready for
// prepare_swap()/commit() (nullptr on other ranks). Throws CollectiveError (exit 3) on every
// rank if rank 0 could not connect or any rank's COPY failed; the live tables are untouched
// and rank 0's staging tables are dropped.
std::unique_ptr<sql::PgStaging> stage_postgres_result(const OutputFiles& out, const JobConfig& job,
                                                      shuffle::MpiComm& comm);

// The link-type dictionary stored with the type columns (code = parse::LinkType value).
std::vector<std::string> link_type_dictionary();

}  // namespace dumpmill::cli
