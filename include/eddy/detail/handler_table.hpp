// HandlerTable: the fd handlers of one loop.
//
// Handlers live in slots with stable addresses (a deque never moves its
// elements on push_back) reused through a free list, found by fd through a
// flat index. Two reentrancy rules shape it:
// - A handler may remove itself, or re-register its fd, while it runs. The
//   running slot is then only marked dead, and its callable is destroyed after
//   the call returns (destroying a lambda while it executes is undefined).
// - A handler registered during a dispatch batch must not receive that
//   batch's stale events for a reused fd number: slots remember the batch
//   they were added in.
//
// Thread contract: single-threaded (the loop thread).
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "function.hpp"
#include "source_location.hpp"

namespace eddy::detail {

class HandlerTable {
 public:
  using Handler = Function<void(int, std::uint32_t)>;

  struct Slot {
    Handler handler;
    std::uint32_t events = 0;
    std::uint64_t batch = 0;  // the dispatch batch it was added in
    int fd = -1;              // -1 while free or dead
    SourceLocation where;     // where it was registered, for the blocking detector
  };

  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  bool contains(int fd) const noexcept { return lookup(fd) != none; }

  // The slot index registered for fd, or `none`.
  std::uint32_t lookup(int fd) const noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) return none;
    return by_fd_[static_cast<std::size_t>(fd)];
  }

  Slot& at(std::uint32_t index) noexcept { return slots_[index]; }

  void insert(int fd, Handler&& handler, std::uint32_t events, std::uint64_t batch, SourceLocation where) {
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(static_cast<std::size_t>(fd) + 1, none);
    std::uint32_t index = allocate();
    Slot& slot = slots_[index];
    slot.handler = std::move(handler);
    slot.events = events;
    slot.batch = batch;
    slot.fd = fd;
    slot.where = where;
    by_fd_[static_cast<std::size_t>(fd)] = index;
    ++size_;
  }

  // Unregisters fd. The callable is destroyed after the table is consistent
  // again (its destructor may re-enter), or after the current call if it is
  // the running handler.
  void erase(int fd) noexcept {
    std::uint32_t index = lookup(fd);
    if (index == none) return;
    by_fd_[static_cast<std::size_t>(fd)] = none;
    slots_[index].fd = -1;
    --size_;
    if (index == running_) return;  // finish_call() frees it
    Handler dead = std::move(slots_[index].handler);
    release(index);
  }

  // Calls the handler in slot `index`, deferring its destruction if it
  // removes itself. Exceptions propagate to the caller after the bookkeeping.
  void call(std::uint32_t index, int fd, std::uint32_t events) {
    running_ = index;
    struct Finish {
      HandlerTable& table;
      ~Finish() { table.finish_call(); }
    } finish{*this};
    slots_[index].handler(fd, events);
  }

  std::size_t size() const noexcept { return size_; }

  // Destroys every handler; their destructors run after the table is empty.
  void clear() noexcept {
    std::deque<Slot> slots = std::move(slots_);
    slots_.clear();
    by_fd_.clear();
    free_.clear();
    size_ = 0;
  }

  // The fds currently registered (for cleanup and introspection).
  std::vector<int> fds() const {
    std::vector<int> out;
    for (const Slot& slot : slots_) {
      if (slot.fd >= 0) out.push_back(slot.fd);
    }
    return out;
  }

 private:
  std::uint32_t allocate() {
    if (!free_.empty()) {
      std::uint32_t index = free_.back();
      free_.pop_back();
      return index;
    }
    slots_.emplace_back();
    // Reserving here lets release() push without allocating, so it can be
    // noexcept: free_ never holds more indices than there are slots.
    free_.reserve(slots_.size());
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void release(std::uint32_t index) noexcept {
    free_.push_back(index);
  }

  void finish_call() noexcept {
    std::uint32_t index = running_;
    running_ = none;
    if (index == none || slots_[index].fd >= 0) return;
    Handler dead = std::move(slots_[index].handler);
    release(index);
  }

  std::deque<Slot> slots_;
  std::vector<std::uint32_t> by_fd_;
  std::vector<std::uint32_t> free_;
  std::uint32_t running_ = none;
  std::size_t size_ = 0;
};

}  // namespace eddy::detail
