// Composite keys as byte strings: one std::string_view per key, exact comparison, any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill::aggregate {

// Encoding (self-delimiting, so a concatenation of fields decodes one way only):
//   string: unsigned LEB128 varint of the length, then the bytes (any bytes, NULs included)
//   u8:     one byte
//   u64:    eight bytes, big-endian, so byte order of keys sorts the number numerically
// Two keys built from the same field sequence are equal iff every field is equal.
// Byte order of encoded keys sorts strings by (length, bytes): deterministic, not
// alphabetical; that is all sorted output needs.
//
// The builder owns one buffer reused across clear(): after the longest key has been
// built once, building keys allocates nothing.
class KeyBuilder {
 public:
  void clear() noexcept { buf_.clear(); }
  void add_string(std::string_view s);
  void add_u8(std::uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void add_u64(std::uint64_t v);
  // Valid until the next add_* or clear().
  std::string_view view() const noexcept { return buf_; }

 private:
  std::string buf_;
};

// Reads fields back in the order they were added. Every read throws std::out_of_range
// on a truncated key or a varint longer than 10 bytes; nothing is read past the end.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) noexcept : rest_(key) {}
  // A view into the key passed to the constructor.
  std::string_view string();
  std::uint8_t u8();
  std::uint64_t u64();
  bool done() const noexcept { return rest_.empty(); }

 private:
  std::string_view rest_;
};

namespace detail {

// Longest LEB128 encoding of a 64-bit value.
inline constexpr std::size_t kMaxVarintBytes = 10;

// Writes `v` as LEB128 into out (at least kMaxVarintBytes long); returns bytes written.
inline std::size_t put_varint(std::uint64_t v, char* out) noexcept {
  std::size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

inline constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a LEB128 varint from the front of `in` and advances it. Returns false (leaving
// `in` unspecified) on truncation or on more than kMaxVarintBytes bytes.
inline bool get_varint(std::string_view& in, std::uint64_t& v) noexcept {
  v = 0;
  for (std::size_t i = 0; i < kMaxVarintBytes && i < in.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(in[i]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace detail
}  // namespace dumpmill::aggregate
