// HDF5 deflate filter (ID 1) served by libdeflate: same zlib streams, about twice zlib's speed.
//
// Why: zlib's deflate was the largest cost of the write stage (1.6 s of 1.7 s for a 36 MB
// string column). bench_h5, 1 rank, 40 MB of clickstream-like titles in one string column,
// 512 KiB chunks, level 1 (medians of 3, CPU time; 2 shared cores, load ~5):
//   write + close  HDF5 zlib 1274 ms (30 MB/s)  libdeflate 617 ms (62 MB/s), file 20.6->19.1 MB
//   full read      HDF5 zlib  346 ms (110 MB/s) libdeflate 172 ms (223 MB/s)
//   codec alone    zlib 36 MB/s, ratio 0.443      libdeflate 85 MB/s, ratio 0.406
// Run: build-h5filter/bench/bench_h5 --benchmark_filter='Strings|Deflate'
//        --benchmark_min_time=0.2 --benchmark_repetitions=3
#include "dumpmill/h5/deflate_filter.hpp"

#include <dlfcn.h>
#include <hdf5.h>
#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>

namespace dumpmill::h5 {
namespace {

// H5Pset_deflate accepts levels 0-9 and HDF5's own filter rejects anything else; libdeflate
// goes to 12, but a level zlib readers' writers cannot set would be a private extension.
constexpr unsigned kMaxLevel = 9;
// DEFLATE cannot expand more than ~1032:1 (a 258-byte match costs at least 2 bits), and an
// HDF5 1.10 chunk is below 4 GiB: a stream asking for more output than both is corrupt.
constexpr std::size_t kMaxInflateRatio = 1032;
constexpr std::size_t kMaxChunkBytes = std::size_t{0xFFFFFFFF};
// First guess for the inflated size when this thread has inflated nothing yet: clickstream
// text deflates to ~0.44 of its size and shuffled integers to ~0.3, so 4x fits both at once.
constexpr std::size_t kFirstGuessRatio = 4;

struct CompressorFree {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};
struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};
using CompressorPtr = std::unique_ptr<libdeflate_compressor, CompressorFree>;
using DecompressorPtr = std::unique_ptr<libdeflate_decompressor, DecompressorFree>;

// Set (never cleared) when this thread's ThreadCodecs has been destroyed at thread or process
// exit. Trivially destructible, so it stays readable after that: HDF5's atexit handler may
// still flush a file left open, and then the filter must not touch the destroyed cache.
thread_local bool t_codecs_gone = false;

// Per-thread libdeflate objects: allocating a compressor costs more than compressing a small
// chunk (it zeroes hash tables), so each level's compressor is made once per thread.
// libdeflate objects are not shareable between threads; HDF5 may call filters from any.
class ThreadCodecs {
 public:
  ThreadCodecs() = default;
  ThreadCodecs(const ThreadCodecs&) = delete;
  ThreadCodecs& operator=(const ThreadCodecs&) = delete;
  ~ThreadCodecs() { t_codecs_gone = true; }

  // nullptr if out of memory.
  libdeflate_compressor* compressor(unsigned level) noexcept {
    CompressorPtr& c = compressors_[level];
    if (!c) c.reset(libdeflate_alloc_compressor(static_cast<int>(level)));
    return c.get();
  }
  libdeflate_decompressor* decompressor() noexcept {
    if (!decompressor_) decompressor_.reset(libdeflate_alloc_decompressor());
    return decompressor_.get();
  }

  // Inflated size of this thread's last chunk. All chunks of a dataset have the same nominal
  // size and HDF5 reads a dataset's chunks one after another, so after the first chunk the
  // first inflate attempt fits; the zlib stream itself does not record the size.
  std::size_t inflated_size_hint = 0;

