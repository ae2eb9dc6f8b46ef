// Job files are INI (Boost.Program_options); every key is declared here, once, with its help text.
#include "dumpmill/cli/job_config.hpp"

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dumpmill/core/byte_size.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/sql/pg_conn.hpp"

namespace dumpmill::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// The columns the clickstream format produces; the job file must name them (so a reader of the
// job sees the schema) and they must match, since the clickstream dialect is built in.
constexpr const char* kClickstreamColumns = "prev:string curr:string type:link_type n:uint64";

po::options_description job_options() {
  po::options_description d("job file keys");
  // clang-format off
  d.add_options()
    ("job.name", po::value<std::string>()->default_value("clickstream"), "job name, used in reports and the runs table")
    ("job.format", po::value<std::string>()->default_value("clickstream"), "record format: clickstream (Wikimedia clickstream TSV: raw or 2024 quoted titles, 2015 six-column layout)")
    ("job.description", po::value<std::string>()->default_value(""), "free text")
    ("input.paths", po::value<std::vector<std::string>>()->composing(), "input file, directory or glob; repeat the key for more; relative to the job file")
    ("input.legacy_schema", po::value<std::string>()->default_value("map"), "2015 six-column files: map (to prev curr type n) | reject (fail the run)")
    ("schema.columns", po::value<std::string>()->default_value(kClickstreamColumns), "the record columns name:type (fixed by the clickstream format)")
    ("dedup.rule", po::value<std::string>()->default_value("exact"), "exact: drop rows identical in every column (the only rule of the clickstream format)")
    ("tables.pairs", po::value<bool>()->default_value(true), "pairs(prev, curr, type, n): n summed per (prev, curr, type)")
    ("tables.articles", po::value<bool>()->default_value(true), "articles(title, n_in, n_out, n_referrers)")
    ("tables.types", po::value<bool>()->default_value(true), "types(type, pairs, n): totals per link type")
    ("output.dir", po::value<std::string>()->default_value("out"), "result directory; relative to the job file")
    ("output.hdf5", po::value<std::string>()->default_value("clickstream.h5"), "HDF5 result file name inside output.dir")
    ("output.sqlite", po::value<std::string>()->default_value("clickstream.sqlite"), "SQLite file name inside output.dir; empty = no SQL export")
    ("output.sql", po::value<std::string>()->default_value(""), "extra SQL target: postgresql://[user@]host[:port]/db[?...] (COPY from every rank, published in one transaction; password only from PGPASSWORD or PGPASSFILE/~/.pgpass) or file:PATH (a .sql script psql and sqlite3 both load; a plain name lands in output.dir); empty = none")
    ("output.rejects", po::value<std::string>()->default_value("rejects.tsv"), "rejected rows (file, byte offset, reason, line)")
    ("output.report", po::value<std::string>()->default_value("report.json"), "run report (accounting, timings) as JSON")
    ("output.index_cache", po::value<std::string>()->default_value(""), "where gzip checkpoint indexes are kept when the input directory is not writable (default: <output.dir>/.index)")
    ("run.range_size", po::value<std::string>()->default_value("0"), "largest byte range one rank reads as a unit (0 = default 256MiB)")
    ("run.memory_per_rank", po::value<std::string>()->default_value("0"), "memory budget per rank for tables and buffers (0 = default 1GiB)")
    ("run.shuffle_round", po::value<std::string>()->default_value("0"), "bytes a rank sends per exchange round (0 = default 16MiB)")
    ("run.checkpoint_spacing", po::value<std::string>()->default_value("0"), "decoded bytes between gzip index checkpoints (0 = default)")
    ("run.gzip_split_min", po::value<std::string>()->default_value("4MiB"), "gzip files smaller than this are read whole by one rank: indexing costs one sequential decode")
    ("run.max_line", po::value<std::string>()->default_value("1MiB"), "longest accepted line; longer lines are rejected as line_too_long")
    ("run.progress", po::value<std::string>()->default_value("auto"), "auto (a live line on a terminal, a log line every 10 s otherwise) | always | never");
  // clang-format on
  return d;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open job file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

}  // namespace

