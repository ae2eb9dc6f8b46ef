// count / count_distinct / sum / mean / min / max as mergeable partial states.
#include "dumpmill/tables/partial_aggregate.hpp"

#include <cstring>

#include "dumpmill/tables/value_codec.hpp"

namespace dumpmill::tables {
namespace {

using records::ColumnType;

bool sums_as_u64(ColumnType t) { return t == ColumnType::kUint64; }
bool sums_as_f64(ColumnType t) { return t == ColumnType::kFloat64; }

void add_sum(const AggregateSpec& spec, AggregateState& s, const records::Value& v) {
  if (sums_as_u64(spec.input_type)) {
    s.u64 += v.u64;
  } else if (sums_as_f64(spec.input_type)) {
    s.f64 += v.f64;
  } else {
    // Unsigned addition: wraps instead of signed overflow (undefined behaviour).
    s.i64 = static_cast<std::int64_t>(static_cast<std::uint64_t>(s.i64) +
                                      static_cast<std::uint64_t>(v.i64));
  }
}

// True if `candidate` should replace `best` under min (want_max false) or max.
bool better(const records::Value& candidate, const records::Value& best, ColumnType type,
            bool want_max) {
  if (best.null) return true;
  const int c = records::compare_values(candidate, best, type);
  return want_max ? c > 0 : c < 0;
}

}  // namespace

void update_state(const AggregateSpec& spec, AggregateState& state, const records::Value& value) {
  if (!spec.has_column) {
    ++state.count;
    return;
  }
  if (value.null) return;
  ++state.count;
  switch (spec.function) {
    case AggregateFunction::kSum:
    case AggregateFunction::kMean: {
      add_sum(spec, state, value);
      break;
    }
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      if (better(value, state.best, spec.input_type, spec.function == AggregateFunction::kMax)) {
        state.best = value;
      }
      break;
    case AggregateFunction::kCount:
    case AggregateFunction::kCountDistinct:
      break;
  }
}

void merge_state(const AggregateSpec& spec, AggregateState& into, const AggregateState& from,
                 records::Arena* text_store) {
  into.count += from.count;
  into.i64 = static_cast<std::int64_t>(static_cast<std::uint64_t>(into.i64) +
                                       static_cast<std::uint64_t>(from.i64));
  into.u64 += from.u64;
  into.f64 += from.f64;
  if (spec.function != AggregateFunction::kMin && spec.function != AggregateFunction::kMax) return;
  if (from.best.null) return;
  if (!better(from.best, into.best, spec.input_type, spec.function == AggregateFunction::kMax)) {
    return;
  }
  into.best = from.best;
  if (text_store != nullptr && spec.input_type == ColumnType::kString && !from.best.text.empty()) {
    char* copy = text_store->allocate(from.best.text.size());
    std::memcpy(copy, from.best.text.data(), from.best.text.size());
    into.best.text = std::string_view(copy, from.best.text.size());
  }
}

void encode_state(aggregate::KeyBuilder& out, const AggregateSpec& spec,
                  const AggregateState& state) {
  switch (spec.function) {
    case AggregateFunction::kCountDistinct:
      return;
    case AggregateFunction::kCount:
      out.add_u64(static_cast<std::uint64_t>(state.count));
      return;
    case AggregateFunction::kSum:
    case AggregateFunction::kMean:
      out.add_u64(static_cast<std::uint64_t>(state.count));
      if (sums_as_u64(spec.input_type)) {
        out.add_u64(state.u64);
      } else if (sums_as_f64(spec.input_type)) {
        records::Value v;
        v.null = false;
        v.f64 = state.f64;
        encode_value(out, v, ColumnType::kFloat64);
      } else {
        out.add_u64(static_cast<std::uint64_t>(state.i64));
      }
      return;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      out.add_u64(static_cast<std::uint64_t>(state.count));
      encode_value(out, state.best, spec.input_type);
      return;
  }
}

AggregateState decode_state(aggregate::KeyReader& in, const AggregateSpec& spec) {
  AggregateState s;
  if (spec.function == AggregateFunction::kCountDistinct) return s;
  s.count = static_cast<std::int64_t>(in.u64());
  switch (spec.function) {
    case AggregateFunction::kSum:
    case AggregateFunction::kMean:
      if (sums_as_u64(spec.input_type)) {
        s.u64 = in.u64();
      } else if (sums_as_f64(spec.input_type)) {
        s.f64 = decode_value(in, ColumnType::kFloat64).f64;
      } else {
        s.i64 = static_cast<std::int64_t>(in.u64());
      }
      break;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      s.best = decode_value(in, spec.input_type);
      break;
    case AggregateFunction::kCount:
    case AggregateFunction::kCountDistinct:
      break;
  }
  return s;
}

records::Value finish_state(const AggregateSpec& spec, const AggregateState& state) {
  records::Value v;
  switch (spec.function) {
    case AggregateFunction::kCount:
    case AggregateFunction::kCountDistinct:
      v.null = false;
      v.i64 = state.count;
      return v;
    case AggregateFunction::kSum:
      if (state.count == 0) return v;
      v.null = false;
      v.i64 = state.i64;
      v.u64 = state.u64;
      v.f64 = state.f64;
      return v;
    case AggregateFunction::kMean:
      if (state.count == 0) return v;
      v.null = false;
      if (sums_as_u64(spec.input_type)) {
        v.f64 = static_cast<double>(state.u64) / static_cast<double>(state.count);
      } else if (sums_as_f64(spec.input_type)) {
        v.f64 = state.f64 / static_cast<double>(state.count);
      } else {
        v.f64 = static_cast<double>(state.i64) / static_cast<double>(state.count);
      }
      return v;
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      return state.best;
  }
  return v;
}

}  // namespace dumpmill::tables
