// HandlerTable: the fd handlers of one loop.
//
// A flat vector maps each fd to its Slot, so finding a handler is one load.
// Slots live in chunks (allocated once, never moved or freed before the
// table is cleared) and are reused through an intrusive
// free list threaded through the slots themselves, so steady-state
// registration and dispatch allocate nothing, and a registered fd costs its
// 64-byte slot plus its by_fd_ entry: no malloc header per slot and no side
// vectors of slot pointers (a server holding 10,000 idle connections pays
// for each of those bytes). Two reentrancy rules shape it:
// - A handler may remove itself, or re-register its fd, while it runs. During
//   a dispatch batch a removed slot is only marked dead (put on the dead
//   list), and its callable is destroyed when the batch ends (destroying a
//   lambda while it executes is undefined, and deferring per batch costs
//   nothing per event).
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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../base/config.hpp"
#include "../base/function.hpp"
#include "../base/source_location.hpp"

namespace eddy::detail {

template <class = void>
class BasicHandlerTable {
 public:
  using Handler = Function<void(int, std::uint32_t)>;

  struct Slot {
    Handler handler;
    std::uint32_t events = 0;
    std::uint32_t tag = 0;  // this registration's tag (never 0)
    SourceLocation where;   // where it was registered, for the blocking detector
    union {
      std::uint64_t batch = 0;  // registered: the dispatch batch it was added in
      Slot* next;               // free or dead: the next slot on that list
    };
  };

  BasicHandlerTable() = default;
  BasicHandlerTable(const BasicHandlerTable&) = delete;
  BasicHandlerTable& operator=(const BasicHandlerTable&) = delete;

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
    return by_fd_[static_cast<std::uint32_t>(fd)];  // zero-extended: one instruction fewer
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
    --size_;
    if (dispatching_) {
      slot->next = dead_;  // end_batch() frees it
      dead_ = slot;
      return;
    }
    Handler dead = std::move(slot->handler);
    release(slot);
  }

  // Bracket a dispatch batch: slots erased inside it are freed at its end.
  void begin_batch() noexcept { dispatching_ = true; }
  void end_batch() noexcept {
    dispatching_ = false;
    while (dead_ != nullptr) {
      Slot* slot = dead_;
      dead_ = slot->next;
      Handler dead = std::move(slot->handler);
      release(slot);
    }
  }

  std::size_t size() const noexcept { return size_; }

  // Calls f(fd, events, tag) for every registration.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t fd = 0; fd < by_fd_.size(); ++fd) {
      if (const Slot* slot = by_fd_[fd]) f(static_cast<int>(fd), slot->events, slot->tag);
    }
  }

  // Destroys every handler; their destructors run after the table is empty.
  void clear() noexcept {
    std::vector<std::unique_ptr<Slot[]>> chunks = std::move(chunks_);
    chunks_.clear();
    by_fd_.clear();
    free_ = dead_ = nullptr;
    used_ = chunk_size_ = 0;
    size_ = 0;
  }

 private:
  // Slots come in chunks: the first of 8 (a loop watching a handful of fds
  // pays for a handful), each next one twice the last, up to 256 (16 KiB
  // on LP64, so a server's 10,000 connections need 40-odd chunks).
  static constexpr std::size_t first_chunk = 8;
  static constexpr std::size_t max_chunk = 256;

  Slot* allocate() {
    if (free_ != nullptr) {
      Slot* slot = free_;
      free_ = slot->next;
      slot->next = nullptr;
      return slot;
    }
    if (used_ == chunk_size_) {
      std::size_t size = chunks_.empty() ? first_chunk : 2 * chunk_size_ < max_chunk ? 2 * chunk_size_ : max_chunk;
      chunks_.push_back(std::make_unique<Slot[]>(size));
      chunk_size_ = size;
      used_ = 0;
    }
    return &chunks_.back()[used_++];
  }
  void release(Slot* slot) noexcept {
    slot->next = free_;
    free_ = slot;
  }

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::vector<Slot*> by_fd_;
  Slot* free_ = nullptr;  // slots to reuse, linked through Slot::next
  Slot* dead_ = nullptr;  // erased during the current batch, linked likewise
  std::size_t chunk_size_ = 0;  // the last chunk's slots
  std::size_t used_ = 0;        // ... of which handed out
  bool dispatching_ = false;
  std::size_t size_ = 0;
  std::uint32_t last_tag_ = 0;
};
using HandlerTable = BasicHandlerTable<>;

}  // namespace eddy::detail
