// Composite key encoding: varint-prefixed strings, raw bytes, big-endian integers.
#include "dumpmill/aggregate/key_codec.hpp"

#include <stdexcept>

namespace dumpmill::aggregate {

void KeyBuilder::add_string(std::string_view s) {
  char len[detail::kMaxVarintBytes];
  buf_.append(len, detail::put_varint(s.size(), len));
  buf_.append(s);
}

void KeyBuilder::add_u64(std::uint64_t v) {
  char be[8];
  for (int i = 7; i >= 0; --i) {
    be[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  buf_.append(be, sizeof be);
}

std::string_view KeyReader::string() {
  std::uint64_t len = 0;
  if (!detail::get_varint(rest_, len)) throw std::out_of_range("key: truncated or overlong length");
  if (len > rest_.size()) throw std::out_of_range("key: string runs past the end of the key");
  const std::string_view s = rest_.substr(0, static_cast<std::size_t>(len));
  rest_.remove_prefix(static_cast<std::size_t>(len));
  return s;
}

std::uint8_t KeyReader::u8() {
  if (rest_.empty()) throw std::out_of_range("key: missing u8 field");
  const auto v = static_cast<std::uint8_t>(rest_.front());
  rest_.remove_prefix(1);
  return v;
}

std::uint64_t KeyReader::u64() {
  if (rest_.size() < 8) throw std::out_of_range("key: truncated u64 field");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(rest_[i]);
  rest_.remove_prefix(8);
  return v;
}

}  // namespace dumpmill::aggregate
