// The bounded-round shuffle: (key, value) entries to their owner ranks, one collective round at a
// time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dumpmill/shuffle/communicator.hpp"

namespace dumpmill::shuffle {

// Contract (add refuses when full, flush sends everything):
//   - add() buffers an entry for rank `dest` and returns true, or returns false and
//     buffers NOTHING when the entry would take this rank's buffered bytes past
//     round_bytes and something is already buffered. An entry larger than round_bytes is
//     accepted only into empty buffers, so it goes alone in its own round. After a refusal
//     full() is true until the next flush().
//   - flush() is COLLECTIVE and sends everything buffered, in exactly one round. After it,
//     this rank's buffers are empty, so the refused entry is always accepted next time.
//   - Every rank calls flush() the same number of times; a rank with nothing to send
//     still calls it. finish() ends the exchange collectively.
// Driver loop (`more` = this rank still has input; the current record is kept when refused):
//     bool more = source.next(rec);
//     while (comm.allreduce_or(more)) {
//       while (more && exchange.add(owner(rec), key(rec), value(rec))) more = source.next(rec);
//       exchange.flush(on_received);
//     }
//     exchange.finish(on_received);  // no round at all when every buffer is already empty
//
// Memory per round: this rank sends at most max(round_bytes, its largest entry) and
// receives at most ranks x that. The constructor rejects round_bytes > 256 MiB or
// ranks x round_bytes > 1 GiB: the receive side of a round must stay below MPI's int
// counts (2 GiB) with 2x headroom for oversized single entries, and a rank's receive
// buffers are the big term in its memory budget. Entries are capped at 256 MiB.
// Between rounds the send buffers keep their capacity (no malloc per round) unless it
// exceeds 2 x round_bytes, when they are freed.
//
// Wire format, per destination buffer, entries back to back:
//   varint(key length) key varint(value length) value      (varint = unsigned LEB128)
// on_received(std::string_view key, std::span<const char> value) is called per entry,
// by source rank ascending, then in the order the source added them. The views are
// valid only during the call; the value bytes are unaligned (use value_as<T>()).
class Exchange {
 public:
  static constexpr std::size_t kMaxRoundBytes = std::size_t{256} << 20;
  static constexpr std::size_t kMaxReceiveBytes = std::size_t{1} << 30;
  static constexpr std::size_t kMaxEntryBytes = std::size_t{256} << 20;

  // Throws dumpmill::ConfigError if round_bytes is 0 or above the limits above.
  Exchange(Communicator& comm, std::size_t round_bytes);

  // See the contract above. Throws std::out_of_range for dest outside [0, ranks) and
  // std::length_error for an entry above kMaxEntryBytes.
  [[nodiscard]] bool add(int dest, std::string_view key, std::span<const char> value);

  // add() for a trivially copyable value, sent as its object bytes.
  template <class T>
  [[nodiscard]] bool add_value(int dest, std::string_view key, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return add(dest, key, std::span<const char>(reinterpret_cast<const char*>(&value), sizeof(T)));
  }

  // True when buffered bytes reached round_bytes or an add() was refused: call flush().
  bool full() const noexcept { return full_ || buffered_ >= round_bytes_; }
  std::size_t buffered_bytes() const noexcept { return buffered_; }

  // COLLECTIVE: one round; sends everything buffered and calls on_received per entry
  // received. Throws dumpmill::MpiError on a corrupt buffer or a failed exchange.
  template <class F>
  void flush(F&& on_received) {
    const std::vector<std::vector<char>> received = send_round();
    for (std::size_t source = 0; source < received.size(); ++source) {
      std::string_view rest(received[source].data(), received[source].size());
      std::string_view key;
      std::span<const char> value;
      while (next_entry(rest, source, key, value)) on_received(key, value);
    }
  }

  // COLLECTIVE: rounds until every rank's buffers are empty (at most one with this
  // contract, none if all ranks flushed already; one allreduce_or either way).
  template <class F>
  void finish(F&& on_received) {
    while (comm_.allreduce_or(buffered_ > 0)) flush(on_received);
  }

  std::uint64_t rounds() const noexcept { return rounds_; }
  // Wire bytes this rank sent / received over all rounds, its own share included.
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  std::uint64_t bytes_received() const noexcept { return bytes_received_; }

 private:
  std::vector<std::vector<char>> send_round();
  // Decodes the entry at the front of rest; false at its end. Throws MpiError if corrupt.
  bool next_entry(std::string_view& rest, std::size_t source, std::string_view& key,
                  std::span<const char>& value) const;

  Communicator& comm_;
  std::size_t round_bytes_;
  std::vector<std::vector<char>> send_;
  std::size_t buffered_ = 0;
  bool full_ = false;
  std::uint64_t rounds_ = 0;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
};

// The value bytes of a received entry as a T. Throws std::length_error on a size mismatch.
template <class T>
T value_as(std::span<const char> bytes) {
  static_assert(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>);
  if (bytes.size() != sizeof(T)) throw std::length_error("exchange value has the wrong size");
  T v;
  std::memcpy(&v, bytes.data(), sizeof(T));
  return v;
}

}  // namespace dumpmill::shuffle
