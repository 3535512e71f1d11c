// FreeSlots: the set of free slot numbers of a slab, handing out the lowest
// first.
//
// Why not a LIFO free list: a loop that has run for a while frees its timer
// nodes in deadline order, which is random with respect to where they sit in
// the slab. A free list then hands them out scattered over the whole slab, so
// every add and cancel on a warm loop misses the cache (and the TLB) where a
// fresh loop walks its slab in order. Handing out the lowest free slot gives
// the warm loop the fresh loop's order back, and keeps the live nodes packed
// at the front of the slab.
//
// Layout: a bitmap with one bit per slot (1 = free) and summary levels above
// it, each bit of level k+1 saying "word j of level k is non-zero", up to a
// top level of one word. Finding the lowest free slot is one count-trailing-
// zeros per level (four levels cover 16M slots); freeing or taking a slot
// changes one word, and its parent only when that word turns empty or
// non-empty. The bitmap is 1/512 of the slab it describes. A cursor at the
// lowest leaf word that may be non-zero makes the common case (taking slots
// in order, as a warm queue refills) one load and one bit clear.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy::detail {

template <class = void>
class BasicFreeSlots {
 public:
  BasicFreeSlots() = default;
  BasicFreeSlots(const BasicFreeSlots&) = delete;  // leaf_ may point into the object
  BasicFreeSlots& operator=(const BasicFreeSlots&) = delete;

  bool empty() const noexcept { return free_ == 0; }

  // Slots below capacity() can be inserted without allocating.
  std::size_t capacity() const noexcept { return levels_.empty() ? 0 : levels_[0].size() * bits; }

  // Makes room for slots [0, n). New slots start in use (not free). Strong
  // guarantee: if allocating throws, nothing changed.
  void grow(std::size_t n) {
    if (n <= capacity()) return;
    std::size_t words = (n + bits - 1) / bits;
    std::size_t old_words = levels_.empty() ? 0 : levels_[0].size();
    // Growing by at least half keeps the cost amortised when called per chunk.
    if (words < old_words + old_words / 2) words = old_words + old_words / 2;
    std::vector<std::vector<std::uint64_t>> grown = levels_;
    for (std::size_t level = 0;; ++level) {
      if (level == grown.size()) {
        // A new top level over the old top, which had one word (or none).
        bool below = level > 0 && grown[level - 1][0] != 0;
        grown.emplace_back(1, below ? 1 : 0);
      }
      if (grown[level].size() < words) grown[level].resize(words, 0);
      if (words == 1) break;
      words = (words + bits - 1) / bits;
    }
    levels_.swap(grown);
    leaf_ = levels_[0].data();
  }

  // Takes the lowest free slot out of the set. Requires !empty().
  std::uint32_t take_lowest() noexcept {
    std::uint64_t word = leaf_[cursor_];
    if (word != 0) {
      std::size_t index = cursor_ * bits + lowest_bit(word);
      leaf_[cursor_] = word & (word - 1);
      --free_;
      if (leaf_[cursor_] == 0) erase_above(cursor_);
      return static_cast<std::uint32_t>(index);
    }
    return take_lowest_slow();
  }

  // Marks a slot below capacity() free (again: no effect).
  void insert(std::size_t slot) noexcept {
    std::uint64_t bit = std::uint64_t(1) << (slot % bits);
    if ((leaf_[slot / bits] & bit) != 0) return;
    ++free_;
    if (slot / bits < cursor_) cursor_ = slot / bits;
    for (auto& level : levels_) {
      std::uint64_t& word = level[slot / bits];
      bool was_empty = word == 0;
      word |= std::uint64_t(1) << (slot % bits);
      if (!was_empty) return;
      slot /= bits;
    }
  }

  // Forgets every free slot; keeps the storage.
  void clear() noexcept {
    for (auto& level : levels_) {
      for (auto& word : level) word = 0;
    }
    cursor_ = 0;
    free_ = 0;
  }

 private:
  static constexpr std::size_t bits = 64;

  static unsigned lowest_bit(std::uint64_t word) noexcept {
    return static_cast<unsigned>(__builtin_ctzll(word));
  }

  // Walks the summaries down from the top. Requires !empty().
  std::uint32_t take_lowest_slow() noexcept {
    std::size_t index = 0;
    for (std::size_t level = levels_.size(); level-- > 0;) {
      index = index * bits + lowest_bit(levels_[level][index]);
    }
    cursor_ = index / bits;  // every word below it is zero
    std::uint64_t& word = leaf_[cursor_];
    word &= ~(std::uint64_t(1) << (index % bits));
    --free_;
    if (word == 0) erase_above(cursor_);
    return static_cast<std::uint32_t>(index);
  }

  // Leaf word `word` just became zero: clear its bit in the summaries, up to
  // the first summary word that stays non-zero.
  void erase_above(std::size_t word) noexcept {
    for (std::size_t level = 1; level < levels_.size(); ++level) {
      std::uint64_t& summary = levels_[level][word / bits];
      summary &= ~(std::uint64_t(1) << (word % bits));
      if (summary != 0) return;
      word /= bits;
    }
  }

  std::vector<std::vector<std::uint64_t>> levels_;  // levels_[0]: one bit per slot
  // levels_[0].data(), or a zero word while there is no storage, so that the
  // fast path of take_lowest needs no check.
  std::uint64_t* leaf_ = &no_word_;
  std::size_t cursor_ = 0;  // every leaf word below it is zero
  std::size_t free_ = 0;    // slots in the set
  std::uint64_t no_word_ = 0;
};
using FreeSlots = BasicFreeSlots<>;

}  // namespace eddy::detail
