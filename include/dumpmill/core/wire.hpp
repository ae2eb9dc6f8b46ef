// Little-endian binary encoding for messages between ranks (plan broadcast, report gather).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dumpmill {

class WireWriter {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u64(std::uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    bytes_.insert(bytes_.end(), b, b + 8);
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    u64(u);
  }
  void str(std::string_view s) {
    u64(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void blob(std::span<const std::uint8_t> b) {
    u64(b.size());
    bytes_.insert(bytes_.end(), reinterpret_cast<const char*>(b.data()),
                  reinterpret_cast<const char*>(b.data()) + b.size());
  }
  std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

// Throws std::out_of_range on a short message: a bug, never user input.
class WireReader {
 public:
  explicit WireReader(std::span<const char> bytes) : bytes_(bytes) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint64_t u64() {
    const char* b = take(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64() {
    const std::uint64_t u = u64();
    double v;
    std::memcpy(&v, &u, sizeof v);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    const char* b = take(n);
    return std::string(b, n);
  }
  std::vector<std::uint8_t> blob() {
    const std::uint64_t n = u64();
    const char* b = take(n);
    return std::vector<std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b),
                                     reinterpret_cast<const std::uint8_t*>(b) + n);
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  const char* take(std::uint64_t n) {
    if (n > bytes_.size() - pos_) throw std::out_of_range("wire message too short");
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::span<const char> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace dumpmill
