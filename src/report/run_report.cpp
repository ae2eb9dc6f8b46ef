// Rendering of the run report; JSON by hand because it is write-only and flat.
#include "dumpmill/report/run_report.hpp"

#include <cstdio>
#include <sstream>

#include "dumpmill/core/byte_size.hpp"

namespace dumpmill::report {

double RunReport::mb_per_s_per_rank() const {
  if (wall_seconds <= 0 || ranks <= 0) return 0;
  return static_cast<double>(bytes_decoded) / 1e6 / wall_seconds / ranks;
}

bool RunReport::accounting_holds() const {
  std::uint64_t read = 0, ok = 0, bad = 0;
  for (const auto& f : files) {
    if (f.records_read != f.valid + f.rejected.total()) return false;
    read += f.records_read;
    ok += f.valid;
    bad += f.rejected.total();
  }
  return read == records_read && ok == valid && bad == rejected.total() &&
         records_read == valid + rejected.total() && valid == rows_kept + duplicates_dropped;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

namespace {

// Appends rather than `"\"" + x + "\""`: GCC 12 at -O3 reports a false -Wrestrict on the latter.
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(json_escape(s));
  out.push_back('"');
  return out;
}

std::string rejects_json(const parse::RejectCounts& r) {
  std::string out = "{";
  for (std::size_t i = 0; i < parse::kRejectReasonCount; ++i) {
    if (i) out += ", ";
    out += quoted(parse::reject_reason_name(static_cast<parse::RejectReason>(i))) + ": " +
           std::to_string(r.by_reason[i]);
  }
  return out + "}";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string to_json(const RunReport& r) {
  std::ostringstream o;
  o << "{\n";
  o << "  \"tool_version\": " << quoted(r.tool_version) << ",\n";
  o << "  \"job\": " << quoted(r.job_name) << ",\n";
  o << "  \"job_path\": " << quoted(r.job_path) << ",\n";
  o << "  \"started_utc\": " << quoted(r.started_utc) << ",\n";
  o << "  \"ranks\": " << r.ranks << ",\n";
  o << "  \"records_read\": " << r.records_read << ",\n";
  o << "  \"valid\": " << r.valid << ",\n";
  o << "  \"rejected\": " << r.rejected.total() << ",\n";
  o << "  \"rejected_by_reason\": " << rejects_json(r.rejected) << ",\n";
  o << "  \"rows_kept\": " << r.rows_kept << ",\n";
  o << "  \"duplicates_dropped\": " << r.duplicates_dropped << ",\n";
  o << "  \"distinct_pairs\": " << r.distinct_pairs << ",\n";
  o << "  \"conflicting_rows\": " << r.conflicting_rows << ",\n";
  o << "  \"distinct_articles\": " << r.distinct_articles << ",\n";
  o << "  \"sum_n\": " << r.sum_n << ",\n";
  o << "  \"types\": {";
  for (std::size_t t = 0; t < parse::kLinkTypeCount; ++t) {
    if (t) o << ", ";
    o << quoted(parse::link_type_name(static_cast<parse::LinkType>(t)))
      << ": {\"pairs\": " << r.pairs_by_type[t] << ", \"n\": " << r.n_by_type[t] << "}";
  }
  o << "},\n";
  o << "  \"accounting_holds\": " << (r.accounting_holds() ? "true" : "false") << ",\n";
  o << "  \"bytes_in\": " << r.bytes_in << ",\n";
  o << "  \"bytes_decoded\": " << r.bytes_decoded << ",\n";
  o << "  \"wall_seconds\": " << num(r.wall_seconds) << ",\n";
  o << "  \"mb_per_s_per_rank\": " << num(r.mb_per_s_per_rank()) << ",\n";
  o << "  \"stage_seconds\": {";
  for (std::size_t i = 0; i < r.stage_seconds.size(); ++i)
    o << (i ? ", " : "") << quoted(r.stage_seconds[i].first) << ": "
      << num(r.stage_seconds[i].second);
  o << "},\n";
  o << "  \"peak_rss_bytes\": [";
  for (std::size_t i = 0; i < r.peak_rss_bytes.size(); ++i)
    o << (i ? ", " : "") << r.peak_rss_bytes[i];
  o << "],\n";
  o << "  \"shuffle_rounds\": " << r.shuffle_rounds << ",\n";
  o << "  \"shuffle_bytes\": " << r.shuffle_bytes << ",\n";
  o << "  \"outputs\": {\"hdf5\": " << quoted(r.hdf5_path)
    << ", \"sqlite\": " << quoted(r.sqlite_path) << ", \"rejects\": " << quoted(r.rejects_path)
    << ", \"report\": " << quoted(r.report_path) << "},\n";
  o << "  \"files\": [";
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    const auto& f = r.files[i];
    char fp[20];
    std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(f.fingerprint));
    o << (i ? ",\n" : "\n") << "    {\"path\": " << quoted(f.path)
      << ", \"codec\": " << quoted(f.codec) << ", \"size\": " << f.size << ", \"fingerprint\": \""
      << fp << "\", \"ranges\": " << f.ranges << ", \"bytes_decoded\": " << f.bytes_decoded
      << ", \"header_lines\": " << f.header_lines << ", \"records_read\": " << f.records_read
      << ", \"valid\": " << f.valid << ", \"rejected\": " << f.rejected.total()
      << ", \"rejected_by_reason\": " << rejects_json(f.rejected) << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

std::string to_text(const RunReport& r) {
  std::ostringstream o;
  char line[256];
  auto row = [&](const char* label, std::uint64_t v) {
    std::snprintf(line, sizeof line, "  %-22s %15llu\n", label, static_cast<unsigned long long>(v));
    o << line;
  };
  o << "dumpmill " << r.tool_version << " — job " << r.job_name << " on " << r.ranks << " rank"
    << (r.ranks == 1 ? "" : "s") << ", " << r.files.size() << " input file"
    << (r.files.size() == 1 ? "" : "s") << "\n";
  row("records read", r.records_read);
  row("valid", r.valid);
  row("rejected", r.rejected.total());
  for (std::size_t i = 0; i < parse::kRejectReasonCount; ++i) {
    if (r.rejected.by_reason[i] == 0) continue;
    const std::string label =
        "  " + std::string(parse::reject_reason_name(static_cast<parse::RejectReason>(i)));
    row(label.c_str(), r.rejected.by_reason[i]);
  }
  row("duplicates dropped", r.duplicates_dropped);
  row("rows kept", r.rows_kept);
  row("distinct pairs", r.distinct_pairs);
  row("distinct articles", r.distinct_articles);
  row("sum of n", r.sum_n);
  o << "  accounting             " << (r.accounting_holds() ? "holds" : "DOES NOT HOLD")
    << " (read = valid + rejected; valid = kept + duplicates)\n";
  std::snprintf(line, sizeof line,
                "  input                  %s on disk, %s decoded\n  wall time              %.2f s "
                "(%.1f MB/s per rank)\n",
                format_bytes(r.bytes_in).c_str(), format_bytes(r.bytes_decoded).c_str(),
                r.wall_seconds, r.mb_per_s_per_rank());
  o << line;
  o << "  peak RSS per rank     ";
  for (auto b : r.peak_rss_bytes) o << " " << format_bytes(b);
  o << "\n  stages                ";
  for (const auto& [name, s] : r.stage_seconds) {
    std::snprintf(line, sizeof line, " %s %.2fs", name.c_str(), s);
    o << line;
  }
  o << "\n";
  if (!r.hdf5_path.empty()) o << "  HDF5                   " << r.hdf5_path << "\n";
  if (!r.sqlite_path.empty()) o << "  SQLite                 " << r.sqlite_path << "\n";
  if (!r.rejects_path.empty()) o << "  rejects                " << r.rejects_path << "\n";
  if (!r.report_path.empty()) o << "  report                 " << r.report_path << "\n";
  return o.str();
}

}  // namespace dumpmill::report
