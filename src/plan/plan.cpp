// Rank 0's plan: inspect inputs, decide how each splits, cut ranges, balance them over ranks.
#include "dumpmill/plan/plan.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>

#include "dumpmill/codec/fingerprint.hpp"
#include "dumpmill/codec/open_decoded.hpp"
#include "dumpmill/codec/zstd_frames.hpp"
#include "dumpmill/core/byte_size.hpp"
#include "dumpmill/core/error.hpp"
#include "dumpmill/core/wire.hpp"

namespace dumpmill::plan {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kToEnd = std::numeric_limits<std::uint64_t>::max();

bool is_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// A unit of work before rank assignment.
struct Unit {
  std::uint32_t file;
  std::uint64_t begin, end;
  std::uint64_t weight;  // decoded bytes (estimated for unsplit files)
  std::optional<codec::GzipCheckpoint> start;
  std::optional<codec::GzipCheckpoint> member;
};

// gzip ISIZE (decoded size mod 2^32) of the last member, lifted above the compressed size:
// a progress estimate only, exact for single-member files under 4 GiB.
std::uint64_t estimate_gzip_decoded(const std::string& path, std::uint64_t size) {
  if (size < 18) return size;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return size * 3;
  unsigned char b[4] = {0, 0, 0, 0};
  const bool ok = std::fseek(f, -4, SEEK_END) == 0 && std::fread(b, 1, 4, f) == 4;
  std::fclose(f);
  if (!ok) return size * 3;
  std::uint64_t est = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint64_t>(b[3]) << 24);
  while (est < size) est += 1ull << 32;
  return est;
}

// Reads the first line (at most 64 KiB of it) to find a header and the column layout.
std::string first_line(const std::string& path, codec::Codec codec) {
  auto reader = codec::open_decoded(path, codec, 0, nullptr, 64 << 10);
  std::string buf(64 << 10, '\0');
  std::size_t have = 0;
  while (have < buf.size()) {
    const std::size_t n = reader->read(buf.data() + have, buf.size() - have);
    if (n == 0) break;
    have += n;
    if (buf.find('\n') < have) break;
  }
  buf.resize(have);
  std::string line = buf.substr(0, buf.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

InputFile inspect(const std::string& path, const PlanOptions& options) {
  InputFile f;
  f.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path, std::nullopt, "cannot stat input");
  if (!S_ISREG(st.st_mode)) throw InputError(path, std::nullopt, "not a regular file");
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.codec = codec::sniff_codec(path);
  f.fingerprint = codec::file_fingerprint(path);
  if (f.size == 0) {
    f.decoded_size_known = true;
    f.note = "empty file: no records";
    return f;
  }
  const std::string line = first_line(path, f.codec);
  if (auto header = parse::detect_click_header(line)) {
    f.has_header = true;
    f.schema = *header;
  } else if (auto guess = parse::guess_click_schema(line)) {
    f.schema = *guess;
  }
  if (f.schema == parse::ClickSchema::kLegacy2015) {
    if (options.legacy == LegacyPolicy::kReject)
      throw InputError(path, 0,
                       "uses the 2015 six-column clickstream layout (prev_id curr_id n prev_title "
                       "curr_title type) and the job sets input.legacy_schema = reject");
    f.note = "2015 six-column layout, mapped to prev curr type n";
  }
  return f;
}

void cut_plain(std::uint32_t index, const InputFile& f, std::uint64_t unit_size,
               std::vector<Unit>& units) {
  for (std::uint64_t off = 0; off < f.size; off += unit_size) {
    const std::uint64_t end = std::min(f.size, off + unit_size);
    units.push_back(
        {index, off, end == f.size ? kToEnd : end, end - off, std::nullopt, std::nullopt});
  }
}

// Groups zstd frames into units of at most unit_size decoded bytes (at least one frame each;
// every frame declares its size). The reader of a unit starts at the frame holding the byte
// before `begin` (the scanner needs it), so it decodes and drops one frame it does not own.
void cut_zstd(std::uint32_t index, const codec::ZstdFrameIndex& idx, std::uint64_t unit_size,
              std::vector<Unit>& units) {
  const auto& fr = idx.frames;
  const std::uint64_t total = *idx.decoded_size;
  std::size_t i = 0;
  while (i < fr.size() && *fr[i].decoded_offset < total) {
    std::size_t j = i + 1;
    while (j < fr.size() && *fr[j].decoded_offset < total &&
           *fr[j].decoded_offset - *fr[i].decoded_offset < unit_size)
      ++j;
    const bool last = j >= fr.size() || *fr[j].decoded_offset >= total;
    const std::uint64_t begin = *fr[i].decoded_offset;
    const std::uint64_t end = last ? total : *fr[j].decoded_offset;
    Unit u{index, begin, last ? kToEnd : end, end - begin, std::nullopt, std::nullopt};
    if (begin > 0) {
      const codec::ZstdFrame& f = fr[*codec::zstd_frame_for_offset(idx, begin - 1)];
      u.start = codec::GzipCheckpoint{f.compressed_offset * 8, *f.decoded_offset, true, {}};
    }
    units.push_back(std::move(u));
    i = j;
  }
}

// Groups checkpoint intervals into units of at most unit_size decoded bytes (at least one
// interval each). A unit starting at a member start has no window, so its reader starts one
// checkpoint earlier to see the byte before `begin`.
void cut_gzip(std::uint32_t index, const codec::GzipIndex& idx, std::uint64_t unit_size,
              std::vector<Unit>& units) {
  const auto& pts = idx.points;
  std::size_t i = 0;
  while (i < pts.size() && pts[i].out_offset < idx.decoded_size) {
    std::size_t j = i + 1;
    while (j < pts.size() && pts[j].out_offset < idx.decoded_size &&
           pts[j].out_offset - pts[i].out_offset < unit_size)
      ++j;
    const bool last = j >= pts.size() || pts[j].out_offset >= idx.decoded_size;
    const std::uint64_t begin = pts[i].out_offset;
    const std::uint64_t end = last ? idx.decoded_size : pts[j].out_offset;
    Unit u{index, begin, last ? kToEnd : end, end - begin, std::nullopt, std::nullopt};
    if (begin > 0) {
      std::size_t s = i;
      while (s > 0 && pts[s].window.empty()) --s;
      if (pts[s].out_offset > 0 || !pts[s].window.empty()) {
        u.start = pts[s];
        if (!pts[s].member_start) {
          std::size_t m = s;
          while (!pts[m].member_start) --m;  // points[0] is a member start
          u.member = pts[m];
        }
      }
      // s == 0 with an empty window: decode from the file start (correct, only slower).
    }
    units.push_back(std::move(u));
    i = j;
  }
}

}  // namespace

