// Value/row encoding, partial aggregate states and the [dedup]/[table.NAME] job syntax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dumpmill/core/error.hpp"
#include "dumpmill/tables/partial_aggregate.hpp"
#include "dumpmill/tables/table_spec.hpp"
#include "dumpmill/tables/value_codec.hpp"
#include "tables_test_util.hpp"

namespace dumpmill::tables {
namespace {

using records::ColumnType;
using records::Value;
using testing::Job;

Value int_value(std::int64_t v) {
  Value x;
  x.null = false;
  x.i64 = v;
  return x;
}
Value f64_value(double v) {
  Value x;
  x.null = false;
  x.f64 = v;
  return x;
}
Value text_value(std::string_view v) {
  Value x;
  x.null = false;
  x.text = v;
  return x;
}

std::string encoded(const Value& v, ColumnType t) {
  aggregate::KeyBuilder b;
  encode_value(b, v, t);
  return std::string(b.view());
}

TEST(ValueCodec, RowRoundTripsEveryTypeAndNull) {
  const std::vector<ColumnType> types{
      ColumnType::kString, ColumnType::kInt64,     ColumnType::kUint64, ColumnType::kFloat64,
      ColumnType::kBool,   ColumnType::kTimestamp, ColumnType::kDate,   ColumnType::kString};
  records::Row row;
  row.values.resize(types.size());
  row.values[0] = text_value(std::string_view("a\0b\n", 4));
  row.values[1] = int_value(-5);
  row.values[2].null = false;
  row.values[2].u64 = std::numeric_limits<std::uint64_t>::max();
  row.values[3] = f64_value(-2.5);
  row.values[4] = int_value(1);
  row.values[5] = int_value(std::numeric_limits<std::int64_t>::min());
  row.values[6] = int_value(19000);
  // values[7] stays null
  aggregate::KeyBuilder b;
  encode_row(b, row, types);
  const std::string bytes(b.view());
  std::vector<Value> back;
  decode_row(bytes, types, back);
  ASSERT_EQ(back.size(), types.size());
  EXPECT_EQ(back[0].text, std::string_view("a\0b\n", 4));
  EXPECT_EQ(back[1].i64, -5);
  EXPECT_EQ(back[2].u64, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(back[3].f64, -2.5);
  EXPECT_EQ(back[4].i64, 1);
  EXPECT_EQ(back[5].i64, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(back[6].i64, 19000);
  EXPECT_TRUE(back[7].null);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_FALSE(back[i].null) << i;
  // A truncated row and a row with trailing bytes are errors, not silent garbage.
  EXPECT_THROW(decode_row(std::string_view(bytes).substr(0, bytes.size() - 1), types, back),
               std::out_of_range);
  EXPECT_THROW(decode_row(bytes + "x", types, back), std::out_of_range);
}

TEST(ValueCodec, ByteOrderIsNumericOrderAndNullsFirst) {
  const std::vector<std::int64_t> ints{
      std::numeric_limits<std::int64_t>::min(), -300, -1, 0, 1, 255, 256,
      std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 1; i < ints.size(); ++i) {
    EXPECT_LT(encoded(int_value(ints[i - 1]), ColumnType::kInt64),
              encoded(int_value(ints[i]), ColumnType::kInt64))
        << ints[i];
  }
  EXPECT_LT(encoded(Value{}, ColumnType::kInt64),
            encoded(int_value(std::numeric_limits<std::int64_t>::min()), ColumnType::kInt64));
  const std::vector<double> doubles{
      -std::numeric_limits<double>::max(), -1.5, -1e-300, 0, 1e-300, 2, 1e300};
  for (std::size_t i = 1; i < doubles.size(); ++i) {
    EXPECT_LT(encoded(f64_value(doubles[i - 1]), ColumnType::kFloat64),
              encoded(f64_value(doubles[i]), ColumnType::kFloat64))
        << doubles[i];
  }
  // -0.0 and 0.0 are one key.
  EXPECT_EQ(encoded(f64_value(-0.0), ColumnType::kFloat64),
            encoded(f64_value(0.0), ColumnType::kFloat64));
  EXPECT_NE(encoded(text_value("ab"), ColumnType::kString),
            encoded(text_value("a"), ColumnType::kString));
}

AggregateSpec agg(AggregateFunction f, ColumnType in, ColumnType out, bool has_column = true) {
  AggregateSpec a;
  a.function = f;
  a.has_column = has_column;
  a.input_type = in;
  a.result_type = out;
  return a;
}

// Update part of the values on one "rank", part on another, ship one as bytes, merge.
Value split_merge(const AggregateSpec& a, const std::vector<Value>& values, std::size_t split) {
  AggregateState left;
  AggregateState right;
  for (std::size_t i = 0; i < values.size(); ++i) {
    update_state(a, i < split ? left : right, values[i]);
  }
  aggregate::KeyBuilder b;
  encode_state(b, a, right);
  const std::string bytes(b.view());
  aggregate::KeyReader r(bytes);
  const AggregateState shipped = decode_state(r, a);
  EXPECT_TRUE(r.done());
  // The merged min/max text lives in this arena; it must outlive the returned Value.
  static records::Arena arena;
  merge_state(a, left, shipped, &arena);
  return finish_state(a, left);
}

TEST(PartialAggregate, EachFunctionMergesToTheWholeResult) {
  const std::vector<Value> ints{int_value(4), Value{}, int_value(-7), int_value(10), Value{}};
  for (std::size_t split = 0; split <= ints.size(); ++split) {
    EXPECT_EQ(
        split_merge(agg(AggregateFunction::kCount, ColumnType::kInt64, ColumnType::kInt64, false),
                    ints, split)
            .i64,
        5);
    EXPECT_EQ(split_merge(agg(AggregateFunction::kCount, ColumnType::kInt64, ColumnType::kInt64),
                          ints, split)
                  .i64,
              3);
    EXPECT_EQ(split_merge(agg(AggregateFunction::kSum, ColumnType::kInt64, ColumnType::kInt64),
                          ints, split)
                  .i64,
              7);
    EXPECT_DOUBLE_EQ(
        split_merge(agg(AggregateFunction::kMean, ColumnType::kInt64, ColumnType::kFloat64), ints,
                    split)
            .f64,
        7.0 / 3);
    EXPECT_EQ(split_merge(agg(AggregateFunction::kMin, ColumnType::kInt64, ColumnType::kInt64),
                          ints, split)
                  .i64,
              -7);
    EXPECT_EQ(split_merge(agg(AggregateFunction::kMax, ColumnType::kInt64, ColumnType::kInt64),
                          ints, split)
                  .i64,
              10);
  }
  const std::vector<Value> texts{text_value("pear"), text_value("apple"), Value{},
                                 text_value("zebra")};
  for (std::size_t split = 0; split <= texts.size(); ++split) {
    EXPECT_EQ(split_merge(agg(AggregateFunction::kMin, ColumnType::kString, ColumnType::kString),
                          texts, split)
                  .text,
              "apple");
    EXPECT_EQ(split_merge(agg(AggregateFunction::kMax, ColumnType::kString, ColumnType::kString),
                          texts, split)
                  .text,
              "zebra");
  }
  // All-null input: sum/mean/min null, count 0.
  const std::vector<Value> nulls{Value{}, Value{}};
  EXPECT_TRUE(split_merge(agg(AggregateFunction::kSum, ColumnType::kFloat64, ColumnType::kFloat64),
                          nulls, 1)
                  .null);
  EXPECT_TRUE(
      split_merge(agg(AggregateFunction::kMean, ColumnType::kInt64, ColumnType::kFloat64), nulls, 1)
          .null);
  EXPECT_TRUE(
      split_merge(agg(AggregateFunction::kMin, ColumnType::kInt64, ColumnType::kInt64), nulls, 1)
          .null);
  const Value c =
      split_merge(agg(AggregateFunction::kCount, ColumnType::kInt64, ColumnType::kInt64), nulls, 1);
  EXPECT_FALSE(c.null);
  EXPECT_EQ(c.i64, 0);
}

constexpr std::string_view kRecords = R"(
[job]
format = tsv
[schema]
columns = Id:int64 user:string secs:float64 n:uint64 ts:timestamp
derive = day = date(ts)
)";

Job parse(const std::string& extra) { return testing::parse_job(std::string(kRecords) + extra); }

TEST(TableSpecSyntax, ReadsDedupTablesAggregatesAndHaving) {
  const Job job = parse(R"(
[dedup]
by = Id
keep = max(ts)
[table.rows]
columns = Id, user
having = secs > 1.5
[table.daily]
group_by = day, user
aggregates = Clicks = count(), Users = count_distinct(user), Avg = mean(secs), Total = sum(n), Lo = min(secs), Hi = max(user)
having = Clicks > 1
having = Avg <= 10
)");
  const TablesSpec& s = job.tables;
  EXPECT_EQ(s.dedup.mode, DedupMode::kByKey);
  EXPECT_EQ(s.dedup.key_columns, std::vector<std::size_t>{0});
  EXPECT_EQ(s.dedup.keep, KeepRule::kMax);
  EXPECT_EQ(s.dedup.keep_column, 4u);
  ASSERT_EQ(s.tables.size(), 2u);
  EXPECT_TRUE(s.tables[0].is_rows);
  EXPECT_EQ(s.tables[0].columns, (std::vector<std::size_t>{0, 1}));
  ASSERT_EQ(s.tables[0].having.size(), 1u);
  EXPECT_EQ(s.tables[0].having[0].column, 2u);  // a row column
  const TableSpec& d = s.tables[1];
  EXPECT_FALSE(d.is_rows);
  EXPECT_EQ(d.group_by, (std::vector<std::size_t>{5, 1}));
  ASSERT_EQ(d.aggregates.size(), 6u);
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  for (const OutputColumn& c : d.output) {
    names.push_back(c.name);
    types.push_back(c.type);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"day", "user", "Clicks", "Users", "Avg", "Total", "Lo",
                                             "Hi"}));
  EXPECT_EQ(types,
            (std::vector<ColumnType>{ColumnType::kDate, ColumnType::kString, ColumnType::kInt64,
                                     ColumnType::kInt64, ColumnType::kFloat64, ColumnType::kUint64,
                                     ColumnType::kFloat64, ColumnType::kString}));
  ASSERT_EQ(d.having.size(), 2u);
  EXPECT_EQ(d.having[0].column, 2u);  // an output column: Clicks
  EXPECT_EQ(d.having[1].column, 4u);  // Avg