 private:
  std::array<CompressorPtr, kMaxLevel + 1> compressors_;
  DecompressorPtr decompressor_;
};

thread_local ThreadCodecs t_codecs;

// Puts `message` on HDF5's error stack, under the pipeline major error, so the H5Error of the
// failing H5Dwrite/H5Dread says why the filter failed.
void push_error(const char* message) noexcept {
  H5Epush2(H5E_DEFAULT, __FILE__, "libdeflate_filter", __LINE__, H5E_ERR_CLS, H5E_PLINE,
           H5E_CANTFILTER, "%s", message);
}

std::size_t saturating_mul(std::size_t a, std::size_t b) noexcept {
  return b != 0 && a > std::numeric_limits<std::size_t>::max() / b
             ? std::numeric_limits<std::size_t>::max()
             : a * b;
}

std::size_t compress(unsigned level, std::size_t nbytes, std::size_t* buf_size, void** buf) {
  CompressorPtr own;  // only when the thread cache is gone (process exit)
  libdeflate_compressor* compressor = nullptr;
  if (!t_codecs_gone) {
    compressor = t_codecs.compressor(level);
  } else {
    own.reset(libdeflate_alloc_compressor(static_cast<int>(level)));
    compressor = own.get();
  }
  if (compressor == nullptr) {
    push_error("libdeflate_alloc_compressor failed (out of memory)");
    return 0;
  }
  // The bound covers incompressible input (stored blocks), so compression cannot run out of
  // room: HDF5's zlib filter likewise keeps such chunks deflated, slightly larger than raw.
  const std::size_t capacity = libdeflate_zlib_compress_bound(compressor, nbytes);
  void* out = H5allocate_memory(capacity, false);
  if (out == nullptr) {
    push_error("cannot allocate the deflate output buffer");
    return 0;
  }
  const std::size_t written = libdeflate_zlib_compress(compressor, *buf, nbytes, out, capacity);
  if (written == 0) {
    H5free_memory(out);
    push_error("libdeflate_zlib_compress failed");
    return 0;
  }
  H5free_memory(*buf);
  *buf = out;
  *buf_size = capacity;
  return written;
}

std::size_t decompress(std::size_t nbytes, std::size_t* buf_size, void** buf) {
  DecompressorPtr own;
  libdeflate_decompressor* decompressor = nullptr;
  if (!t_codecs_gone) {
    decompressor = t_codecs.decompressor();
  } else {
    own.reset(libdeflate_alloc_decompressor());
    decompressor = own.get();
  }
  if (decompressor == nullptr) {
    push_error("libdeflate_alloc_decompressor failed (out of memory)");
    return 0;
  }
  const std::size_t limit =
      std::min(saturating_mul(std::max<std::size_t>(nbytes, 1), kMaxInflateRatio), kMaxChunkBytes);
  const std::size_t hint = t_codecs_gone ? 0 : t_codecs.inflated_size_hint;
  // HDF5's zlib filter starts from *buf_size (the buffer it was handed) and doubles; libdeflate
  // cannot resume, so every miss redoes the work: start from the hint or a generous guess.
  std::size_t capacity = hint != 0 ? hint : saturating_mul(nbytes, kFirstGuessRatio);
  capacity = std::clamp<std::size_t>(std::max(capacity, *buf_size), 1, limit);
  for (;;) {
    void* out = H5allocate_memory(capacity, false);
    if (out == nullptr) {
      push_error("cannot allocate the inflate output buffer");
      return 0;
    }
    std::size_t produced = 0;
    const libdeflate_result rc =
        libdeflate_zlib_decompress(decompressor, *buf, nbytes, out, capacity, &produced);
    if (rc == LIBDEFLATE_SUCCESS) {
      // Keeps the (possibly larger) buffer: HDF5 trusts a filter's output size, and handing
      // back less memory than a corrupt chunk's nominal size would only make that worse.
      H5free_memory(*buf);
      *buf = out;
      *buf_size = capacity;
      if (!t_codecs_gone) t_codecs.inflated_size_hint = produced;
      if (produced == 0) push_error("zlib stream inflates to 0 bytes");
      return produced;  // 0 (an empty chunk) is a failure to HDF5, as with its zlib filter
    }
    H5free_memory(out);
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE) {
      push_error("libdeflate_zlib_decompress: corrupt or unsupported zlib stream");
      return 0;
    }
    if (capacity >= limit) {
      push_error("zlib stream inflates to more than a chunk can hold");
      return 0;
    }
    capacity = std::min(saturating_mul(capacity, 2), limit);
  }
}

