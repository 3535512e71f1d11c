// HandlerTable: the fd handlers of one loop.
//
// A flat vector maps each fd to its Slot; slots are allocated once, never
// move (the table owns each through a unique_ptr) and are reused through a
// free list, so steady-state registration and dispatch allocate nothing and
// finding a handler is one load. Two reentrancy rules shape it:
// - A handler may remove itself, or re-register its fd, while it runs. During
//   a dispatch batch a removed slot is only marked dead, and its callable is
//   destroyed when the batch ends (destroying a lambda while it executes is
//   undefined, and deferring per batch costs nothing per event).
// - A handler registered during a dispatch batch must not receive that
//   batch's stale events for a reused fd number: slots remember the batch
//   they were added in.
// - Each registration has a tag, unique among this table's recent ones
//   (a 32-bit counter that skips 0), which a backend that can carry it
//   (epoll's data) reports with the events: an event of an earlier
//   registration of the same fd number is recognised by its tag.
//
// Thread contract: single-threaded (the loop thread).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "config.hpp"
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
    std::uint32_t tag = 0;    // this registration's tag (never 0)
    SourceLocation where;     // where it was registered, for the blocking detector
  };

  bool contains(int fd) const noexcept { return find(fd) != nullptr; }

  // The slot registered for fd, or nullptr.
  Slot* find(int fd) const noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) return nullptr;
    return by_fd_[static_cast<std::size_t>(fd)];
  }

  // find() for an fd the backend reported: it was registered, so it indexes
  // the table (which never shrinks while registrations exist).
  Slot* find_reported(int fd) const noexcept {
    EDDY_ASSERT(fd >= 0 && static_cast<std::size_t>(fd) < by_fd_.size(), "backend reported an unknown fd");
    return by_fd_[static_cast<std::size_t>(fd)];
  }

  // The tag the next insert() should be given.
  std::uint32_t next_tag() noexcept {
    if (++last_tag_ == 0) last_tag_ = 1;
    return last_tag_;
  }

  void insert(int fd, Handler&& handler, std::uint32_t events, std::uint64_t batch, SourceLocation where,
              std::uint32_t tag) {
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(static_cast<std::size_t>(fd) + 1, nullptr);
    Slot* slot = allocate();
    slot->handler = std::move(handler);
    slot->events = events;
    slot->batch = batch;
    slot->fd = fd;
    slot->where = where;
    slot->tag = tag;
    by_fd_[static_cast<std::size_t>(fd)] = slot;
    ++size_;
  }

  // Unregisters fd. The callable is destroyed after the table is consistent
  // again (its destructor may re-enter), or when the dispatch batch ends if
  // one is running (it may be the handler that is executing).
  void erase(int fd) noexcept {
    Slot* slot = find(fd);
    if (slot == nullptr) return;
    by_fd_[static_cast<std::size_t>(fd)] = nullptr;
    slot->fd = -1;
    --size_;
    if (dispatching_) {
      dead_.push_back(slot);  // end_batch() frees it
      return;
    }
    Handler dead = std::move(slot->handler);
    free_.push_back(slot);
  }

  // Bracket a dispatch batch: slots erased inside it are freed at its end.
  void begin_batch() noexcept { dispatching_ = true; }
  void end_batch() noexcept {
    dispatching_ = false;
    while (!dead_.empty()) {
      Slot* slot = dead_.back();
      dead_.pop_back();
      Handler dead = std::move(slot->handler);
      free_.push_back(slot);
    }
  }

  std::size_t size() const noexcept { return size_; }

  // Calls f(fd, events, tag) for every registration.
  template <class F>
  void for_each(F&& f) const {
    for (Slot* slot : by_fd_) {
      if (slot != nullptr) f(slot->fd, slot->events, slot->tag);
    }
  }

  // Destroys every handler; their destructors run after the table is empty.
  void clear() noexcept {
    std::vector<std::unique_ptr<Slot>> slots = std::move(storage_);
    storage_.clear();
    by_fd_.clear();
    free_.clear();
    size_ = 0;
  }

 private:
  Slot* allocate() {
    if (!free_.empty()) {
      Slot* slot = free_.back();
      free_.pop_back();
      return slot;
    }
    storage_.push_back(std::make_unique<Slot>());
    // Reserving here lets erase() push without allocating, so it can be
    // noexcept: neither list ever holds more slots than storage_ owns.
    free_.reserve(storage_.size());
    dead_.reserve(storage_.size());
    return storage_.back().get();
  }

  std::vector<std::unique_ptr<Slot>> storage_;
  std::vector<Slot*> by_fd_;
  std::vector<Slot*> free_;
  std::vector<Slot*> dead_;  // erased during the current batch
  bool dispatching_ = false;
  std::size_t size_ = 0;
  std::uint32_t last_tag_ = 0;
};

}  // namespace eddy::detail