std::vector<const WorkRange*> Plan::ranges_of(int rank) const {
  std::vector<const WorkRange*> out;
  for (const auto& r : ranges)
    if (r.rank == rank) out.push_back(&r);
  return out;
}

std::vector<WorkRange> Plan::work_of(int rank) const {
  std::vector<WorkRange> out;
  for (const auto* r : ranges_of(rank)) {
    if (!out.empty() && out.back().file == r->file && out.back().end == r->begin) {
      out.back().end = r->end;
    } else {
      out.push_back(*r);
    }
  }
  return out;
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    const std::string key = fs::weakly_canonical(p).string();
    if (seen.insert(key).second) out.push_back(p);
  };
  for (const auto& spec : specs) {
    if (is_glob(spec)) {
      glob_t g{};
      const int rc = ::glob(spec.c_str(), 0, nullptr, &g);
      std::vector<std::string> matches;
      if (rc == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
      globfree(&g);
      if (matches.empty()) throw InputError(spec, std::nullopt, "pattern matches no file");
      std::sort(matches.begin(), matches.end());
      for (const auto& m : matches)
        if (fs::is_regular_file(m)) add(m);
      continue;
    }
    std::error_code ec;
    const auto status = fs::status(spec, ec);
    if (ec || !fs::exists(status))
      throw InputError(spec, std::nullopt, "no such file or directory");
    if (fs::is_directory(status)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(spec)) {
        const std::string name = e.path().filename().string();
        if (name.empty() || name[0] == '.' || e.path().extension() == ".dmidx") continue;
        if (e.is_regular_file()) files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) add(f);
      continue;
    }
    add(spec);
  }
  if (out.empty())
    throw InputError(specs.empty() ? "" : specs.front(), std::nullopt, "no input files");
  return out;
}

std::uint64_t checkpoint_spacing(const PlanOptions& options) {
  const std::uint64_t range_size = std::max<std::uint64_t>(1, options.range_size);
  return options.checkpoint_spacing != 0
             ? options.checkpoint_spacing
             : std::max<std::uint64_t>(64 << 10,
                                       std::min(codec::kDefaultCheckpointSpacing, range_size));
}

namespace {

// A gzip file worth splitting: several ranks, and big enough to pay for the index.
bool splits_gzip(std::uint64_t size, const PlanOptions& options) {
  return options.ranks > 1 && size >= options.gzip_split_min;
}

}  // namespace