const H5Z_class2_t kLibdeflateClass = {
    H5Z_CLASS_T_VERS,
    H5Z_FILTER_DEFLATE,
    1,  // encoder present
    1,  // decoder present
    // HDF5's own name: version-1 pipeline messages store the registered class name in the
    // file, and the file must not tell which implementation wrote it.
    "deflate",
    nullptr,  // can_apply: deflate applies to any datatype
    nullptr,  // set_local: cd_values stay {level}, exactly what H5Pset_deflate stored
    detail::libdeflate_filter,
};

// HDF5's public H5Zregister refuses IDs below H5Z_FILTER_RESERVED (256): "unable to modify
// predefined filters" (H5Z.c:267 in 1.10.8). Its internal H5Z_register, which H5Zregister
// calls after that check, replaces a registered ID in place; libhdf5.so exports it
// (H5Z_register@@HDF5_MPI_1.8.7 in Debian 12, same signature from 1.8 to 1.14), and the
// built-in class as H5Z_DEFLATE. Both are looked up at run time, so an HDF5 without them
// still links and runs, with its zlib filter.
using RegisterFn = herr_t (*)(const H5Z_class2_t*);

RegisterFn find_private_register() noexcept {
  void* symbol = ::dlsym(RTLD_DEFAULT, "H5Z_register");
  RegisterFn fn = nullptr;
  static_assert(sizeof fn == sizeof symbol);
  std::memcpy(&fn, &symbol, sizeof fn);  // object -> function pointer, as POSIX allows
  return fn;
}

// True while libdeflate serves deflate; read by libdeflate_serves_deflate from any thread.
std::atomic<bool> g_active{false};

}  // namespace

namespace detail {

std::size_t libdeflate_filter(unsigned flags, std::size_t cd_nelmts, const unsigned cd_values[],
                              std::size_t nbytes, std::size_t* buf_size, void** buf) noexcept {
  // The same argument check as HDF5's H5Z__filter_deflate, in both directions.
  if (cd_nelmts != 1 || cd_values == nullptr || cd_values[0] > kMaxLevel) {
    push_error("invalid deflate level (cd_values must be {0..9})");
    return 0;
  }
  if (buf == nullptr || *buf == nullptr || buf_size == nullptr) {
    push_error("no buffer to filter");
    return 0;
  }
  return (flags & H5Z_FLAG_REVERSE) != 0 ? decompress(nbytes, buf_size, buf)
                                         : compress(cd_values[0], nbytes, buf_size, buf);
}

}  // namespace detail

namespace detail {

bool select_deflate(bool libdeflate) noexcept {
  const RegisterFn register_filter = find_private_register();
  const auto* cls = libdeflate
                        ? &kLibdeflateClass
                        : static_cast<const H5Z_class2_t*>(::dlsym(RTLD_DEFAULT, "H5Z_DEFLATE"));
  if (register_filter == nullptr || cls == nullptr) return false;
  // H5open initialises the library and H5Zfilter_avail the filter table (with the built-in
  // deflate), so no later initialisation can put the built-in back over ours.
  bool ok = H5open() >= 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0;
  ok = ok && register_filter(cls) >= 0;
  H5Eclear2(H5E_DEFAULT);
  if (ok) g_active.store(libdeflate);
  return ok;
}

}  // namespace detail

bool use_libdeflate_for_deflate() noexcept {
  static const bool active = detail::select_deflate(true);  // once per process, thread-safe
  return active;
}

bool libdeflate_serves_deflate() noexcept { return g_active.load(); }

}  // namespace dumpmill::h5
