// Cumulative articles and types over a warehouse's current results, rebuilt whole when stale.
#include "dumpmill/cli/ingest_cumulative.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/db.hpp"
#include "dumpmill/sql/sqlite_export.hpp"

namespace dumpmill::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE articles (title TEXT NOT NULL PRIMARY KEY, n_in INTEGER NOT NULL,
  n_out INTEGER NOT NULL, n_referrers INTEGER NOT NULL, dumps INTEGER NOT NULL);
CREATE TABLE types (type TEXT NOT NULL PRIMARY KEY, pairs INTEGER NOT NULL, n INTEGER NOT NULL);
CREATE TABLE sources (stem TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL,
  sqlite TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
)";

bool has_table(sql::Db& db, const char* table) {
  sql::Statement s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  s.bind_text(1, table);
  return s.step();
}

// Adds every row of `select` (run on `from`) into `insert` (bound ?1..?columns).
void add_rows(sql::Db& from, const std::string& select, sql::Statement& insert) {
  sql::Statement rows = from.prepare(select);
  const int columns = rows.column_count();
  while (rows.step()) {
    insert.bind_text(1, rows.column_text(0));
    for (int c = 1; c < columns; ++c) insert.bind_int64(c + 1, rows.column_int64(c));
    insert.step();
    insert.reset();
  }
}

}  // namespace

std::vector<CumulativeSource> current_results(const std::string& warehouse,
                                              const std::string& sqlite_name) {
  std::vector<CumulativeSource> out;
  const fs::path results = fs::path(warehouse) / "results";
  std::error_code ec;
  if (!fs::exists(results, ec)) return out;
  fs::directory_iterator it(results, ec);
  if (ec) throw OutputError(results.string() + ": cannot list: " + ec.message());
  for (const fs::directory_entry& e : it) {
    const fs::path link = e.path() / "current";
    if (!fs::is_symlink(link, ec)) continue;
    const std::string target = fs::read_symlink(link, ec).string();
    if (ec || target.size() < 2 || target.size() > 19 || target[0] != 'v' ||
        !std::all_of(target.begin() + 1, target.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;  // not a link this ingest made (v<N>): not a result to sum
    const std::string sqlite = (link / sqlite_name).string();
    struct stat st {};
    if (::stat(sqlite.c_str(), &st) != 0) continue;
    CumulativeSource s;
    s.stem = e.path().filename().string();
    s.version = std::stoll(target.substr(1));
    s.sqlite_path = (fs::path("results") / s.stem / target / sqlite_name).string();
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const CumulativeSource& a, const CumulativeSource& b) { return a.stem < b.stem; });
  return out;
}

bool cumulative_is_stale(const std::string& cumulative_path,
                         const std::vector<CumulativeSource>& sources) {
  std::error_code ec;
  if (!fs::exists(cumulative_path, ec)) return true;
  try {
    sql::Db db(cumulative_path, SQLITE_OPEN_READONLY);
    sql::Statement s =
        db.prepare("SELECT stem, version, sqlite, size, mtime_ns FROM sources ORDER BY stem");
    std::vector<CumulativeSource> built;
    while (s.step()) {
      CumulativeSource c;
      c.stem = s.column_text(0);
      c.version = s.column_int64(1);
      c.sqlite_path = s.column_text(2);
      c.size = static_cast<std::uint64_t>(s.column_int64(3));
      c.mtime_ns = s.column_int64(4);
      built.push_back(std::move(c));
    }
    return built != sources;
  } catch (const OutputError&) {
    return true;  // not a cumulative file of this layout: rebuilding it is the repair
  }
}

std::uint64_t rebuild_cumulative(const std::string& warehouse, const std::string& cumulative_path,
                                 const std::vector<CumulativeSource>& sources) {
  sql::SqliteExport out(cumulative_path);
  sql::Db& db = out.db();
  db.exec(kSchema);
  {
    // Upserts: a title seen in an earlier dump gets this dump's figures added.
    sql::Statement article = db.prepare(
        "INSERT INTO articles VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT (title) DO UPDATE SET "
        "n_in = n_in + excluded.n_in, n_out = n_out + excluded.n_out, "
        "n_referrers = n_referrers + excluded.n_referrers, dumps = dumps + 1");
    sql::Statement type = db.prepare(
        "INSERT INTO types VALUES (?1, ?2, ?3) ON CONFLICT (type) DO UPDATE SET "
        "pairs = pairs + excluded.pairs, n = n + excluded.n");
    sql::Statement source = db.prepare("INSERT INTO sources VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const CumulativeSource& s : sources) {
      sql::Db from((fs::path(warehouse) / s.sqlite_path).string(), SQLITE_OPEN_READONLY);
      if (has_table(from, "articles"))
        add_rows(from, "SELECT title, n_in, n_out, n_referrers FROM articles", article);
      if (has_table(from, "types")) add_rows(from, "SELECT type, pairs, n FROM types", type);
      source.bind_text(1, s.stem);
      source.bind_int64(2, s.version);
      source.bind_text(3, s.sqlite_path);
      source.bind_int64(4, static_cast<std::int64_t>(s.size));
      source.bind_int64(5, s.mtime_ns);
      source.step();
      source.reset();
    }
  }
  std::uint64_t rows = 0;
  {
    sql::Statement count = db.prepare("SELECT count(*) FROM articles");
    if (count.step()) rows = static_cast<std::uint64_t>(count.column_int64(0));
  }
  out.commit();
  return rows;
}

}  // namespace dumpmill::cli
