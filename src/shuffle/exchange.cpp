// Bounded-round shuffle: per-destination buffers of varint-framed entries.
#include "dumpmill/shuffle/exchange.hpp"

#include <string>

#include "dumpmill/core/error.hpp"

namespace dumpmill::shuffle {
namespace {

constexpr std::size_t kMaxVarint = 10;

std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

void put_varint(std::vector<char>& out, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, std::uint64_t& v) noexcept {
  v = 0;
  for (std::size_t i = 0; i < kMaxVarint && i < in.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(in[i]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

Exchange::Exchange(Communicator& comm, std::size_t round_bytes)
    : comm_(comm), round_bytes_(round_bytes), send_(static_cast<std::size_t>(comm.size())) {
  const auto ranks = static_cast<std::size_t>(comm.size());
  if (round_bytes == 0 || round_bytes > kMaxRoundBytes || round_bytes * ranks > kMaxReceiveBytes) {
    throw ConfigError("exchange round of " + std::to_string(round_bytes) + " bytes at " +
                      std::to_string(ranks) + " ranks: need 0 < round <= 256 MiB and ranks x " +
                      "round <= 1 GiB (one round's receive buffers must fit MPI's int counts)");
  }
}

bool Exchange::add(int dest, std::string_view key, std::span<const char> value) {
  if (dest < 0 || dest >= static_cast<int>(send_.size())) {
    throw std::out_of_range("exchange destination " + std::to_string(dest) + " outside [0, " +
                            std::to_string(send_.size()) + ")");
  }
  const std::size_t entry =
      varint_size(key.size()) + key.size() + varint_size(value.size()) + value.size();
  if (entry > kMaxEntryBytes) {
    throw std::length_error("exchange entry of " + std::to_string(entry) +
                            " bytes exceeds the 256 MiB limit");
  }
  if (full_ || (buffered_ > 0 && buffered_ + entry > round_bytes_)) {
    full_ = true;
    return false;
  }
  std::vector<char>& out = send_[static_cast<std::size_t>(dest)];
  put_varint(out, key.size());
  out.insert(out.end(), key.begin(), key.end());
  put_varint(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
  buffered_ += entry;
  return true;
}

std::vector<std::vector<char>> Exchange::send_round() {
  std::vector<std::vector<char>> received = comm_.alltoallv(send_);
  ++rounds_;
  bytes_sent_ += buffered_;
  std::size_t capacity = 0;
  for (std::vector<char>& b : send_) {
    b.clear();
    capacity += b.capacity();
  }
  if (capacity > 2 * round_bytes_) {
    for (std::vector<char>& b : send_) b = std::vector<char>();
  }
  buffered_ = 0;
  full_ = false;
  for (const std::vector<char>& r : received) bytes_received_ += r.size();
  return received;
}

bool Exchange::next_entry(std::string_view& rest, std::size_t source, std::string_view& key,
                          std::span<const char>& value) const {
  if (rest.empty()) return false;
  std::uint64_t key_len = 0;
  std::uint64_t value_len = 0;
  bool ok = get_varint(rest, key_len) && key_len <= rest.size();
  if (ok) {
    key = rest.substr(0, static_cast<std::size_t>(key_len));
    rest.remove_prefix(static_cast<std::size_t>(key_len));
    ok = get_varint(rest, value_len) && value_len <= rest.size();
  }
  if (!ok) {
    throw MpiError("exchange round " + std::to_string(rounds_) + " on rank " +
                   std::to_string(comm_.rank()) + ": corrupt buffer from rank " +
                   std::to_string(source));
  }
  value = std::span<const char>(rest.data(), static_cast<std::size_t>(value_len));
  rest.remove_prefix(static_cast<std::size_t>(value_len));
  return true;
}

}  // namespace dumpmill::shuffle
