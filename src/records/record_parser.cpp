// The job's record definition and the per-line parse -> check -> derive -> filter step.
#include "dumpmill/records/record_parser.hpp"

#include <stdexcept>

namespace dumpmill::records {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

std::optional<std::size_t> RecordSpec::find(std::string_view name) const {
  if (auto i = schema.find(name)) return i;
  for (std::size_t k = 0; k < derived.size(); ++k) {
    if (derived[k].name == name) return schema.columns.size() + k;
  }
  return std::nullopt;
}

std::string_view RecordSpec::column_name(std::size_t index) const {
  const std::size_t n = schema.columns.size();
  return index < n ? std::string_view(schema.columns[index].name)
                   : std::string_view(derived.at(index - n).name);
}

ColumnType RecordSpec::column_type(std::size_t index) const {
  const std::size_t n = schema.columns.size();
  return index < n ? schema.columns[index].type : derived.at(index - n).type;
}

RecordSpec record_spec_from_entries(const std::vector<JobEntry>& entries, std::string_view source) {
  RecordSpec spec;
  spec.format = parse_format(entries, source);
  spec.schema = parse_schema(entries, source);
  spec.derived = parse_derived(entries, spec.schema, source);
  spec.filters = parse_filters(entries, spec.schema, spec.derived, source);
  return spec;
}

RecordSpec parse_record_spec(std::string_view ini_text, std::string_view source) {
  return record_spec_from_entries(read_job_entries(ini_text, source), source);
}

RecordParser::RecordParser(const RecordSpec& spec) : spec_(spec) {
  if (spec.format.format == Format::kJsonl) {
    jsonl_.emplace(spec.schema);
  } else {
    delimited_.emplace(spec.format, spec.schema);
  }
}

HeaderBinding RecordParser::bind_header(std::string_view line) {
  if (!delimited_) throw std::logic_error("RecordParser::bind_header: jsonl has no header");
  binding_ = delimited_->bind_header(line);
  return binding_;
}

RowOutcome RecordParser::parse(const parse::Line& line, Row& row, RowReject& reject) {
  if (line.too_long) {
    reject = RowReject{parse::RejectReason::kLineTooLong};
    return RowOutcome::kRejected;
  }
  std::string_view text = line.text;
  if (line.offset == 0) {
    if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
    if (spec_.format.header && delimited_) {
      binding_ = delimited_->bind_header(text);
      return RowOutcome::kHeader;
    }
  }
  if (text.empty()) {
    if (spec_.format.skip_empty) return RowOutcome::kSkipped;
    reject = RowReject{parse::RejectReason::kEmptyLine};
    return RowOutcome::kRejected;
  }
  if (spec_.format.comment != '\0' && text.front() == spec_.format.comment) {
    return RowOutcome::kSkipped;
  }
  row.reset(spec_.width());
  const std::optional<RowReject> bad =
      jsonl_ ? jsonl_->parse(text, row) : delimited_->parse(text, row);
  if (bad) {
    reject = *bad;
    return RowOutcome::kRejected;
  }
  const auto& columns = spec_.schema.columns;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (auto r = check_value(columns[c], row.values[c])) {
      reject = RowReject{*r, static_cast<std::int32_t>(c)};
      return RowOutcome::kRejected;
    }
  }
  for (std::size_t k = 0; k < spec_.derived.size(); ++k) {
    compute_derived(spec_.derived[k], columns.size() + k, row);
  }
  for (const Filter& f : spec_.filters) {
    if (!filter_matches(f, row)) return RowOutcome::kFiltered;
  }
  return RowOutcome::kRow;
}

}  // namespace dumpmill::records
