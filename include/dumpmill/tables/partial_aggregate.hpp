// One aggregate's per-group state: updated per row, merged across ranks, finished into a value.
#pragma once

#include <cstdint>

#include "dumpmill/aggregate/key_codec.hpp"
#include "dumpmill/records/value.hpp"
#include "dumpmill/tables/table_spec.hpp"

namespace dumpmill::tables {

// Trivially small and copyable: a grouped table keeps one per (group, aggregate).
// count_distinct is NOT carried here: its values travel as (group, value) pairs to the
// group's owner, which counts distinct pairs into `count` (see tables_run.hpp).
struct AggregateState {
  std::int64_t count = 0;  // count(): rows; otherwise non-null inputs seen
  std::int64_t i64 = 0;    // sum of an int64/bool column (wraps modulo 2^64)
  std::uint64_t u64 = 0;   // sum of a uint64 column
  double f64 = 0;          // sum of a float64 column
  records::Value best;     // min/max so far (null until the first non-null input)
};

// Folds one row's value of the aggregate's column in (ignored for count()). A min/max
// string keeps viewing `value.text`: the caller keeps those bytes alive.
void update_state(const AggregateSpec& spec, AggregateState& state, const records::Value& value);

// Folds a partial state in. A min/max string adopted from `from` is copied into `text_store`
// when it is not null (received bytes die after the call), else kept as a view.
void merge_state(const AggregateSpec& spec, AggregateState& into, const AggregateState& from,
                 records::Arena* text_store);

// The partial state as bytes (nothing for count_distinct), and back; decode's string views
// the reader's bytes. decode throws std::out_of_range on truncated bytes.
void encode_state(aggregate::KeyBuilder& out, const AggregateSpec& spec,
                  const AggregateState& state);
AggregateState decode_state(aggregate::KeyReader& in, const AggregateSpec& spec);

// The result value, of spec.result_type: null for sum/mean/min/max of no non-null input.
records::Value finish_state(const AggregateSpec& spec, const AggregateState& state);

}  // namespace dumpmill::tables
