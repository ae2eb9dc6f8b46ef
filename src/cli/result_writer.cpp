// HDF5 and SQL results of the clickstream job (the SQL tables are defined in sql/schema.cpp).
#include "dumpmill/cli/result_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <variant>

#include "dumpmill/cli/clickstream_pipeline.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/process_stats.hpp"
#include "dumpmill/core/wire.hpp"
#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_reader.hpp"
#include "dumpmill/h5/table_writer.hpp"
#include "dumpmill/sql/pg_export.hpp"
#include "dumpmill/sql/sql_script.hpp"
#include "dumpmill/sql/sqlite_export.hpp"
#include "dumpmill/sql/table_export.hpp"
#include "dumpmill/version.hpp"

namespace dumpmill::cli {
namespace {

std::string inputs_json(const report::RunReport& r) {
  std::string s = "[";
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    const auto& f = r.files[i];
    char fp[20];
    std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(f.fingerprint));
    s += (i ? ", " : "") + std::string("{\"path\": \"") + report::json_escape(f.path) +
         "\", \"codec\": \"" + f.codec + "\", \"size\": " + std::to_string(f.size) +
         ", \"fingerprint\": \"" + fp + "\", \"records_read\": " + std::to_string(f.records_read) +
         ", \"valid\": " + std::to_string(f.valid) +
         ", \"rejected\": " + std::to_string(f.rejected.total()) + "}";
  }
  return s + "]";
}

}  // namespace

std::vector<std::string> link_type_dictionary() {
  std::vector<std::string> d;
  for (std::size_t t = 0; t < parse::kLinkTypeCount; ++t)
    d.emplace_back(parse::link_type_name(static_cast<parse::LinkType>(t)));
  return d;
}

void write_hdf5_result(const OutputFiles& out, const JobConfig& job, const plan::Plan& plan,
                       const report::RunReport& totals, const aggregate::PairReducer& pairs,
                       const aggregate::ArticleReducer& articles, shuffle::MpiComm& comm) {
  (void)plan;
  h5::ParallelFile file = h5::ParallelFile::create(out.hdf5_staged(), comm.native());
  file.set_attribute("dumpmill_version", std::string_view(kDumpmillVersion));
  file.set_attribute("job_name", std::string_view(job.name));
  file.set_attribute("job", std::string_view(job.job_text));
  file.set_attribute("created_utc", std::string_view(totals.started_utc));
  file.set_attribute("ranks", static_cast<std::uint64_t>(totals.ranks));
  file.set_attribute("inputs", std::string_view(inputs_json(totals)));
  file.set_attribute("records_read", totals.records_read);
  file.set_attribute("valid", totals.valid);
  file.set_attribute("rejected", totals.rejected.total());
  file.set_attribute("rows_kept", totals.rows_kept);
  file.set_attribute("duplicates_dropped", totals.duplicates_dropped);
  file.set_attribute("distinct_pairs", totals.distinct_pairs);
  file.set_attribute("sum_n", totals.sum_n);
  for (std::size_t i = 0; i < parse::kRejectReasonCount; ++i)
    file.set_attribute(
        "rejected_" + std::string(parse::reject_reason_name(static_cast<parse::RejectReason>(i))),
        totals.rejected.by_reason[i]);
  const std::vector<std::string> types = link_type_dictionary();

  // Rows go out in hash-table order (deterministic for a given plan; no sort: sorting 10 M keys
  // took 35 % of the write stage). One column is gathered at a time, so the extra memory is one
  // column's vector, not the whole table's.
  if (job.table_pairs) {
    h5::TableWriter t(file, "pairs", pairs.size());
    std::vector<std::string_view> text;
    text.reserve(pairs.size());
    for (int side = 0; side < 2; ++side) {
      text.clear();
      pairs.for_each_encoded([&](std::string_view key, std::uint64_t) {
        const aggregate::PairKey k = aggregate::decode_pair_key(key);
        text.push_back(side == 0 ? k.prev : k.curr);
      });
      t.write_strings(side == 0 ? "prev" : "curr", text);
    }
    text = {};
    std::vector<std::uint8_t> type;
    type.reserve(pairs.size());
    pairs.for_each_encoded([&](std::string_view key, std::uint64_t) {
      type.push_back(aggregate::decode_pair_key(key).type);
    });
    t.write_dictionary("type", type, types);
    type = {};
    std::vector<std::uint64_t> n;
    n.reserve(pairs.size());
    pairs.for_each_encoded([&](std::string_view, std::uint64_t v) { n.push_back(v); });
    t.write_u64("n", n);
    t.set_attribute("description",
                    std::string_view("one row per distinct (prev, curr, type); n summed over the "
                                     "rows kept after exact-duplicate removal"));
  }
  if (job.table_articles) {
    h5::TableWriter t(file, "articles", articles.size());
    {
      std::vector<std::string_view> title;
      title.reserve(articles.size());
      articles.for_each(
          [&](std::string_view a, const aggregate::ArticleTotals&) { title.push_back(a); });
      t.write_strings("title", title);
    }
    std::vector<std::uint64_t> v;
    v.reserve(articles.size());
    const std::pair<const char*, std::uint64_t aggregate::ArticleTotals::*> columns[] = {
        {"n_in", &aggregate::ArticleTotals::n_in},
        {"n_out", &aggregate::ArticleTotals::n_out},
        {"n_referrers", &aggregate::ArticleTotals::n_referrers}};
    for (const auto& column : columns) {
      const auto member = column.second;
      v.clear();
      articles.for_each(
          [&](std::string_view, const aggregate::ArticleTotals& a) { v.push_back(a.*member); });
      t.write_u64(column.first, v);
    }
    t.set_attribute(
        "description",
        std::string_view("per title: n_in = sum of n where it is curr; n_out = sum of n where it "
                         "is prev (other-* "
                         "referrers have none); n_referrers = distinct prev linking to it"));
  }
  if (job.table_types) {
    const bool mine = comm.rank() == 0;
    std::vector<std::uint8_t> code;
    std::vector<std::uint64_t> npairs, nsum;
    if (mine)
      for (std::size_t t = 0; t < types.size(); ++t) {
        code.push_back(static_cast<std::uint8_t>(t));
        npairs.push_back(totals.pairs_by_type[t]);
        nsum.push_back(totals.n_by_type[t]);
      }
    h5::TableWriter t(file, "types", code.size());
    t.write_dictionary("type", code, types);
    t.write_u64("pairs", npairs);
    t.write_u64("n", nsum);
  }
  file.close();
  comm.barrier();  // every rank's part is on disk before rank 0 reads the file back
}

}  // namespace dumpmill::cli

