// The plan: which inputs, how each decodes, and which byte ranges each rank reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dumpmill/codec/codec.hpp"
#include "dumpmill/codec/gzip_index.hpp"
#include "dumpmill/parse/clickstream.hpp"

namespace dumpmill::plan {

// 256 MiB: the unit of assignment to ranks. A rank's neighbouring ranges are merged into one scan
// (Plan::work_of), so the size does not change how a rank reads: measured at 2 ranks on 2 M rows
// (103 MB plain), the read stage took 0.61/0.69 s with 1 MiB ranges and 0.65/1.00 s with 256 MiB
// (noise). Ranges are capped at input/ranks so every rank gets work; a larger default keeps plans
// small for TB-scale inputs (4 K ranges per TiB). Tests shrink it to a few bytes.
inline constexpr std::uint64_t kDefaultRangeSize = 256ull << 20;

// gzip files smaller than this are not split by default: building an index costs a full
// sequential decode, which for a 4 MiB file (~12 MiB decoded, ~30 ms) is more than splitting saves.
inline constexpr std::uint64_t kMinSplitGzipBytes = 4ull << 20;

struct InputFile {
  std::string path;
  std::uint64_t size = 0;  // bytes on disk
  std::int64_t mtime_ns = 0;
  std::uint64_t fingerprint = 0;  // codec::file_fingerprint
  codec::Codec codec = codec::Codec::kPlain;
  parse::ClickSchema schema = parse::ClickSchema::kCurrent;
  bool has_header = false;  // the first line is a header (2015, 2016-2017 releases)
  bool decoded_size_known = false;
  std::uint64_t decoded_size = 0;  // exact when known, else an estimate (for progress only)
  bool split = false;              // cut into several ranges
  std::string note;                // why a file was not split, schema notes; logged by rank 0
};

// A rank's unit of work: the records that start in [begin, end) of the decoded stream of one file.
struct WorkRange {
  std::uint32_t file = 0;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;  // UINT64_MAX: to the end of the stream
  int rank = 0;
  // gzip: where decoding starts (a checkpoint at or before begin - 1); absent = from byte 0.
  // zstd: the start of the frame holding byte begin - 1 (in_bit_offset = 8 x its file offset,
  // member_start = true, no window).
  std::optional<codec::GzipCheckpoint> start;
  // gzip: the start of the member holding `start` (the reader checks that member's ISIZE
  // relative to it); absent when `start` is itself a member start.
  std::optional<codec::GzipCheckpoint> member;
};

struct Plan {
  std::vector<InputFile> files;
  std::vector<WorkRange> ranges;  // in file order, then offset order
  int ranks = 1;
  std::uint64_t decoded_bytes_estimate = 0;
  std::vector<std::string> log;  // what rank 0 decided and why, printed once

  std::vector<const WorkRange*> ranges_of(int rank) const;
  // The ranges of `rank` with neighbours in the same file merged into one: the union owns exactly
  // the same records, and one scan per piece means a range starting inside a long line does not
  // re-read it (with 64-byte ranges and a 2 MiB line that was 32 K re-reads).
  std::vector<WorkRange> work_of(int rank) const;
};

enum class LegacyPolicy { kMap, kReject };

struct PlanOptions {
  int ranks = 1;
  std::uint64_t range_size = kDefaultRangeSize;
  std::uint64_t checkpoint_spacing = 0;  // 0: min(codec default, range_size), at least 64 KiB
  std::string index_cache;               // for gzip indexes when the input dir is read-only
  std::uint64_t gzip_split_min = kMinSplitGzipBytes;
  LegacyPolicy legacy = LegacyPolicy::kMap;
  // Indexes already built (build_gzip_index_parallel), by input path: make_plan saves them to
  // the index cache and uses them instead of a sequential build.
  std::map<std::string, codec::GzipIndex> prebuilt_indexes;
  std::map<std::string, std::string> prebuilt_notes;  // logged with "built in parallel"
};

// The decoded bytes between gzip checkpoints these options ask for.
std::uint64_t checkpoint_spacing(const PlanOptions& options);

// Rank 0: the gzip inputs make_plan will split but has no valid cached index for (the ones
// worth building in parallel first). Throws like expand_inputs.
std::vector<std::string> gzip_inputs_needing_index(const std::vector<std::string>& inputs,
                                                   const PlanOptions& options);

// Expands files, directories (their regular files, sorted, hidden and *.dmidx skipped) and glob
// patterns; throws InputError for a missing path or a pattern that matches nothing.
std::vector<std::string> expand_inputs(const std::vector<std::string>& specs);

// Rank 0: inspect every input (codec, schema, size, fingerprint), build or load gzip indexes
// where splitting pays, cut ranges and assign them to ranks. Throws InputError / ConfigError.
Plan make_plan(const std::vector<std::string>& inputs, const PlanOptions& options);

std::vector<char> serialize_plan(const Plan& plan);
Plan deserialize_plan(std::span<const char> bytes);

}  // namespace dumpmill::plan
