// Open-addressing hash table from byte-string keys to small trivially copyable values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dumpmill::aggregate {
namespace detail {

// Bump allocator for key bytes: blocks grow 4 KiB, 8 KiB ... 1 MiB, so a tiny table costs
// 4 KiB and a big one does one malloc per 1 MiB of keys (about 20'000 keys of 40 bytes)
// instead of one per key. Addresses stay valid until clear() or release().
class ByteArena {
 public:
  ByteArena() = default;
  ByteArena(ByteArena&& other) noexcept { *this = std::move(other); }
  ByteArena& operator=(ByteArena&& other) noexcept {
    if (this != &other) {
      blocks_ = std::move(other.blocks_);
      other.blocks_.clear();
      cur_ = std::exchange(other.cur_, nullptr);
      left_ = std::exchange(other.left_, 0);
      next_size_ = std::exchange(other.next_size_, kFirstBlock);
      reserved_ = std::exchange(other.reserved_, 0);
    }
    return *this;
  }
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;

  char* allocate(std::size_t n);
  // Bytes held from the allocator (block capacities, used or not).
  std::size_t bytes_reserved() const noexcept { return reserved_; }
  // Forgets every allocation but keeps the largest block for reuse.
  void clear() noexcept;
  // Returns every block to the allocator.
  void release() noexcept;

 private:
  static constexpr std::size_t kFirstBlock = std::size_t{4} << 10;
  static constexpr std::size_t kMaxBlock = std::size_t{1} << 20;

  struct Block {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
  };
  std::vector<Block> blocks_;
  char* cur_ = nullptr;
  std::size_t left_ = 0;
  std::size_t next_size_ = kFirstBlock;
  std::size_t reserved_ = 0;
};

}  // namespace detail

// Hash table keyed by byte strings (see key_codec.hpp for composite keys).
//
// - Linear probing over a power-of-two slot array; grows x2 when size would pass 70% of
//   capacity (linear probing stays at ~2 probes per hit below 0.7 and degrades fast above).
// - The caller passes the 64-bit hash (it usually has it already, to pick the owner rank).
//   The slot index uses the LOW bits (owner_of() uses the high ones). Each slot stores the
//   hash, so a probe compares hashes before it touches key bytes, and growing rehashes
//   without reading keys. The same key must always come with the same hash.
// - Key bytes are copied once into an arena of large blocks (no malloc per key), prefixed
//   by a 32-bit length; a slot is {hash, key pointer, V}: 24 bytes for an 8-byte V.
// - V must be trivially copyable; a new value is value-initialised (zero for arithmetic).
// - References and pointers to values are invalidated by the next insertion.
template <class V>
class KeyedTable {
  static_assert(std::is_trivially_copyable_v<V>, "KeyedTable values must be trivially copyable");

 public:
  KeyedTable() = default;
  // A moved-from table is empty and usable (the defaulted moves left its counts behind
  // while its slot array went away: clear() on it then wrote through a null pointer).
  KeyedTable(KeyedTable&& other) noexcept
      : slots_(std::move(other.slots_)),
        capacity_(std::exchange(other.capacity_, 0)),
        mask_(std::exchange(other.mask_, 0)),
        size_(std::exchange(other.size_, 0)),
        arena_(std::move(other.arena_)) {}
  KeyedTable& operator=(KeyedTable&& other) noexcept {
    if (this != &other) {
      slots_ = std::move(other.slots_);
      capacity_ = std::exchange(other.capacity_, 0);
      mask_ = std::exchange(other.mask_, 0);
      size_ = std::exchange(other.size_, 0);
      arena_ = std::move(other.arena_);
    }
    return *this;
  }
  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;

