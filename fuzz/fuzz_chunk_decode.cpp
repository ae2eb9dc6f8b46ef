// libFuzzer target with a true oracle: the input is gzip-compressed by zlib with parameters
// taken from the input (level, memLevel - 1 gives ~128-symbol blocks, so many boundaries -,
// strategy, window size, flushes), then decode_gzip_in_chunks with cuts derived from the input
// must return exactly the input. Any exception or difference is a bug (a false block start
// that survived confirmation would show up here as a tiling-mismatch exception).
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dumpmill/codec/chunk_decode.hpp"
#include "dumpmill/core/error.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr std::size_t kMaxInput = std::size_t{1} << 16;

std::vector<std::uint8_t> gzip_compress(const std::uint8_t* data, std::size_t size,
                                        dumpmill::fuzz::InputRng& rng) {
  const int level = static_cast<int>(rng.below(10));
  const int mem_level = 1 + static_cast<int>(rng.below(9));
  const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
  const int strategy = strategies[rng.below(5)];
  const int window_bits = 9 + static_cast<int>(rng.below(7));
  const int flushes[] = {Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_PARTIAL_FLUSH, Z_BLOCK};
  const int flush = flushes[rng.below(5)];
  const std::size_t piece = 1 + static_cast<std::size_t>(rng.below(size + 1));

  z_stream zs{};
  FUZZ_CHECK(deflateInit2(&zs, level, Z_DEFLATED, 16 + window_bits, mem_level, strategy) == Z_OK,
             level, mem_level);
  std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)) + 64 +
                                (size / piece + 1) * 16);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  std::size_t at = 0;
  do {
    const std::size_t n = std::min(piece, size - at);
    zs.next_in = const_cast<Bytef*>(data + at);
    zs.avail_in = static_cast<uInt>(n);
    at += n;
    const int mode = at == size ? Z_FINISH : flush;
    const int rc = deflate(&zs, mode);
    FUZZ_CHECK(rc == (mode == Z_FINISH ? Z_STREAM_END : Z_OK) && zs.avail_in == 0, rc, zs.avail_in);
  } while (at < size);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::string& temp_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/dumpmill-fuzz-chunk-" +
           std::to_string(::getpid()) + ".gz";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  size = std::min(size, kMaxInput);
  dumpmill::fuzz::InputRng rng({data, size});
  const std::vector<std::uint8_t> gz = gzip_compress(data, size, rng);

  const std::string& path = temp_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(
      f != nullptr && std::fwrite(gz.data(), 1, gz.size(), f) == gz.size() && std::fclose(f) == 0,
      gz.size(), 0);

  std::vector<std::uint64_t> cuts(rng.below(8));
  for (auto& c : cuts) c = rng.below(gz.size() + 4);
  try {
    const auto result = dumpmill::codec::decode_gzip_in_chunks(path, cuts);
    FUZZ_CHECK(result.bytes.size() == size, result.bytes.size(), size);
    for (std::size_t i = 0; i < size; ++i) FUZZ_CHECK(result.bytes[i] == data[i], i, data[i]);
    for (std::size_t i = 1; i < result.chunk_starts.size(); ++i) {
      FUZZ_CHECK(result.chunk_starts[i] > result.chunk_starts[i - 1], i, result.chunk_starts[i]);
      FUZZ_CHECK(result.chunk_starts[i] < gz.size() * 8, result.chunk_starts[i], gz.size());
    }
  } catch (const dumpmill::Error& e) {
    std::fprintf(stderr, "decode_gzip_in_chunks threw on a valid zlib stream: %s\n", e.what());
    std::abort();
  }
  return 0;
}
