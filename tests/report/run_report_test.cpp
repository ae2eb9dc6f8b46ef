// The run report: invariant 2 is checked per file and in total; JSON escapes what it must.
#include "dumpmill/report/run_report.hpp"

#include <gtest/gtest.h>

namespace dumpmill::report {
namespace {

RunReport consistent() {
  RunReport r;
  r.ranks = 2;
  FileAccounting a;
  a.path = "a\t\"b\".tsv";
  a.records_read = 10;
  a.valid = 8;
  a.rejected.add(parse::RejectReason::kBadCount);
  a.rejected.add(parse::RejectReason::kEmptyLine);
  r.files.push_back(a);
  r.records_read = 10;
  r.valid = 8;
  r.rejected = a.rejected;
  r.rows_kept = 7;
  r.duplicates_dropped = 1;
  r.bytes_decoded = 4'000'000;
  r.wall_seconds = 2.0;
  return r;
}

TEST(RunReport, AccountingHoldsOnlyWhenEveryEquationDoes) {
  RunReport r = consistent();
  EXPECT_TRUE(r.accounting_holds());
  r.duplicates_dropped = 2;
  EXPECT_FALSE(r.accounting_holds()) << "valid != kept + duplicates";
  r = consistent();
  r.files[0].valid = 7;
  EXPECT_FALSE(r.accounting_holds()) << "a file whose read != valid + rejected";
  r = consistent();
  r.records_read = 11;
  EXPECT_FALSE(r.accounting_holds()) << "totals that do not add up over files";
}

TEST(RunReport, ThroughputIsPerRank) {
  EXPECT_DOUBLE_EQ(consistent().mb_per_s_per_rank(), 1.0);  // 4 MB / 2 s / 2 ranks
}

TEST(RunReport, JsonEscapesAndCarriesEveryFigure) {
  const std::string j = to_json(consistent());
  EXPECT_NE(j.find(R"("path": "a\t\"b\".tsv")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("bad_count": 1)"), std::string::npos);
  EXPECT_NE(j.find(R"("accounting_holds": true)"), std::string::npos);
  EXPECT_NE(j.find(R"("duplicates_dropped": 1)"), std::string::npos);
  EXPECT_EQ(json_escape(std::string("\x01x\n", 3)), "\\u0001x\\n");
  const std::string t = to_text(consistent());
  EXPECT_NE(t.find("bad_count"), std::string::npos);
  EXPECT_NE(t.find("holds"), std::string::npos);
}

}  // namespace
}  // namespace dumpmill::report
