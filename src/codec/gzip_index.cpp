// Building, saving, loading and caching gzip checkpoint indexes.
#include "dumpmill/codec/gzip_index.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>

#include "dumpmill/codec/fingerprint.hpp"
#include "dumpmill/core/error.hpp"
#include "file_input.hpp"
#include "gzip_format.hpp"

namespace dumpmill::codec {
namespace {

static_assert(std::endian::native == std::endian::little, "index format code assumes LE host");

// 1 MiB of input per pread; the builder is CPU-bound (zlib inflate, 160-220 MB/s decoded
// here), so larger buffers buy nothing.
constexpr std::size_t kBuildInputBytes = std::size_t{1} << 20;
// Output is only checksummed and dropped; 256 KiB keeps it in L2.
constexpr std::size_t kBuildOutputBytes = std::size_t{256} << 10;
// Refill the input window when fewer bytes than this remain (a long deflate header).
constexpr std::size_t kMinFeed = 4096;

constexpr char kMagic[8] = {'D', 'M', 'G', 'Z', 'I', 'D', 'X', '\n'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint8_t kWindowRaw = 0;
constexpr std::uint8_t kWindowDeflate = 1;
// Windows compress ~3x at level 6 on text; higher levels gained < 5% and cost 3x the time.
constexpr int kWindowCompressionLevel = 6;
// An index larger than this is not ours (a 1 TB input at 1 MiB spacing stays far below it).
constexpr std::uint64_t kMaxIndexFileBytes = std::uint64_t{1} << 32;

struct InflateEnd {
  void operator()(z_stream* s) const noexcept {
    inflateEnd(s);
    delete s;
  }
};
using InflateStream = std::unique_ptr<z_stream, InflateEnd>;

InflateStream make_raw_inflate() {
  auto* s = new z_stream{};
  if (inflateInit2(s, -15) != Z_OK) {
    delete s;
    throw std::bad_alloc();
  }
  return InflateStream(s);
}

// Decodes one member's deflate data from in.offset(), adding checkpoints; returns the member's
// decoded size and CRC32. `out` is the decoded offset of the member start.
struct MemberResult {
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};

MemberResult index_member(detail::FileInput& in, z_stream& zs, std::vector<std::uint8_t>& obuf,
                          std::uint64_t out, std::uint64_t spacing, GzipIndex& index) {
  MemberResult r;
  std::uint64_t last_point = out;
  if (inflateReset(&zs) != Z_OK) throw std::bad_alloc();
  for (;;) {
    in.fill(kMinFeed);
    const std::size_t avail = std::min<std::size_t>(in.available(), 1u << 30);
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(avail);
    zs.next_out = obuf.data();
    zs.avail_out = static_cast<uInt>(obuf.size());
    const int ret = inflate(&zs, Z_BLOCK);
    const std::size_t consumed = avail - zs.avail_in;
    const std::size_t produced = obuf.size() - zs.avail_out;
    in.consume(consumed);
    r.crc = detail::gzip_crc32(r.crc, obuf.data(), produced);
    r.size += produced;
    if (ret == Z_STREAM_END) return r;
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      throw InputError(
          in.path(), in.offset(),
          std::string("corrupt deflate data (") + (zs.msg ? zs.msg : "zlib error") + ")");
    }
    if (consumed == 0 && produced == 0) {
      if (in.at_end()) throw InputError(in.path(), in.offset(), "truncated gzip member");
      in.fill(in.available() + 1);
      continue;
    }
    // data_type: bit 7 = stopped at a block boundary, bit 6 = last block, bits 0-2 = unused
    // bits of the last consumed byte (they belong to the next block).
    const bool boundary = (zs.data_type & 128) != 0 && (zs.data_type & 64) == 0;
    const std::uint64_t at = out + r.size;
    if (boundary && at - last_point >= spacing) {
      GzipCheckpoint p;
      p.in_bit_offset = in.offset() * 8 - static_cast<std::uint64_t>(zs.data_type & 7);
      p.out_offset = at;
      p.member_start = false;
      p.window.resize(detail::kDeflateWindow);
      uInt wlen = 0;
      if (inflateGetDictionary(&zs, p.window.data(), &wlen) != Z_OK) throw std::bad_alloc();
      p.window.resize(wlen);
      index.points.push_back(std::move(p));
      last_point = at;
    }
  }
}

// ---- serialisation -------------------------------------------------------------------------

class Writer {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<std::uint8_t>& bytes() noexcept { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Bounds-checked cursor: every get fails softly so a corrupt file yields nullopt.
class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  template <typename T>
  bool get(T& v) {
    if (n_ - at_ < sizeof(T)) return false;
    std::memcpy(&v, p_ + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool take(std::size_t n, const std::uint8_t*& out) {
    if (n_ - at_ < n) return false;
    out = p_ + at_;
    at_ += n;
    return true;
  }
  std::size_t remaining() const noexcept { return n_ - at_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t at_ = 0;
};

struct CompressorFree {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};
struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};

std::optional<std::vector<std::uint8_t>> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::vector<std::uint8_t>> result;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) <= kMaxIndexFileBytes) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    if (done == bytes.size()) result = std::move(bytes);
  }
  ::close(fd);
  return result;
}

std::optional<GzipIndex> parse_index(const std::vector<std::uint8_t>& bytes) {
  constexpr std::size_t kTrailer = sizeof(std::uint64_t);
  if (bytes.size() < sizeof kMagic + kTrailer) return std::nullopt;
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  const std::size_t body = bytes.size() - kTrailer;
  std::uint64_t stored_sum = 0;
  std::memcpy(&stored_sum, bytes.data() + body, kTrailer);
  if (XXH3_64bits(bytes.data(), body) != stored_sum) return std::nullopt;

  Reader r(bytes.data() + sizeof kMagic, body - sizeof kMagic);
  std::uint32_t version = 0;
  std::uint32_t reserved = 0;
  std::uint64_t count = 0;
  GzipIndex idx;
  if (!r.get(version) || version != kFormatVersion) return std::nullopt;
  if (!r.get(idx.file_size) || !r.get(idx.file_mtime_ns) || !r.get(idx.fingerprint) ||
      !r.get(idx.spacing) || !r.get(idx.decoded_size) || !r.get(idx.members) || !r.get(reserved) ||
      !r.get(count)) {
    return std::nullopt;
  }
  // Each point takes >= 26 bytes on disk: reject counts the file cannot hold before reserving.
  constexpr std::size_t kMinPointBytes = 8 + 8 + 1 + 1 + 4 + 4;
  if (count == 0 || count > r.remaining() / kMinPointBytes) return std::nullopt;
  idx.points.reserve(static_cast<std::size_t>(count));

  std::unique_ptr<libdeflate_decompressor, DecompressorFree> dec(libdeflate_alloc_decompressor());
  if (!dec) return std::nullopt;
  for (std::uint64_t i = 0; i < count; ++i) {
    GzipCheckpoint p;
    std::uint8_t member_start = 0;
    std::uint8_t encoding = 0;
    std::uint32_t window_len = 0;
    std::uint32_t stored_len = 0;
    const std::uint8_t* stored = nullptr;
    if (!r.get(p.in_bit_offset) || !r.get(p.out_offset) || !r.get(member_start) ||
        !r.get(encoding) || !r.get(window_len) || !r.get(stored_len) ||
        !r.take(stored_len, stored)) {
      return std::nullopt;
    }
    if (member_start > 1 || window_len > detail::kDeflateWindow) return std::nullopt;
    p.member_start = member_start == 1;
    p.window.resize(window_len);
    if (encoding == kWindowRaw) {
      if (stored_len != window_len) return std::nullopt;
      if (window_len != 0) std::memcpy(p.window.data(), stored, window_len);
    } else if (encoding == kWindowDeflate) {
      std::size_t actual = 0;
      if (libdeflate_deflate_decompress(dec.get(), stored, stored_len, p.window.data(), window_len,
                                        &actual) != LIBDEFLATE_SUCCESS ||
          actual != window_len) {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    idx.points.push_back(std::move(p));
  }
  if (r.remaining() != 0) return std::nullopt;

  // Invariants the reader relies on; a file that breaks them did not come from us intact.
  const GzipCheckpoint& first = idx.points.front();
  if (first.in_bit_offset != 0 || first.out_offset != 0 || !first.member_start) return std::nullopt;
  std::uint32_t member_starts = 0;
  for (std::size_t i = 0; i < idx.points.size(); ++i) {
    const GzipCheckpoint& p = idx.points[i];
    if (p.member_start) {
      ++member_starts;
      if (!p.window.empty() || p.in_bit_offset % 8 != 0) return std::nullopt;
    }
    if (p.in_bit_offset >= idx.file_size * 8 || p.out_offset > idx.decoded_size) {
      return std::nullopt;
    }
    if (i > 0 && (p.out_offset < idx.points[i - 1].out_offset ||
                  p.in_bit_offset <= idx.points[i - 1].in_bit_offset)) {
      return std::nullopt;
    }
  }
  if (member_starts != idx.members || idx.spacing == 0) return std::nullopt;
  return idx;
}

bool directory_writable(const std::filesystem::path& dir) {
  return ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void throw_output(const std::string& path, const std::string& what, int err) {
  throw OutputError("cannot write gzip index " + path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

GzipIndex gzip_index_identity(const std::string& path, std::uint64_t spacing) {
  const detail::FileStat st = detail::stat_file(path);
  GzipIndex index;
  index.file_size = st.size;
  index.file_mtime_ns = st.mtime_ns;
  index.fingerprint = file_fingerprint(path);
  index.spacing = spacing;
  return index;
}

GzipIndex build_gzip_index(const std::string& path, std::uint64_t spacing) {
  if (spacing == 0) throw ConfigError("gzip index checkpoint spacing must be > 0");
  detail::FileInput in(path, kBuildInputBytes);
  GzipIndex index;
  index.file_size = in.stat().size;
  index.file_mtime_ns = in.stat().mtime_ns;
  index.fingerprint = file_fingerprint(path);
  index.spacing = spacing;

  InflateStream zs = make_raw_inflate();
  std::vector<std::uint8_t> obuf(kBuildOutputBytes);
  std::uint64_t out = 0;
  while (detail::probe_member(in, index.members == 0) == detail::MemberBoundary::kMember) {
    index.points.push_back(GzipCheckpoint{in.offset() * 8, out, true, {}});
    detail::read_gzip_header(in);
    const MemberResult m = index_member(in, *zs, obuf, out, spacing, index);
    const std::uint64_t trailer_at = in.offset();
    const detail::GzipTrailer t = detail::read_gzip_trailer(in);
    detail::check_gzip_trailer(in, trailer_at, t, true, m.crc, m.size);
    out += m.size;
    ++index.members;
  }
  index.decoded_size = out;

  const detail::FileStat after = detail::stat_file(path);
  if (after.size != index.file_size || after.mtime_ns != index.file_mtime_ns) {
    throw InputError(path, std::nullopt, "file changed while its gzip index was being built");
  }
  return index;
}

void save_gzip_index(const GzipIndex& index, const std::string& index_path) {
  Writer w;
  w.put_bytes(kMagic, sizeof kMagic);
  w.put(kFormatVersion);
  w.put(index.file_size);
  w.put(index.file_mtime_ns);
  w.put(index.fingerprint);
  w.put(index.spacing);
  w.put(index.decoded_size);
  w.put(index.members);
  w.put(std::uint32_t{0});
  w.put(static_cast<std::uint64_t>(index.points.size()));

  std::unique_ptr<libdeflate_compressor, CompressorFree> comp(
      libdeflate_alloc_compressor(kWindowCompressionLevel));
  if (!comp) throw std::bad_alloc();
  std::vector<std::uint8_t> packed(detail::kDeflateWindow);
  for (const GzipCheckpoint& p : index.points) {
    if (p.window.size() > detail::kDeflateWindow) {
      throw OutputError("cannot write gzip index " + index_path + ": window larger than 32 KiB");
    }
    w.put(p.in_bit_offset);
    w.put(p.out_offset);
    w.put(static_cast<std::uint8_t>(p.member_start ? 1 : 0));
    // Store raw when deflate does not shrink the window (random data): libdeflate returns 0.
    const std::size_t n =
        p.window.empty() ? 0
                         : libdeflate_deflate_compress(comp.get(), p.window.data(), p.window.size(),
                                                       packed.data(), p.window.size() - 1);
    const auto window_len = static_cast<std::uint32_t>(p.window.size());
    if (n == 0) {
      w.put(kWindowRaw);
      w.put(window_len);
      w.put(window_len);
      w.put_bytes(p.window.data(), p.window.size());
    } else {
      w.put(kWindowDeflate);
      w.put(window_len);
      w.put(static_cast<std::uint32_t>(n));
      w.put_bytes(packed.data(), n);
    }
  }
  const std::uint64_t sum = XXH3_64bits(w.bytes().data(), w.bytes().size());
  w.put(sum);

  std::string tmp = index_path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw_output(index_path, "cannot create temporary file", errno);
  const std::vector<std::uint8_t>& bytes = w.bytes();
  std::size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(put);
  }
  if (err == 0 && ::fchmod(fd, 0644) != 0) err = errno;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), index_path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw_output(index_path, "write failed", err);
  }
}

std::optional<GzipIndex> load_gzip_index(const std::string& index_path,
                                         const std::string& input_path) noexcept {
  // The contract is "nullopt, never throws": an unreadable cache only means a rebuild, and
  // the rebuild reports any real problem with the input itself.
  try {
    const std::optional<std::vector<std::uint8_t>> bytes = read_whole_file(index_path);
    if (!bytes) return std::nullopt;
    std::optional<GzipIndex> idx = parse_index(*bytes);
    if (!idx) return std::nullopt;
    const detail::FileStat st = detail::stat_file(input_path);
    if (st.size != idx->file_size || st.mtime_ns != idx->file_mtime_ns) return std::nullopt;
    if (file_fingerprint(input_path) != idx->fingerprint) return std::nullopt;
    return idx;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string gzip_index_path(const std::string& input_path, const std::string& cache_dir,
                            IndexPlacement placement) {
  namespace fs = std::filesystem;
  const fs::path input(input_path);
  if (placement == IndexPlacement::kAuto) {
    placement = directory_writable(input.parent_path()) ? IndexPlacement::kBesideInput
                                                        : IndexPlacement::kCacheDir;
  }
  if (placement == IndexPlacement::kBesideInput) return input_path + ".dmidx";
  const std::string absolute = fs::absolute(input).lexically_normal().string();
  const std::string name = input.filename().string() + "." +
                           hex16(XXH3_64bits(absolute.data(), absolute.size())) + ".dmidx";
  return (fs::path(cache_dir) / name).string();
}

std::string store_gzip_index(const GzipIndex& index, const std::string& input_path,
                             const std::string& cache_dir, IndexPlacement placement) {
  std::string index_path = gzip_index_path(input_path, cache_dir, placement);
  const std::filesystem::path dir = std::filesystem::path(index_path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw OutputError("cannot create gzip index directory " + dir.string() + ": " + ec.message());
    }
  }
  save_gzip_index(index, index_path);
  return index_path;
}

GzipIndex load_or_build_gzip_index(const std::string& input_path, std::uint64_t spacing,
                                   const std::string& cache_dir, bool* built,
                                   IndexPlacement placement) {
  const std::string index_path = gzip_index_path(input_path, cache_dir, placement);
  if (std::optional<GzipIndex> cached = load_gzip_index(index_path, input_path);
      cached && cached->spacing == spacing) {
    if (built) *built = false;
    return std::move(*cached);
  }
  GzipIndex index = build_gzip_index(input_path, spacing);
  store_gzip_index(index, input_path, cache_dir, placement);
  if (built) *built = true;
  return index;
}

}  // namespace dumpmill::codec
