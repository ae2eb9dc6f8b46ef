// PostgreSQL export: per-run staging tables, binary COPY of row slices, one-transaction publish.
#include "dumpmill/sql/pg_export.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/pg_copy.hpp"

namespace dumpmill::sql {
namespace {

// First key of every advisory lock dumpmill takes ("dm"); the second is hashtext(tag) for a
// run's liveness lock, 0 for the publish lock.
constexpr const char* kLockClass = "25709";
// COPY data is sent in pieces of this size: big enough that the per-call cost vanishes, small
// enough to stay out of the memory budget's way.
constexpr std::size_t kCopyChunk = 1 << 20;
// Rows read from HDF5 per batch (one batch of each column in memory).
constexpr std::size_t kBatchRows = 65536;

std::string format_real(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// Only "<digits>_<digits>" (pg_tag of "<pid>-<time>") names a run's staging table: a user's
// "pairs_stage_backup" is never taken for a leftover and dropped.
bool is_run_tag(std::string_view s) {
  const std::size_t underscore = s.find('_');
  if (underscore == 0 || underscore == std::string_view::npos || underscore + 1 == s.size())
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != underscore && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

}  // namespace

std::string_view fault_point() {
  static const std::string kFault = [] {
    const char* v = std::getenv("DUMPMILL_FAULT");
    return std::string(v != nullptr ? v : "");
  }();
  return kFault;
}

std::string pg_tag(std::string_view run_tag) {
  std::string out;
  for (const char c : run_tag)
    out += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
           : (c >= 'A' && c <= 'Z')                         ? static_cast<char>(c - 'A' + 'a')
                                                            : '_';
  return out;
}

std::string pg_staging_name(std::string_view table, std::string_view tag) {
  std::string s(table);
  s += "_stage_";
  s += tag;
  return s;
}

PgStaging::PgStaging(const std::string& url, std::string tag, std::vector<ExportedTable> tables)
    : conn_(url), tag_(std::move(tag)), tables_(std::move(tables)) {
  const PgResult schema = conn_.exec("SELECT current_schema()");
  if (schema.rows() != 1 || schema.is_null(0, 0))
    throw OutputError("PostgreSQL " + conn_.redacted_url() +
                      ": no current schema (search_path names no existing schema)");
  schema_ = conn_.quote_identifier(schema.value(0, 0));
  conn_.exec("SELECT pg_advisory_lock(" + std::string(kLockClass) + ", hashtext($1))", {tag_});
  drop_dead_leftovers();
  for (const ExportedTable& t : tables_) {
    const std::string name = staging_table(t.source.sql_table);
    conn_.exec("DROP TABLE IF EXISTS " + name);  // same tag: a stale table of a recycled pid
    conn_.exec(create_table_sql(t.schema(), Dialect::kPostgres, name, false, true));
  }
}

void PgStaging::drop_dead_leftovers() {
  std::set<std::string> tables;
  for (const char* t : {"pairs", "articles", "types"}) tables.insert(t);
  for (const ExportedTable& t : tables_) tables.insert(t.source.sql_table);
  const PgResult found = conn_.exec(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE '%\\_stage\\_%'");
  std::map<std::string, std::vector<std::string>> by_tag;
  for (int r = 0; r < found.rows(); ++r) {
    const std::string name(found.value(r, 0));
    for (const std::string& t : tables) {
      const std::string prefix = t + "_stage_";
      if (name.size() > prefix.size() && name.starts_with(prefix) &&
          is_run_tag(std::string_view(name).substr(prefix.size())))
        by_tag[name.substr(prefix.size())].push_back(name);
    }
  }
  for (const auto& [tag, names] : by_tag) {
    if (tag == tag_) continue;
    const std::string lock = std::string(kLockClass) + ", hashtext($1)";
    const PgResult free = conn_.exec("SELECT pg_try_advisory_lock(" + lock + ")", {tag});
    if (free.value(0, 0) != "t") continue;  // that run is alive: its tables are not leftovers
    for (const std::string& n : names) {
      std::fprintf(stderr, "[dumpmill] PostgreSQL: dropping %s left by a failed run\n", n.c_str());
      conn_.exec("DROP TABLE IF EXISTS " + schema_ + "." + conn_.quote_identifier(n));
    }
    conn_.exec("SELECT pg_advisory_unlock(" + lock + ")", {tag});
  }
}

std::string PgStaging::staging_table(std::string_view table) const {
  return schema_ + "." + quote_identifier(pg_staging_name(table, tag_));
}

void PgStaging::prepare_swap(const std::vector<SqlValue>& run_row) {
  const TableSchema& runs = runs_table();
  if (run_row.size() != runs.columns.size())
    throw OutputError("runs row has " + std::to_string(run_row.size()) + " values, the table " +
                      std::to_string(runs.columns.size()) + " columns");
  conn_.exec("BEGIN");
  in_transaction_ = true;
  // One publisher per database at a time: two runs swapping the same tables would otherwise
  // interleave their DROP/RENAME and one would fail halfway into its transaction.
  conn_.exec("SELECT pg_advisory_xact_lock(" + std::string(kLockClass) + ", 0)");
  for (const ExportedTable& t : tables_) {
    const std::string staging = staging_table(t.source.sql_table);
    for (const Index& i : t.indexes)
      conn_.exec(create_index_sql(i, quote_identifier(pg_staging_name(i.name, tag_)), staging));
    // Dropping the live table inside this transaction is the same as renaming it to *_old and
    // dropping that after the rename: nobody sees either state before COMMIT, and dropping
    // first frees the index names. No CASCADE: a user's view on a table makes the publish fail
    // (live tables untouched) instead of silently dropping the view.
    conn_.exec("DROP TABLE IF EXISTS " + schema_ + "." + quote_identifier(t.source.sql_table));
    conn_.exec("ALTER TABLE " + staging + " RENAME TO " + quote_identifier(t.source.sql_table));
    for (const Index& i : t.indexes)
      conn_.exec("ALTER INDEX " + schema_ + "." + quote_identifier(pg_staging_name(i.name, tag_)) +
                 " RENAME TO " + quote_identifier(i.name));
  }
  const std::string runs_name = schema_ + "." + quote_identifier(runs.name);
  conn_.exec(create_table_sql(runs, Dialect::kPostgres, runs_name, true, true));
  std::string insert = "INSERT INTO " + runs_name + " VALUES (";
  std::vector<std::string> params;
  for (std::size_t i = 0; i < run_row.size(); ++i) {
    insert += (i ? ", $" : "$") + std::to_string(i + 1);
    if (const auto* v = std::get_if<std::int64_t>(&run_row[i])) {
      params.push_back(std::to_string(*v));
    } else if (const auto* d = std::get_if<double>(&run_row[i])) {
      params.push_back(format_real(*d));
    } else {
      params.push_back(std::get<std::string>(run_row[i]));
    }
  }
  conn_.exec(insert + ")", params);
}

void PgStaging::commit() {
  if (!in_transaction_)
    throw OutputError("PostgreSQL " + conn_.redacted_url() + ": nothing to commit");
  if (fault_point() == "pg_before_commit")
    throw OutputError(
        "PostgreSQL " + conn_.redacted_url() +
        ": fault injected before COMMIT (DUMPMILL_FAULT=pg_before_commit, test-only)");
  if (fault_point() == "pg_kill_before_commit") std::raise(SIGKILL);
  conn_.exec("COMMIT");
  in_transaction_ = false;
  committed_ = true;
}

PgStaging::~PgStaging() {
  if (committed_ || conn_.get() == nullptr) return;
  // Best effort: a failure here leaves tables the next run drops, so it is reported, not thrown.
  try {
    if (in_transaction_) conn_.exec("ROLLBACK");
    for (const ExportedTable& t : tables_)
      conn_.exec("DROP TABLE IF EXISTS " + staging_table(t.source.sql_table));
  } catch (const Error& e) {
    std::fprintf(stderr,
                 "[dumpmill] PostgreSQL: staging tables of this run not dropped (the next run "
                 "drops them): %s\n",
                 e.what());
  }
}

std::uint64_t pg_copy_slice(PgConn& conn, const std::string& staging_table,
                            const std::string& h5_path, const TableExport& table,
                            std::uint64_t first, std::uint64_t count, bool die_midway) {
  std::string copy = "COPY " + staging_table + " (";
  for (std::size_t c = 0; c < table.columns.size(); ++c)
    copy += (c ? ", " : "") + quote_identifier(table.columns[c].sql_name);
  copy += ") FROM STDIN (FORMAT binary)";
  H5Rows rows(h5_path, table, first, count, kBatchRows);
  const auto fields = static_cast<std::uint16_t>(rows.columns());
  PgBinaryCopy out;
  conn.copy_begin(copy);
  std::uint64_t sent = 0;
  for (std::size_t n = rows.next(); n > 0; n = rows.next()) {
    for (std::size_t r = 0; r < n; ++r) {
      out.begin_row(fields);
      for (std::size_t c = 0; c < rows.columns(); ++c) {
        switch (rows.type(c)) {
          case SqlType::kInteger:
            out.integer(rows.integer(c, r));
            break;
          case SqlType::kReal:
            out.real(rows.real(c, r));
            break;
          case SqlType::kText:
            try {
              out.text(rows.text(c, r));
            } catch (const OutputError& e) {
              throw OutputError(h5_path + ": table " + table.h5_group + " column " +
                                table.columns[c].h5_column + " row " +
                                std::to_string(rows.global_row(r)) + ": " + e.what());
            }
            break;
        }
      }
      if (out.size() >= kCopyChunk) {
        conn.copy_data(out.bytes());
        out.clear();
      }
      if (++sent >= count / 2 && die_midway) {
        conn.copy_data(out.bytes());  // the server holds an open COPY with rows in it
        std::raise(SIGKILL);
      }
    }
  }
  out.finish();
  conn.copy_data(out.bytes());
  conn.copy_end();
  return sent;
}

}  // namespace dumpmill::sql
