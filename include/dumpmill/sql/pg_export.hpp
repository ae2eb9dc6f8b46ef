// PostgreSQL export without MPI: staging tables per run, COPY of one row slice, one-transaction
// publish, cleanup of dead runs' leftovers, and the test-only fault points.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/sql/pg_conn.hpp"
#include "dumpmill/sql/schema.hpp"

namespace dumpmill::sql {

// TEST-ONLY fault injection: the value of the environment variable DUMPMILL_FAULT, read here and
// nowhere else (empty when unset). The points the PostgreSQL export honours:
//   pg_mid_copy            the highest rank SIGKILLs itself after sending half its rows of the
//                          first table (a rank dying mid-COPY)
//   pg_after_copy          rank 0 fails after every rank's COPY, before the publish transaction
//   pg_before_commit       rank 0 fails inside the publish transaction, right before COMMIT
//   pg_kill_before_commit  rank 0 SIGKILLs itself at the same point (the server sees the
//                          connection drop)
// Never set it in production: each point makes the run fail on purpose.
std::string_view fault_point();

// "<table>_stage_<tag>": this run's staging table (tag: [a-z0-9_]).
std::string pg_staging_name(std::string_view table, std::string_view tag);
// Turns a run tag ("<pid>-<time>") into identifier-safe text: other characters become '_'.
std::string pg_tag(std::string_view run_tag);

// Rank 0's side of a run's PostgreSQL export. Construction: connects, takes a session advisory
// lock on the tag (which tells other runs this run is alive), drops leftover staging tables of
// runs whose lock is free (they died), and creates this run's empty staging tables (committed,
// so every rank's connection sees them). prepare_swap() then, in ONE transaction: takes the
// publish lock (one publisher per database), builds the indexes on the staging tables, drops
// the live tables and renames staging -> live (and the indexes), creates the runs table if
// missing and inserts the run's row; commit() commits it. Until commit() returns, the live
// tables are exactly what they were. The destructor (no commit) rolls back and drops this run's
// staging tables, best effort; if the process dies instead, the next run drops them.
// Staging tables are ordinary (logged) tables: an UNLOGGED table renamed into place would be
// emptied by the server's crash recovery, and SET LOGGED rewrites the whole table.
class PgStaging {
 public:
  PgStaging(const std::string& url, std::string tag, std::vector<ExportedTable> tables);
  ~PgStaging();
  PgStaging(const PgStaging&) = delete;
  PgStaging& operator=(const PgStaging&) = delete;

  // The schema the tables live in (current_schema() of the connection), quoted.
  const std::string& schema() const noexcept { return schema_; }
  // Schema-qualified, quoted staging table of `table`.
  std::string staging_table(std::string_view table) const;
  // Runs every publish step but COMMIT; `run_row` has one value per runs_table() column.
  void prepare_swap(const std::vector<SqlValue>& run_row);
  // COMMIT. Throws OutputError if the server refuses; the live tables are then unchanged.
  void commit();
  const std::string& redacted_url() const noexcept { return conn_.redacted_url(); }

 private:
  void drop_dead_leftovers();
  PgConn conn_;
  std::string tag_;
  std::vector<ExportedTable> tables_;
  std::string schema_;
  bool in_transaction_ = false;
  bool committed_ = false;
};

// Any rank: COPYs rows [first, first + count) of `table` from the HDF5 file into the
// schema-qualified, quoted `staging_table` over `conn` (binary format, one COPY, sent in
// ~1 MiB pieces). Returns the rows sent. `die_midway` is the pg_mid_copy fault point.
std::uint64_t pg_copy_slice(PgConn& conn, const std::string& staging_table,
                            const std::string& h5_path, const TableExport& table,
                            std::uint64_t first, std::uint64_t count, bool die_midway = false);

}  // namespace dumpmill::sql
