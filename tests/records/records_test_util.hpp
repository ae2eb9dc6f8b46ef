// Test helpers: run text through RangeScanner + RecordParser and collect what came out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dumpmill/codec/decoded_reader.hpp"
#include "dumpmill/parse/range_scanner.hpp"
#include "dumpmill/records/record_parser.hpp"

namespace dumpmill::records::testing {

// Serves a string in chunks of at most `chunk` bytes, so scanner refills are crossed.
class StringReader final : public codec::DecodedReader {
 public:
  StringReader(std::string_view data, std::size_t chunk) : data_(data), chunk_(chunk) {}
  std::size_t read(char* dst, std::size_t capacity) override {
    const std::size_t n = std::min({capacity, chunk_, data_.size() - pos_});
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::uint64_t position() const override { return pos_; }

 private:
  std::string_view data_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

struct Outcomes {
  std::size_t rows = 0, rejected = 0, filtered = 0, skipped = 0, headers = 0;
  parse::RejectCounts reasons;
  std::vector<RowReject> rejects;
  std::vector<std::uint64_t> reject_offsets;
};

// Parses all of `text`; on_row(row) for every kept row.
template <typename OnRow>
Outcomes run_records(const RecordSpec& spec, std::string_view text, OnRow&& on_row,
                     std::size_t max_line = parse::RangeScanner::kDefaultMaxLineBytes,
                     std::size_t chunk = 1 << 16) {
  StringReader reader(text, chunk);
  parse::RangeScanner scanner(reader, 0, text.size(),
                              std::max(parse::RangeScanner::kDefaultBufferBytes, max_line + 2),
                              max_line);
  RecordParser parser(spec);
  Row row;
  RowReject reject{};
  parse::Line line{};
  Outcomes out;
  while (scanner.next(line)) {
    switch (parser.parse(line, row, reject)) {
      case RowOutcome::kRow:
        ++out.rows;
        on_row(row);
        break;
      case RowOutcome::kRejected:
        ++out.rejected;
        out.reasons.add(reject.reason);
        out.rejects.push_back(reject);
        out.reject_offsets.push_back(line.offset);
        break;
      case RowOutcome::kFiltered:
        ++out.filtered;
        break;
      case RowOutcome::kSkipped:
        ++out.skipped;
        break;
      case RowOutcome::kHeader:
        ++out.headers;
        break;
    }
  }
  return out;
}

inline Outcomes run_records(const RecordSpec& spec, std::string_view text) {
  return run_records(spec, text, [](const Row&) {});
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace dumpmill::records::testing