  // The value for key, inserting a value-initialised one (inserted = true) if absent.
  // Throws std::length_error for a key of 4 GiB or more, std::bad_alloc when out of memory.
  V& find_or_insert(std::string_view key, std::uint64_t hash, bool& inserted) {
    if ((size_ + 1) * 10 > capacity_ * 7) grow();
    std::size_t i = static_cast<std::size_t>(hash) & mask_;
    for (;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == nullptr) break;
      if (s.hash == hash && key_of(s) == key) {
        inserted = false;
        return s.value;
      }
    }
    if (key.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("KeyedTable: key of 4 GiB or more");
    }
    const auto len = static_cast<std::uint32_t>(key.size());
    char* stored = arena_.allocate(sizeof len + key.size());
    std::memcpy(stored, &len, sizeof len);
    if (!key.empty()) std::memcpy(stored + sizeof len, key.data(), key.size());
    Slot& s = slots_[i];
    s.hash = hash;
    s.key = stored;
    s.value = V{};
    ++size_;
    inserted = true;
    return s.value;
  }

  // The value for key, or nullptr.
  V* find(std::string_view key, std::uint64_t hash) {
    return const_cast<V*>(std::as_const(*this).find(key, hash));
  }
  const V* find(std::string_view key, std::uint64_t hash) const {
    if (size_ == 0) return nullptr;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == nullptr) return nullptr;
      if (s.hash == hash && key_of(s) == key) return &s.value;
    }
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

  // Bytes this table holds from the allocator: the slot array plus the key arena's
  // blocks. This is the figure a memory budget is checked against.
  std::size_t memory_bytes() const noexcept {
    return capacity_ * sizeof(Slot) + arena_.bytes_reserved();
  }

  // Removes every entry but KEEPS the slot array and the largest arena block, so a table
  // refilled after a spill does not grow again from 16 slots; memory_bytes() stays honest
  // (it still counts what is held). Use release() to give the memory back.
  void clear() noexcept {
    if (capacity_ != 0) std::fill_n(slots_.get(), capacity_, Slot{});
    arena_.clear();
    size_ = 0;
  }

  // Removes every entry and frees all memory (memory_bytes() becomes 0).
  void release() noexcept {
    slots_.reset();
    capacity_ = 0;
    mask_ = 0;
    size_ = 0;
    arena_.release();
  }

  // f(std::string_view key, const V& value) for every entry, in slot (unspecified) order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      const Slot& s = slots_[i];
      if (s.key != nullptr) f(key_of(s), s.value);
    }
  }

  // Every entry, sorted by key bytes (unsigned lexicographic), for deterministic output.
  // Costs one vector of size() elements (24 bytes each) and a sort.
  std::vector<std::pair<std::string_view, const V*>> sorted_entries() const {
    std::vector<std::pair<std::string_view, const V*>> out;
    out.reserve(size_);
    for_each([&out](std::string_view k, const V& v) { out.emplace_back(k, &v); });
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

 private:
  struct Slot {
    std::uint64_t hash;
    const char* key;  // [u32 length][bytes] in the arena; nullptr marks an empty slot
    V value;
  };

  static constexpr std::size_t kInitialCapacity = 16;

  static std::string_view key_of(const Slot& s) noexcept {
    std::uint32_t len = 0;
    std::memcpy(&len, s.key, sizeof len);
    return {s.key + sizeof len, len};
  }

  void grow() {
    const std::size_t new_capacity = capacity_ == 0 ? kInitialCapacity : capacity_ * 2;
    std::unique_ptr<Slot[]> fresh(new Slot[new_capacity]());
    const std::size_t new_mask = new_capacity - 1;
    for (std::size_t i = 0; i < capacity_; ++i) {
      const Slot& s = slots_[i];
      if (s.key == nullptr) continue;
      std::size_t j = static_cast<std::size_t>(s.hash) & new_mask;
      while (fresh[j].key != nullptr) j = (j + 1) & new_mask;
      fresh[j] = s;
    }
    slots_ = std::move(fresh);
    capacity_ = new_capacity;
    mask_ = new_mask;
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  detail::ByteArena arena_;
};

}  // namespace dumpmill::aggregate