JobConfig load_job(const std::string& path, const JobOverrides& o) {
  JobConfig job;
  job.job_path = path;
  job.job_text = read_text(path);
  po::variables_map vm;
  try {
    std::istringstream in(job.job_text);
    po::store(po::parse_config_file(in, job_options(), /*allow_unregistered=*/false), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    throw ConfigError(path + ": unknown key '" + e.get_option_name() +
                      "' (see `dumpmill run --help` for the job file keys)");
  } catch (const po::error& e) {
    throw ConfigError(path + ": " + e.what());
  }
  const fs::path base = fs::path(path).parent_path();
  auto str = [&](const char* key) { return vm[key].as<std::string>(); };
  auto choose = [&](const char* key, const std::vector<std::string>& allowed) {
    std::string v = str(key);
    for (const auto& a : allowed)
      if (v == a) return v;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
    throw ConfigError(path + ": " + key + " = '" + v + "' is not one of: " + list);
  };

  job.name = str("job.name");
  job.format = choose("job.format", {"clickstream"});
  if (str("schema.columns") != kClickstreamColumns)
    throw ConfigError(path + ": schema.columns = '" + str("schema.columns") +
                      "' does not match the clickstream format's columns '" + kClickstreamColumns +
                      "'");
  job.legacy_schema = choose("input.legacy_schema", {"map", "reject"}) == "map"
                          ? LegacySchemaPolicy::kMap
                          : LegacySchemaPolicy::kReject;
  job.dedup = choose("dedup.rule", {"exact"});
  job.table_pairs = vm["tables.pairs"].as<bool>();
  job.table_articles = vm["tables.articles"].as<bool>();
  job.table_types = vm["tables.types"].as<bool>();
  if (vm.count("input.paths"))
    for (const auto& p : vm["input.paths"].as<std::vector<std::string>>())
      job.inputs.push_back(resolve(base, p));
  job.output_dir = resolve(base, str("output.dir"));
  job.hdf5_name = str("output.hdf5");
  job.sqlite_name = str("output.sqlite");
  std::string sql_target = str("output.sql");
  fs::path sql_base = base;  // a file: path in the job file is relative to the job file
  job.rejects_name = str("output.rejects");
  job.report_name = str("output.report");
  job.index_cache = resolve(base, str("output.index_cache"));
  std::string range_size = str("run.range_size"), memory = str("run.memory_per_rank"),
              round = str("run.shuffle_round"), spacing = str("run.checkpoint_spacing"),
              max_line = str("run.max_line"), split_min = str("run.gzip_split_min");
  job.progress = choose("run.progress", {"auto", "always", "never"});

  // Flags win over the job file; relative flag paths are relative to the working directory.
  if (!o.inputs.empty()) job.inputs = o.inputs;
  if (!o.output_dir.empty()) job.output_dir = o.output_dir;
  if (!o.hdf5_name.empty()) job.hdf5_name = o.hdf5_name;
  if (!o.sqlite_name.empty()) job.sqlite_name = o.sqlite_name;
  if (o.no_sqlite) job.sqlite_name.clear();
  if (!o.sql.empty()) {
    sql_target = o.sql;
    sql_base.clear();
  }
  if (sql_target.starts_with("file:")) {
    const std::string file = sql_target.substr(5);
    if (file.empty() || file.back() == '/')
      throw ConfigError("SQL target 'file:' needs a file name, e.g. file:clickstream.sql");
    job.sql_script = file.find('/') == std::string::npos ? file : resolve(sql_base, file);
  } else if (!sql_target.empty()) {
    sql::check_pg_url(sql_target);  // ConfigError: not a postgresql:// URI, or has a password
    job.sql_url = sql_target;
  }
  if (!o.index_cache.empty()) job.index_cache = o.index_cache;
  if (!o.range_size.empty()) range_size = o.range_size;
  if (!o.memory_per_rank.empty()) memory = o.memory_per_rank;
  if (!o.shuffle_round.empty()) round = o.shuffle_round;
  if (!o.checkpoint_spacing.empty()) spacing = o.checkpoint_spacing;
  if (!o.max_line.empty()) max_line = o.max_line;
  if (!o.gzip_split_min.empty()) split_min = o.gzip_split_min;
  if (!o.progress.empty()) {
    if (o.progress != "auto" && o.progress != "always" && o.progress != "never")
      throw ConfigError("--progress '" + o.progress + "' is not one of: auto | always | never");
    job.progress = o.progress;
  }
  job.range_size = parse_byte_size(range_size, "run.range_size");
  job.memory_per_rank = parse_byte_size(memory, "run.memory_per_rank");
  job.shuffle_round = parse_byte_size(round, "run.shuffle_round");
  job.checkpoint_spacing = parse_byte_size(spacing, "run.checkpoint_spacing");
  job.max_line = parse_byte_size(max_line, "run.max_line");
  job.gzip_split_min = parse_byte_size(split_min, "run.gzip_split_min");
  if (job.max_line < 64) throw ConfigError(path + ": run.max_line must be at least 64 bytes");
  if (job.shuffle_round > (256ull << 20))
    throw ConfigError(path + ": run.shuffle_round must be at most 256MiB (MPI counts are int)");
  if (job.index_cache.empty()) job.index_cache = (fs::path(job.output_dir) / ".index").string();

  if (job.inputs.empty())
    throw ConfigError(path + ": no input: set input.paths in the job file or pass --input");
  for (const auto* name : {&job.hdf5_name, &job.rejects_name, &job.report_name})
    if (name->empty() || name->find('/') != std::string::npos)
      throw ConfigError(path + ": output file names must be plain names inside output.dir, got '" +
                        *name + "'");
  if (!job.table_pairs && !job.table_articles && !job.table_types)
    throw ConfigError(path + ": every table is switched off; nothing to build");
  return job;
}

std::string job_file_reference() {
  std::ostringstream s;
  s << job_options();
  return s.str();
}

}  // namespace dumpmill::cli
