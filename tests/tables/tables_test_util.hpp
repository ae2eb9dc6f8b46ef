// Test helpers: run job text + input files through records and tables at N in-process ranks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/records/record_parser.hpp"
#include "dumpmill/shuffle/local_comm.hpp"
#include "dumpmill/tables/table_spec.hpp"
#include "dumpmill/tables/tables_run.hpp"

namespace dumpmill::tables::testing {

// A parsed job: the record layout and the tables.
struct Job {
  records::RecordSpec records;
  TablesSpec tables;
};

inline Job parse_job(std::string_view text) {
  const auto entries = records::read_job_entries(text, "job.ini");
  Job job;
  job.records = records::record_spec_from_entries(entries, "job.ini");
  job.tables = parse_tables_spec(entries, job.records, "job.ini");
  return job;
}

// One value as text, for comparing whole tables ("NULL" for null).
inline std::string cell(const ColumnData& c, std::size_t i) {
  if (c.null[i] != 0) return "NULL";
  switch (c.type) {
    case records::ColumnType::kString:
      return std::string(c.text(i));
    case records::ColumnType::kUint64:
      return std::to_string(c.u64[i]);
    case records::ColumnType::kFloat64: {
      std::ostringstream s;
      s.precision(17);
      s << c.f64[i];
      return s.str();
    }
    default:
      return std::to_string(c.i64[i]);
  }
}

using TableRows = std::vector<std::vector<std::string>>;

// A table's rows as text cells, in slice order.
inline TableRows rows_of(const TableSlice& t) {
  TableRows out(t.rows);
  for (std::size_t r = 0; r < t.rows; ++r) {
    for (const ColumnData& c : t.columns) out[r].push_back(cell(c, r));
  }
  return out;
}

// What a whole run produced: every rank's slices concatenated by rank then sorted, and the
// totals (checked equal on every rank).
struct RunOutput {
  std::map<std::string, TableRows> tables;  // sorted rows
  TablesCounters total;
  std::vector<TablesCounters> per_rank;
};

// Runs `job` over `files` (file index = position) at `ranks` in-process ranks. Each rank
// takes a contiguous block of every file's lines, as byte ranges would give it.
inline RunOutput run_job(const Job& job, const std::vector<std::string>& files, int ranks,
                         TablesOptions options = {}) {
  struct LineRef {
    std::uint32_t file;
    std::uint64_t offset;
    std::string_view text;
  };
  std::vector<std::vector<LineRef>> lines(files.size());
  for (std::size_t f = 0; f < files.size(); ++f) {
    std::string_view rest = files[f];
    std::uint64_t off = 0;
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      lines[f].push_back({static_cast<std::uint32_t>(f), off, line});
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
      off += nl + 1;
    }
  }
  RunOutput output;
  output.per_rank.resize(static_cast<std::size_t>(ranks));
  std::vector<TablesResult> results(static_cast<std::size_t>(ranks));
  shuffle::run_local(ranks, [&](shuffle::Communicator& comm) {
    std::vector<LineRef> mine;
    for (const auto& fl : lines) {
      const std::size_t n = fl.size();
      const auto r = static_cast<std::size_t>(comm.rank());
      const auto p = static_cast<std::size_t>(comm.size());
      mine.insert(mine.end(), fl.begin() + static_cast<std::ptrdiff_t>(n * r / p),
                  fl.begin() + static_cast<std::ptrdiff_t>(n * (r + 1) / p));
    }
    records::RecordParser parser(job.records);
    std::size_t i = 0;
    records::RowReject reject{};
    std::uint32_t bound_file = UINT32_MAX;
    auto next = [&](records::Row& row, RowOrigin& origin) {
      while (i < mine.size()) {
        const LineRef& l = mine[i++];
        // A rank whose block of a file starts past its header binds the header separately.
        if (job.records.format.header && l.file != bound_file && l.offset != 0) {
          parser.bind_header(lines[l.file].front().text);
        }
        bound_file = l.file;
        const parse::Line line{l.text, l.offset, false};
        if (parser.parse(line, row, reject) == records::RowOutcome::kRow) {
          origin = RowOrigin{l.file, l.offset};
          return true;
        }
      }
      return false;
    };
    results[static_cast<std::size_t>(comm.rank())] =
        run_tables(comm, job.records, job.tables, next, options);
  });
  for (std::size_t r = 0; r < results.size(); ++r) {
    output.per_rank[r] = results[r].local;
    for (const TableSlice& t : results[r].tables) {
      TableRows rows = rows_of(t);
      TableRows& all = output.tables[t.name];
      all.insert(all.end(), rows.begin(), rows.end());
    }
  }
  for (auto& [name, rows] : output.tables) std::sort(rows.begin(), rows.end());
  output.total = results.front().total;
  return output;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace dumpmill::tables::testing