  EXPECT_EQ(parse("[dedup]\nby = exact\nkeep = last\n").tables.dedup.mode, DedupMode::kExact);
  EXPECT_EQ(parse("").tables.dedup.mode, DedupMode::kNone);
  const Job star = parse("[table.t]\ncolumns = *\n");
  ASSERT_EQ(star.tables.tables.size(), 1u);
  EXPECT_TRUE(star.tables.tables[0].is_rows);
  EXPECT_EQ(star.tables.tables[0].output.size(), 6u);  // 5 schema columns + derived day
  EXPECT_EQ(star.tables.tables[0].output[5].name, "day");
}

// Every mistake is a ConfigError naming section.key.
TEST(TableSpecSyntax, MistakesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[dedup]\nby = Nope\n", "dedup.by"},
      {"[dedup]\nby = Id\nkeep = newest\n", "dedup.keep"},
      {"[dedup]\nby = Id\nkeep = max(Nope)\n", "dedup.keep"},
      {"[dedup]\nkeep = last\n", "dedup.keep"},
      {"[dedup]\nwhat = 1\n", "dedup.what"},
      {"[table.t]\ngroup_by = Nope\n", "table.t.group_by"},
      {"[table.t]\ngroup_by = day\naggregates = X = median(secs)\n", "table.t.aggregates"},
      {"[table.t]\ngroup_by = day\naggregates = X = sum(user)\n", "table.t.aggregates"},
      {"[table.t]\ngroup_by = day\naggregates = X = sum()\n", "table.t.aggregates"},
      {"[table.t]\ngroup_by = day\naggregates = count()\n", "table.t.aggregates"},
      {"[table.t]\ngroup_by = day\naggregates = day = count()\n", "table.t.aggregates"},
      {"[table.t]\ngroup_by = day\naggregates = X = count()\nhaving = Y > 1\n", "table.t.having"},
      {"[table.t]\ngroup_by = day\naggregates = X = count()\nhaving = X > abc\n", "table.t.having"},
      {"[table.t]\ngroup_by = day\ncolumns = Id\n", "table.t.columns"},
      {"[table.t]\norder = day\n", "table.t.order"},
      {"[table.a-b]\ngroup_by = day\n", "table.a-b.group_by"},
  };
  for (const auto& [text, key] : cases) {
    try {
      parse(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("job.ini: " + key + ":"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dumpmill::tables
