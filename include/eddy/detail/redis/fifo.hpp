// Fifo<T>: a queue over one circular array that keeps its storage while it
// is in use. A connection's pending replies swing between none and a few
// hundred every batch; detail::Ring gives memory back when it falls to a
// quarter full, which here would reallocate twice per batch. This one
// gives its storage back only when it empties with more than 1024 slots (a
// burst does not pin its memory), so a busy connection allocates nothing.
//
// T must be nothrow move-constructible (Futures, strings, Messages are).
//
// Thread contract: none of its own; its owner's.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy::detail::redis {

template <class T>
class Fifo {
  static_assert(std::is_nothrow_move_constructible_v<T>, "Fifo moves its items when it grows");

 public:
  Fifo() noexcept = default;
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;
  ~Fifo() {
    while (size_ > 0) pop_front();
    release();
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  T& front() noexcept { return slots_[head_]; }

  void push_back(T&& value) {
    if (size_ == capacity_) grow();
    new (&slots_[(head_ + size_) & (capacity_ - 1)]) T(std::move(value));
    ++size_;
  }

  // Destroys the front item; the queue must not be empty.
  void pop_front() noexcept {
    slots_[head_].~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    if (--size_ > 0) return;
    head_ = 0;
    if (capacity_ > 1024) release();
  }

  // Item i (counted from the front); i < size().
  T& operator[](std::size_t i) noexcept { return slots_[(head_ + i) & (capacity_ - 1)]; }

  // Moves item i out and closes the gap, moving the later ones forward
  // (rare: a cancelled command taken out of a batch not yet written).
  T take(std::size_t i) noexcept {
    T value(std::move((*this)[i]));
    for (; i + 1 < size_; ++i) {
      (*this)[i].~T();
      new (&(*this)[i]) T(std::move((*this)[i + 1]));
    }
    (*this)[size_ - 1].~T();
    if (--size_ == 0) {
      head_ = 0;
      if (capacity_ > 1024) release();
    }
    return value;
  }

  // Moves the front item out and destroys its slot.
  T take_front() noexcept {
    T value(std::move(front()));
    pop_front();
    return value;
  }

 private:
  void grow() {
    std::size_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;
    T* fresh = static_cast<T*>(::operator new(capacity * sizeof(T)));
    for (std::size_t i = 0; i < size_; ++i) {
      T& old = slots_[(head_ + i) & (capacity_ - 1)];
      new (&fresh[i]) T(std::move(old));
      old.~T();
    }
    release();
    slots_ = fresh;
    capacity_ = capacity;
    head_ = 0;
  }

  void release() noexcept {
    ::operator delete(static_cast<void*>(slots_));
    slots_ = nullptr;
    capacity_ = 0;
  }

  T* slots_ = nullptr;  // capacity_ slots, a power of two; [head_, head_ + size_) live
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace eddy::detail::redis
