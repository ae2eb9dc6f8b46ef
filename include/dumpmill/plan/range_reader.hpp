// Opens the decoded stream of one work range, positioned so the scanner can see byte begin - 1.
#pragma once

#include <memory>

#include "dumpmill/codec/decoded_reader.hpp"
#include "dumpmill/plan/plan.hpp"

namespace dumpmill::plan {

// Returns a reader at decoded offset begin - 1 (or 0 when begin == 0), as parse::RangeScanner
// needs. For a gzip range that starts at a checkpoint, the byte before it is the last byte of the
// checkpoint's window, so no extra decoding is done.
std::unique_ptr<codec::DecodedReader> open_range(const InputFile& file, const WorkRange& range,
                                                 std::size_t buffer_bytes);

}  // namespace dumpmill::plan