std::vector<std::string> gzip_inputs_needing_index(const std::vector<std::string>& inputs,
                                                   const PlanOptions& options) {
  std::vector<std::string> out;
  const std::uint64_t spacing = checkpoint_spacing(options);
  for (const auto& path : expand_inputs(inputs)) {
    std::error_code ec;
    const std::uint64_t size = fs::file_size(path, ec);
    if (ec || codec::sniff_codec(path) != codec::Codec::kGzip || !splits_gzip(size, options)) {
      continue;
    }
    const auto cached =
        codec::load_gzip_index(codec::gzip_index_path(path, options.index_cache), path);
    if (!cached || cached->spacing != spacing) out.push_back(path);
  }
  return out;
}

Plan make_plan(const std::vector<std::string>& inputs, const PlanOptions& options) {
  Plan plan;
  plan.ranks = std::max(1, options.ranks);
  const std::uint64_t range_size = std::max<std::uint64_t>(1, options.range_size);
  const std::uint64_t spacing = checkpoint_spacing(options);

  for (const auto& path : expand_inputs(inputs)) plan.files.push_back(inspect(path, options));

  // Which gzip files split: only with several ranks, and only when big enough to pay for the index.
  std::vector<std::optional<codec::GzipIndex>> indexes(plan.files.size());
  std::vector<std::optional<codec::ZstdFrameIndex>> zstd_frames(plan.files.size());
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    InputFile& f = plan.files[i];
    if (f.codec == codec::Codec::kPlain) {
      f.decoded_size_known = true;
      f.decoded_size = f.size;
      f.split = true;
    } else if (f.codec == codec::Codec::kGzip && splits_gzip(f.size, options)) {
      bool built = false;
      std::string how;
      const auto pre = options.prebuilt_indexes.find(f.path);
      if (pre != options.prebuilt_indexes.end() && pre->second.file_size == f.size &&
          pre->second.file_mtime_ns == f.mtime_ns && pre->second.fingerprint == f.fingerprint &&
          pre->second.spacing == spacing) {
        indexes[i] = pre->second;
        codec::store_gzip_index(*indexes[i], f.path, options.index_cache);
        const auto note = options.prebuilt_notes.find(f.path);
        how = "built by " + std::to_string(plan.ranks) + " ranks in parallel" +
              (note == options.prebuilt_notes.end() ? "" : ", " + note->second);
      } else {
        indexes[i] = codec::load_or_build_gzip_index(f.path, spacing, options.index_cache, &built);
        how = built ? "built in one sequential pass" : "loaded";
        const auto note = options.prebuilt_notes.find(f.path);
        if (built && note != options.prebuilt_notes.end()) how += " (" + note->second + ")";
      }
      f.decoded_size_known = true;
      f.decoded_size = indexes[i]->decoded_size;
      f.split = true;
      plan.log.push_back(f.path + ": gzip index " + how + " (" +
                         std::to_string(indexes[i]->points.size()) + " checkpoints, " +
                         std::to_string(indexes[i]->members) + " member(s), " +
                         format_bytes(f.decoded_size) + " decoded)");
    } else if (f.codec == codec::Codec::kGzip) {
      f.decoded_size = estimate_gzip_decoded(f.path, f.size);
      if (plan.ranks > 1)
        f.note = "gzip smaller than " + format_bytes(options.gzip_split_min) +
                 " (run.gzip_split_min): read by one rank";
    } else if (f.size > 0 && plan.ranks > 1) {
      codec::ZstdFrameIndex frames = codec::walk_zstd_frames(f.path);
      if (frames.frames.size() > 1 && frames.all_sizes_declared) {
        f.decoded_size_known = true;
        f.decoded_size = *frames.decoded_size;
        f.split = true;
        plan.log.push_back(f.path + ": zstd, " + std::to_string(frames.frames.size()) +
                           " frames, split at frame starts (" + format_bytes(f.decoded_size) +
                           " decoded)");
        zstd_frames[i] = std::move(frames);
      } else {
        f.decoded_size = frames.decoded_size.value_or(f.size * 4);
        f.note = frames.frames.size() <= 1
                     ? "zstd, one frame: read by one rank (a frame is the unit zstd can start at)"
                     : "zstd, frames without a declared content size: read by one rank (ranges "
                       "cannot be placed without decoding)";
      }
    } else {
      f.decoded_size = f.size * 4;
    }
    plan.decoded_bytes_estimate += f.decoded_size;
  }

  std::uint64_t splittable = 0;
  for (const auto& f : plan.files)
    if (f.split) splittable += f.decoded_size;
  const std::uint64_t per_rank = (splittable + plan.ranks - 1) / plan.ranks;
  const std::uint64_t unit_size = std::max<std::uint64_t>(1, std::min(range_size, per_rank));

  std::vector<Unit> units;
  for (std::uint32_t i = 0; i < plan.files.size(); ++i) {
    const InputFile& f = plan.files[i];
    if (f.size == 0) continue;
    if (f.codec == codec::Codec::kPlain) {
      cut_plain(i, f, unit_size, units);
    } else if (indexes[i]) {
      cut_gzip(i, *indexes[i], unit_size, units);
    } else if (zstd_frames[i]) {
      cut_zstd(i, *zstd_frames[i], unit_size, units);
    } else {
      units.push_back({i, 0, kToEnd, f.decoded_size, std::nullopt, std::nullopt});
    }
  }

  // Contiguous assignment by the unit's midpoint in the cumulative weight: balanced, and a
  // rank's ranges stay in file order (good for read-ahead).
  std::uint64_t total = 0;
  for (const auto& u : units) total += u.weight;
  std::uint64_t before = 0;
  for (auto& u : units) {
    WorkRange r;
    r.file = u.file;
    r.begin = u.begin;
    r.end = u.end;
    r.start = std::move(u.start);
    r.member = std::move(u.member);
    if (total > 0) {
      const long double mid =
          static_cast<long double>(before) + static_cast<long double>(u.weight) / 2;
      r.rank = static_cast<int>(std::min<long double>(plan.ranks - 1, mid * plan.ranks / total));
    }
    before += u.weight;
    plan.ranges.push_back(std::move(r));
  }
  for (const auto& f : plan.files)
    if (!f.note.empty()) plan.log.push_back(f.path + ": " + f.note);
  return plan;
}