namespace dumpmill::cli {
namespace {

std::int64_t as_i64(std::uint64_t v) {
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw OutputError("a count above 2^63 cannot be stored in SQL");
  return static_cast<std::int64_t>(v);
}

std::vector<sql::ExportedTable> tables_of(const JobConfig& job) {
  return sql::clickstream_tables(job.table_pairs, job.table_articles, job.table_types);
}

// Rows [first, first + count) of `rows` that rank `rank` of `ranks` copies: an even split, so
// every rank sends the same number of rows whatever the hash partition gave it.
std::pair<std::uint64_t, std::uint64_t> slice_of(std::uint64_t rows, int rank, int ranks) {
  const auto r = static_cast<std::uint64_t>(rank);
  const auto n = static_cast<std::uint64_t>(ranks);
  const std::uint64_t first = rows / n * r + std::min(r, rows % n);
  return {first, rows / n + (r < rows % n ? 1 : 0)};
}

}  // namespace

std::vector<sql::SqlValue> run_row(const OutputFiles& out, const JobConfig& job,
                                   const report::RunReport& totals) {
  std::string inputs;
  for (const auto& f : totals.files) inputs += (inputs.empty() ? "" : "\n") + f.path;
  std::vector<sql::SqlValue> row{
      totals.started_utc,         utc_timestamp(), std::string(kDumpmillVersion), job.name,
      std::int64_t{totals.ranks}, inputs};
  for (std::uint64_t v :
       {totals.records_read, totals.valid, totals.rejected.total(), totals.duplicates_dropped,
        totals.rows_kept, totals.distinct_pairs, totals.distinct_articles, totals.sum_n,
        totals.bytes_in, totals.bytes_decoded})
    row.emplace_back(as_i64(v));
  double before_export = 0;
  for (const auto& [name, s] : totals.stage_seconds) before_export += s;
  row.emplace_back(before_export);
  row.emplace_back(out.hdf5_final());
  return row;
}

void export_sqlite_result(const OutputFiles& out, const JobConfig& job,
                          const std::vector<sql::SqlValue>& run) {
  // Built as the staged file (SqliteExport's own temp + rename), published with the others.
  sql::SqliteExport sqlite(out.sqlite_staged());
  sql::Db& db = sqlite.db();
  const std::string h5 = out.hdf5_staged();
  for (const sql::ExportedTable& t : tables_of(job)) sql::export_table(db, h5, t.for_sqlite());
  db.exec(sql::create_table_sql(sql::runs_table(), sql::Dialect::kSqlite, sql::runs_table().name));
  // Keep the history: rows of earlier runs from the file this export replaces.
  if (std::FILE* f = std::fopen(out.sqlite_final().c_str(), "rb")) {
    std::fclose(f);
    try {
      sql::Db previous(out.sqlite_final(), SQLITE_OPEN_READONLY);
      sql::Statement has =
          previous.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'");
      if (has.step()) {
        sql::Statement rows = previous.prepare("SELECT * FROM runs");
        const int columns = rows.column_count();
        std::string insert = "INSERT INTO runs VALUES (";
        for (int c = 0; c < columns; ++c) insert += c ? ", ?" : "?";
        sql::Statement ins = db.prepare(insert + ")");
        while (rows.step()) {
          for (int c = 0; c < columns; ++c) {
            switch (rows.column_type(c)) {
              case SQLITE_INTEGER:
                ins.bind_int64(c + 1, rows.column_int64(c));
                break;
              case SQLITE_FLOAT:
                ins.bind_double(c + 1, rows.column_double(c));
                break;
              case SQLITE_NULL:
                ins.bind_null(c + 1);
                break;
              default:
                ins.bind_text(c + 1, rows.column_text(c));
            }
          }
          ins.step();
          ins.reset();
        }
      }
    } catch (const OutputError& e) {
      // A previous file of another shape (an older layout, not a dumpmill file): start a new
      // history.
      std::fprintf(stderr, "[dumpmill] runs history not carried over from %s: %s\n",
                   out.sqlite_final().c_str(), e.what());
    }
  }
  {
    std::string insert = "INSERT INTO runs VALUES (";
    for (std::size_t c = 0; c < run.size(); ++c) insert += c ? ", ?" : "?";
    sql::Statement ins = db.prepare(insert + ")");
    for (std::size_t c = 0; c < run.size(); ++c) {
      const int i = static_cast<int>(c) + 1;
      if (const auto* v = std::get_if<std::int64_t>(&run[c])) {
        ins.bind_int64(i, *v);
      } else if (const auto* d = std::get_if<double>(&run[c])) {
        ins.bind_double(i, *d);
      } else {
        ins.bind_text(i, std::get<std::string>(run[c]));
      }
    }
    ins.step();
  }  // statements are finalised before the commit closes the database
  sqlite.commit();
}

void export_sql_script(const OutputFiles& out, const JobConfig& job,
                       const std::vector<sql::SqlValue>& run) {
  try {
    sql::write_sql_script(out.sql_script_staged(), out.hdf5_staged(), tables_of(job), run);
  } catch (...) {
    std::remove(out.sql_script_staged().c_str());
    throw;
  }
}

std::unique_ptr<sql::PgStaging> stage_postgres_result(const OutputFiles& out, const JobConfig& job,
                                                      shuffle::MpiComm& comm) {
  const int rank = comm.rank();
  const std::vector<sql::ExportedTable> tables = tables_of(job);
  std::unique_ptr<sql::PgStaging> staging;
  // Rank 0 prepares the staging tables; every rank learns the schema or the error.
  WireWriter w;
  if (rank == 0) {
    std::fprintf(stderr, "[dumpmill] PostgreSQL export to %s\n",
                 sql::redact_pg_url(job.sql_url).c_str());
    try {
      staging = std::make_unique<sql::PgStaging>(job.sql_url, sql::pg_tag(out.tag()), tables);
      w.u8(1);
      w.str(staging->schema());
    } catch (const Error& e) {
      w.u8(0);
      w.str(e.what());
    }
  }
  const std::vector<char> msg = comm.broadcast(std::move(w.bytes()), 0);
  WireReader r(msg);
  if (r.u8() == 0) throw CollectiveError(r.str(), 3);
  const std::string schema = r.str();

  // Every rank copies its slice of every table over its own connection, in parallel.
  std::string error;
  try {
    sql::PgConn conn(job.sql_url);
    bool first_table = true;
    for (const sql::ExportedTable& t : tables) {
      const std::uint64_t rows = h5::TableReader(out.hdf5_staged(), t.source.h5_group).rows();
      const auto [first, count] = slice_of(rows, rank, comm.size());
      const bool die = first_table && sql::fault_point() == "pg_mid_copy" &&
                       rank == comm.size() - 1 && count > 0;
      sql::pg_copy_slice(conn,
                         schema + "." +
                             sql::quote_identifier(
                                 sql::pg_staging_name(t.source.sql_table, sql::pg_tag(out.tag()))),
                         out.hdf5_staged(), t.source, first, count, die);
      first_table = false;
    }
  } catch (const Error& e) {
    error = "rank " + std::to_string(rank) + ": " + e.what();
  }
  // Every rank learns whether every COPY succeeded; the first failure's message is reported.
  const std::vector<std::vector<char>> errors =
      comm.gather(std::vector<char>(error.begin(), error.end()), 0);
  const bool failed = comm.allreduce_or(!error.empty());
  if (failed) {
    std::string first_error = "a rank's COPY failed";
    for (const auto& e : errors)
      if (!e.empty()) {
        first_error.assign(e.begin(), e.end());
        break;
      }
    throw CollectiveError(first_error, 3);  // ~PgStaging drops this run's staging tables
  }
  if (rank == 0 && sql::fault_point() == "pg_after_copy")
    throw OutputError("PostgreSQL " + staging->redacted_url() +
                      ": fault injected after COPY (DUMPMILL_FAULT=pg_after_copy, test-only)");
  return staging;
}

}  // namespace dumpmill::cli
