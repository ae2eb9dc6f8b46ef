// HDF5 and SQLite results of the clickstream job; the table layouts live here, once.
#include "dumpmill/cli/result_writer.hpp"

#include <cstdio>

#include "dumpmill/h5/parallel_file.hpp"
#include "dumpmill/h5/table_writer.hpp"
#include "dumpmill/sql/sqlite_export.hpp"
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
  h5::ParallelFile file = h5::ParallelFile::create(out.hdf5_temp(), comm.native());
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

  if (job.table_pairs) {
    std::vector<std::string_view> prev, curr;
    std::vector<std::uint8_t> type;
    std::vector<std::uint64_t> n;
    prev.reserve(pairs.size());
    curr.reserve(pairs.size());
    type.reserve(pairs.size());
    n.reserve(pairs.size());
    pairs.for_each_sorted([&](std::string_view p, std::string_view c, std::uint8_t t, std::uint64_t v) {
      prev.push_back(p);
      curr.push_back(c);
      type.push_back(t);
      n.push_back(v);
    });
    h5::TableWriter t(file, "pairs", prev.size());
    t.write_strings("prev", prev);
    t.write_strings("curr", curr);
    t.write_dictionary("type", type, types);
    t.write_u64("n", n);
    t.set_attribute("description", std::string_view(
        "one row per distinct (prev, curr, type); n summed over the rows kept after exact-duplicate removal"));
  }
  if (job.table_articles) {
    std::vector<std::string_view> title;
    std::vector<std::uint64_t> n_in, n_out, n_ref;
    title.reserve(articles.size());
    n_in.reserve(articles.size());
    n_out.reserve(articles.size());
    n_ref.reserve(articles.size());
    articles.for_each_sorted([&](std::string_view a, const aggregate::ArticleTotals& t) {
      title.push_back(a);
      n_in.push_back(t.n_in);
      n_out.push_back(t.n_out);
      n_ref.push_back(t.n_referrers);
    });
    h5::TableWriter t(file, "articles", title.size());
    t.write_strings("title", title);
    t.write_u64("n_in", n_in);
    t.write_u64("n_out", n_out);
    t.write_u64("n_referrers", n_ref);
    t.set_attribute("description", std::string_view(
        "per title: n_in = sum of n where it is curr; n_out = sum of n where it is prev (other-* "
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
  comm.barrier();
  if (comm.rank() == 0) out.publish_hdf5();
  comm.barrier();
}

}  // namespace dumpmill::cli