std::vector<char> serialize_plan(const Plan& plan) {
  WireWriter w;
  w.u64(static_cast<std::uint64_t>(plan.ranks));
  w.u64(plan.decoded_bytes_estimate);
  w.u64(plan.files.size());
  for (const auto& f : plan.files) {
    w.str(f.path);
    w.u64(f.size);
    w.i64(f.mtime_ns);
    w.u64(f.fingerprint);
    w.u8(static_cast<std::uint8_t>(f.codec));
    w.u8(static_cast<std::uint8_t>(f.schema));
    w.u8(f.has_header);
    w.u8(f.decoded_size_known);
    w.u64(f.decoded_size);
    w.u8(f.split);
    w.str(f.note);
  }
  w.u64(plan.ranges.size());
  for (const auto& r : plan.ranges) {
    w.u64(r.file);
    w.u64(r.begin);
    w.u64(r.end);
    w.u64(static_cast<std::uint64_t>(r.rank));
    for (const auto* c : {&r.start, &r.member}) {
      w.u8(c->has_value());
      if (*c) {
        w.u64((*c)->in_bit_offset);
        w.u64((*c)->out_offset);
        w.u8((*c)->member_start);
        w.blob((*c)->window);
      }
    }
  }
  w.u64(plan.log.size());
  for (const auto& l : plan.log) w.str(l);
  return std::move(w.bytes());
}

Plan deserialize_plan(std::span<const char> bytes) {
  WireReader r(bytes);
  Plan plan;
  plan.ranks = static_cast<int>(r.u64());
  plan.decoded_bytes_estimate = r.u64();
  plan.files.resize(r.u64());
  for (auto& f : plan.files) {
    f.path = r.str();
    f.size = r.u64();
    f.mtime_ns = r.i64();
    f.fingerprint = r.u64();
    f.codec = static_cast<codec::Codec>(r.u8());
    f.schema = static_cast<parse::ClickSchema>(r.u8());
    f.has_header = r.u8() != 0;
    f.decoded_size_known = r.u8() != 0;
    f.decoded_size = r.u64();
    f.split = r.u8() != 0;
    f.note = r.str();
  }
  plan.ranges.resize(r.u64());
  for (auto& w : plan.ranges) {
    w.file = static_cast<std::uint32_t>(r.u64());
    w.begin = r.u64();
    w.end = r.u64();
    w.rank = static_cast<int>(r.u64());
    for (auto* c : {&w.start, &w.member}) {
      if (r.u8()) {
        codec::GzipCheckpoint cp;
        cp.in_bit_offset = r.u64();
        cp.out_offset = r.u64();
        cp.member_start = r.u8() != 0;
        cp.window = r.blob();
        *c = std::move(cp);
      }
    }
  }
  plan.log.resize(r.u64());
  for (auto& l : plan.log) l = r.str();
  return plan;
}

}  // namespace dumpmill::plan
