// The key arena behind KeyedTable (the table itself is a header template).
#include "dumpmill/aggregate/keyed_table.hpp"

namespace dumpmill::aggregate::detail {

char* ByteArena::allocate(std::size_t n) {
  if (n > left_) {
    if (n > next_size_) {
      // Larger than a whole block: a block of its own, and the current block stays open.
      blocks_.push_back({std::make_unique_for_overwrite<char[]>(n), n});
      reserved_ += n;
      return blocks_.back().bytes.get();
    }
    blocks_.push_back({std::make_unique_for_overwrite<char[]>(next_size_), next_size_});
    reserved_ += next_size_;
    cur_ = blocks_.back().bytes.get();
    left_ = next_size_;
    next_size_ = std::min(next_size_ * 2, kMaxBlock);
  }
  char* p = cur_;
  cur_ += n;
  left_ -= n;
  return p;
}

void ByteArena::clear() noexcept {
  if (blocks_.empty()) return;
  auto largest = std::max_element(blocks_.begin(), blocks_.end(),
                                  [](const Block& a, const Block& b) { return a.size < b.size; });
  Block keep = std::move(*largest);
  blocks_.clear();
  blocks_.push_back(std::move(keep));
  reserved_ = blocks_.back().size;
  cur_ = blocks_.back().bytes.get();
  left_ = blocks_.back().size;
}

void ByteArena::release() noexcept {
  blocks_.clear();
  cur_ = nullptr;
  left_ = 0;
  next_size_ = kFirstBlock;
  reserved_ = 0;
}

}  // namespace dumpmill::aggregate::detail
