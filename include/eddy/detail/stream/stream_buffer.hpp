// ReadBuffer: the bytes a stream received and no read has consumed yet.
//
// The rules (nginx's and libuv's way of keeping idle connections cheap):
// - The socket is read into one 64 KiB scratch buffer per thread (one loop
//   runs per thread, and no user code runs between a recv and settle(), so
//   no two streams ever share it at once). A read is completed straight from
//   the scratch; only the bytes it did not consume are copied, by settle(),
//   into memory of the stream's own, sized to what they are.
// - A stream that holds no bytes holds no memory: the buffer is freed the
//   moment it drains, and a buffer left holding a quarter of its capacity or
//   less shrinks to fit (above 4 KiB). So a big burst leaves nothing behind.
// - While a large read accumulates (16 KiB or more held), recv goes straight
//   into the stream's own buffer, which grows geometrically: bulk reads pay
//   one copy (the kernel's) per byte, as before.
//
// Callers: prepare() then commit() around each recv; settle() before control
// goes back to the loop (StreamState::handle_read and handle_error do).
//
// Delimiter: read_until's delimiter, kept by the stream while the read waits.
//
// Thread contract: the owning stream's loop thread only.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "../base/config.hpp"

namespace eddy::detail {

template <class = void>
class BasicReadBuffer {
 public:
  // How much one recv into the scratch asks for.
  static constexpr std::size_t chunk = 64 * 1024;
  // Held bytes from which a recv goes straight into the stream's own buffer.
  static constexpr std::size_t direct_floor = 16 * 1024;
  // Below this capacity a buffer is not shrunk (the copy would not pay).
  static constexpr std::size_t shrink_floor = 4 * 1024;

  BasicReadBuffer() noexcept = default;
  BasicReadBuffer(const BasicReadBuffer&) = delete;
  BasicReadBuffer& operator=(const BasicReadBuffer&) = delete;
  ~BasicReadBuffer() { free_own(); }

  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::string_view view() const noexcept { return std::string_view(data_ + begin_, size()); }
  // The memory this stream holds for received bytes (0 while it holds none).
  std::size_t capacity() const noexcept { return borrowed_ ? 0 : capacity_; }

  // Where the next recv goes, with `room` set to how much it may take.
  char* prepare(std::size_t& room) {
    appending_ = false;
    if (borrowed_) settle(chunk);  // keep what the last recv left, with room
    if (empty()) {
      free_own();
      data_ = scratch();
      borrowed_ = true;
      room = chunk;
      return data_;
    }
    if (capacity_ - end_ < direct_floor && size() >= direct_floor) reserve_tail(chunk);
    if (capacity_ - end_ >= direct_floor) {
      room = capacity_ - end_;
      return data_ + end_;
    }
    // A few bytes held: recv into the scratch; commit() appends.
    appending_ = true;
    room = chunk;
    return scratch();
  }

  void commit(std::size_t n) {
    if (appending_) {
      appending_ = false;
      reserve_tail(n);
      std::memcpy(data_ + end_, scratch(), n);
    }
    end_ += n;
  }

  // Removes the first n bytes (n <= size()), copying them to `out`.
  void take_into(char* out, std::size_t n) noexcept {
    std::memcpy(out, data_ + begin_, n);
    consumed(n);
  }

  // Removes and returns the first n bytes (n <= size()).
  std::string take(std::size_t n) {
    std::string out(data_ + begin_, n);
    consumed(n);
    return out;
  }

  // Moves bytes left in the scratch into the stream's own memory, sized to
  // them plus `extra`; a no-op unless the last recv went to the scratch.
  void settle(std::size_t extra = 0) {
    if (!borrowed_) return;
    std::size_t live = size();
    const char* from = data_ + begin_;
    borrowed_ = false;
    data_ = nullptr;
    capacity_ = begin_ = end_ = 0;
    if (live == 0) return;
    allocate(live + extra);
    std::memcpy(data_, from, live);
    end_ = live;
  }

 private:
  // The per-thread scratch buffer every stream of this thread reads into.
  static char* scratch() {
    thread_local std::unique_ptr<char[]> buffer(new char[chunk]);
    return buffer.get();
  }

  // Out of line: the freeing and shrinking paths would otherwise crowd the
  // read path's inlining (callgrind, ping-pong).
  EDDY_NOINLINE void consumed(std::size_t n) noexcept {
    begin_ += n;
    if (borrowed_) return;  // settle() sizes what is left
    if (begin_ == end_) {
      free_own();
    } else if (capacity_ > shrink_floor && size() * 4 <= capacity_) {
      shrink();
    }
  }

  // Room for n more bytes at the tail: compacts when that suffices and frees
  // at least half, else grows (at least doubling, so accumulation is linear).
  void reserve_tail(std::size_t n) {
    if (capacity_ - end_ >= n) return;
    std::size_t live = size();
    if (begin_ > 0 && live + n <= capacity_ && begin_ >= capacity_ / 2) {
      std::memmove(data_, data_ + begin_, live);
    } else {
      std::size_t want = live + n > capacity_ * 2 ? live + n : capacity_ * 2;
      std::unique_ptr<char[]> fresh(new char[want]);  // may throw: *this is unchanged
      if (live > 0) std::memcpy(fresh.get(), data_ + begin_, live);
      delete[] data_;
      data_ = fresh.release();
      capacity_ = want;
    }
    begin_ = 0;
    end_ = live;
  }

  // Best effort: a failed allocation keeps the larger buffer.
  void shrink() noexcept {
    std::size_t live = size();
    char* fit = new (std::nothrow) char[live];
    if (fit == nullptr) return;
    std::memcpy(fit, data_ + begin_, live);
    delete[] data_;
    data_ = fit;
    capacity_ = live;
    begin_ = 0;
    end_ = live;
  }

  void allocate(std::size_t n) {
    data_ = new char[n];
    capacity_ = n;
  }
  void free_own() noexcept {
    if (!borrowed_) delete[] data_;
    data_ = nullptr;
    borrowed_ = false;
    capacity_ = begin_ = end_ = 0;
  }

  char* data_ = nullptr;       // own memory, or the scratch while borrowed_
  std::size_t capacity_ = 0;   // of own memory
  std::size_t begin_ = 0;      // first unconsumed byte
  std::size_t end_ = 0;        // one past the last received byte
  bool borrowed_ = false;      // data_ is the scratch (between a recv and settle())
  bool appending_ = false;     // the prepared recv goes to the scratch, for commit() to append
};
using ReadBuffer = BasicReadBuffer<>;

// read_until's delimiter: inline up to 8 bytes (every common one), else
// on the heap, so a stream does not carry a 32-byte std::string for it.
template <class = void>
class BasicDelimiter {
 public:
  BasicDelimiter() noexcept : small_{} {}
  BasicDelimiter(const BasicDelimiter&) = delete;
  BasicDelimiter& operator=(const BasicDelimiter&) = delete;
  ~BasicDelimiter() { clear(); }
  void assign(std::string_view d) {
    clear();
    if (d.size() > sizeof small_) {
      big_ = new char[d.size()];
      std::memcpy(big_, d.data(), d.size());
    } else {
      std::memcpy(small_, d.data(), d.size());
    }
    size_ = d.size();
  }
  std::string_view view() const noexcept { return {size_ > sizeof small_ ? big_ : small_, size_}; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept {
    if (size_ > sizeof small_) delete[] big_;
    size_ = 0;
  }

 private:
  union {
    char small_[8];
    char* big_;
  };
  std::size_t size_ = 0;
};
using Delimiter = BasicDelimiter<>;

}  // namespace eddy::detail
