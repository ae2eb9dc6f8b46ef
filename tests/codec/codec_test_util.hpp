// Shared helpers for the codec tests: temp dirs, generated inputs and compressed fixtures.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "dumpmill/codec/decoded_reader.hpp"

namespace dumpmill::codec::testing {

using Bytes = std::vector<std::uint8_t>;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/dumpmill-codec-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const Bytes& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Lines shaped like Wikimedia clickstream rows ("prev\tcurr\ttype\tn\n") over a skewed
// vocabulary, so they compress ~4-5x like the real dumps, not 100x like repeated text.
inline Bytes clickstream_text(std::size_t approx_bytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> titles;
  const char* words[] = {"History", "List",     "of",    "United",  "States",
                         "Film",    "Album",    "River", "Station", "Battle",
                         "Church",  "Football", "Club",  "Season",  "Party"};
  for (int i = 0; i < 5000; ++i) {
    std::string t = words[rng() % 15];
    for (int w = static_cast<int>(rng() % 3); w > 0; --w) t += std::string("_") + words[rng() % 15];
    titles.push_back(t + "_" + std::to_string(rng() % 100000));
  }
  const char* types[] = {"link", "external", "other"};
  const char* sources[] = {"other-search", "other-empty", "other-internal", "other-external"};
  std::geometric_distribution<int> skew(0.002);
  std::string text;
  text.reserve(approx_bytes + 200);
  while (text.size() < approx_bytes) {
    const auto pick = [&] { return titles[static_cast<std::size_t>(skew(rng)) % titles.size()]; };
    text += (rng() % 4 == 0) ? std::string(sources[rng() % 4]) : pick();
    text += '\t';
    text += pick();
    text += '\t';
    text += types[rng() % 3];
    text += '\t';
    text += std::to_string(10 + rng() % (1 + rng() % 100000));
    text += '\n';
  }
  return Bytes(text.begin(), text.end());
}

inline void run_shell(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}

// Compresses with an external tool: "<tool_and_flags> -c < in > out".
inline Bytes compress_with_tool(const Bytes& data, const std::string& tool_and_flags,
                                const TempDir& dir) {
  const std::string in = dir.file("tool-in.bin");
  const std::string out = dir.file("tool-out.bin");
  write_file(in, data);
  run_shell(tool_and_flags + " -c < '" + in + "' > '" + out + "'");
  return read_file(out);
}

// gzip member written by zlib with every optional header field (FEXTRA, FNAME, FCOMMENT,
// FHCRC), which command-line tools never emit together.
inline Bytes gzip_with_all_header_fields(const Bytes& data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  static Bytef extra[] = {'D', 'M', 4, 0, 1, 2, 3, 4};
  static char name[] = "clickstream-part.tsv";
  static char comment[] = "made by the dumpmill codec tests";
  gz_header h{};
  h.extra = extra;
  h.extra_len = sizeof extra;
  h.name = reinterpret_cast<Bytef*>(name);
  h.comment = reinterpret_cast<Bytef*>(comment);
  h.hcrc = 1;
  h.os = 3;
  deflateSetHeader(&zs, &h);
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 256);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Reads a reader to its end with a fixed request size.
inline Bytes read_all(DecodedReader& reader, std::size_t capacity) {
  Bytes out;
  std::vector<char> buf(capacity);
  for (;;) {
    const std::size_t n = reader.read(buf.data(), buf.size());
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

inline Bytes tail_of(const Bytes& data, std::uint64_t start) {
  if (start >= data.size()) return {};
  return Bytes(data.begin() + static_cast<std::ptrdiff_t>(start), data.end());
}

}  // namespace dumpmill::codec::testing
