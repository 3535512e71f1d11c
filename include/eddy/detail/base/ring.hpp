// Ring<T>: a FIFO over one circular array that keeps its storage, so a queue
// whose length hovers around a few items allocates nothing in the steady
// state (std::deque frees and allocates a block whenever its window crosses
// a block boundary). It grows by doubling and gives memory back by halving
// once it is a quarter full, so a burst that once filled it does not pin
// that memory forever; the hysteresis keeps both amortised O(1).
//
// T needs only to be move-constructible (slots are std::optional<T>). If a
// move throws while the ring grows or shrinks, the ring keeps its old
// storage; the items already moved are left in their moved-from state.
//
// Thread contract: none of its own; its owner's.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace eddy::detail {

template <class T>
class Ring {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size(); }

  T& front() noexcept { return *slots_[head_]; }
  T& at(std::size_t i) noexcept { return *slots_[index(i)]; }

  void push_back(T&& value) {
    if (size_ == slots_.size()) rebuild(slots_.empty() ? min_capacity : slots_.size() * 2);
    slots_[index(size_)].emplace(std::move(value));
    ++size_;
  }

  // Removes the front item and returns it. The ring must not be empty.
  T pop_front() {
    T value(std::move(*slots_[head_]));
    drop_front();
    return value;
  }

  // Destroys the front item. The ring must not be empty.
  void drop_front() {
    slots_[head_].reset();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    if (size_ == 0) head_ = 0;
    maybe_shrink();
  }

  // Removes every item for which dead(item) is true, keeping the order of
  // the others. O(size).
  template <class Pred>
  void remove_if(Pred dead) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      std::optional<T>& slot = slots_[index(i)];
      if (dead(*slot)) {
        slot.reset();
        continue;
      }
      if (kept != i) {
        slots_[index(kept)].emplace(std::move(*slot));
        slot.reset();
      }
      ++kept;
    }
    size_ = kept;
    if (size_ == 0) head_ = 0;
  }

  // Makes room for at least `capacity` items (rounded up to a power of two).
  void reserve(std::size_t capacity) {
    if (capacity <= slots_.size()) return;
    std::size_t n = slots_.empty() ? min_capacity : slots_.size();
    while (n < capacity) n *= 2;
    rebuild(n);
  }

  void clear() noexcept {
    slots_.clear();
    head_ = 0;
    size_ = 0;
  }

 private:
  static constexpr std::size_t min_capacity = 8;

  // Capacities are powers of two, so wrapping is a mask.
  std::size_t index(std::size_t i) const noexcept { return (head_ + i) & (slots_.size() - 1); }

  void maybe_shrink() {
    if (slots_.size() > 64 && size_ < slots_.size() / 4) rebuild(slots_.size() / 2);
  }

  void rebuild(std::size_t capacity) {
    std::vector<std::optional<T>> fresh(capacity);
    for (std::size_t i = 0; i < size_; ++i) fresh[i].emplace(std::move(*slots_[index(i)]));
    slots_.swap(fresh);
    head_ = 0;
  }

  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace eddy::detail
