// The two buffers behind an IOStream.
//
// ReadBuffer: one contiguous byte array with a consumed offset. The socket is
// read straight into its free tail; reads take bytes off the front by moving
// the offset; the live bytes move to the front only when the tail runs short
// (so each byte is moved at most once per compaction). A large buffer left
// empty is released, so one big read does not pin memory forever.
//
// WriteQueue: the chunks written and not yet handed to the kernel, each
// copied once into the queue, with an offset into the front chunk. A flush
// hands up to `max_iov` chunks to one sendmsg (gather write).
//
// Thread contract: the owning stream's loop thread only.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../future.hpp"

namespace eddy::detail {

class ReadBuffer {
 public:
  // How much one recv() asks for.
  static constexpr std::size_t chunk = 64 * 1024;
  // An empty buffer larger than this gives its memory back.
  static constexpr std::size_t keep_capacity = 1024 * 1024;

  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::string_view view() const noexcept { return std::string_view(data_.data() + begin_, size()); }

  // Room for at least `chunk` bytes at the tail; returns where to read into.
  char* prepare(std::size_t& room) {
    if (data_.size() - end_ < chunk) make_room();
    room = data_.size() - end_;
    return data_.data() + end_;
  }
  void commit(std::size_t n) noexcept { end_ += n; }

  // Removes the first n bytes (n <= size()), copying them to `out`.
  void take_into(char* out, std::size_t n) noexcept {
    std::memcpy(out, data_.data() + begin_, n);
    begin_ += n;
    if (begin_ == end_) reset();
  }

  // Removes and returns the first n bytes (n <= size()).
  std::string take(std::size_t n) {
    std::string out(data_.data() + begin_, n);
    begin_ += n;
    if (begin_ == end_) reset();
    return out;
  }

 private:
  void make_room() {
    std::size_t live = size();
    // Compacting is worth it when it frees at least half the array.
    if (begin_ > 0 && begin_ >= data_.size() / 2) {
      std::memmove(data_.data(), data_.data() + begin_, live);
      begin_ = 0;
      end_ = live;
    }
    if (data_.size() - end_ < chunk) data_.resize(std::max(data_.size() * 2, end_ + chunk));
  }
  void reset() noexcept {
    begin_ = end_ = 0;
    if (data_.size() > keep_capacity) std::vector<char>().swap(data_);
  }

  std::vector<char> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

class WriteQueue {
 public:
  static constexpr int max_iov = 64;

  struct Chunk {
    std::string data;
    Future<void> done;
  };

  bool empty() const noexcept { return chunks_.empty(); }
  std::size_t bytes() const noexcept { return bytes_ - offset_; }

  void push(std::string_view data, Future<void> done) {
    chunks_.push_back(Chunk{std::string(data), std::move(done)});
    bytes_ += data.size();
  }

  // Fills `iov` with the queued bytes, front first; returns how many entries.
  int gather(iovec* iov) noexcept {
    int n = 0;
    std::size_t skip = offset_;
    for (auto it = chunks_.begin(); it != chunks_.end() && n < max_iov; ++it, ++n) {
      iov[n].iov_base = const_cast<char*>(it->data.data() + skip);
      iov[n].iov_len = it->data.size() - skip;
      skip = 0;
    }
    return n;
  }

  // Drops `n` bytes that the kernel took, resolving each chunk's future once
  // all of it is gone.
  void consume(std::size_t n) {
    while (!chunks_.empty()) {
      Chunk& front = chunks_.front();
      std::size_t left = front.data.size() - offset_;
      if (n < left) {
        offset_ += n;
        return;
      }
      n -= left;
      finish_front().set_result();
    }
  }

  // Takes every queued chunk's future out of the queue (to fail them) and
  // empties it.
  std::vector<Future<void>> drain() {
    std::vector<Future<void>> out;
    out.reserve(chunks_.size());
    while (!chunks_.empty()) out.push_back(finish_front());
    return out;
  }

 private:
  Future<void> finish_front() {
    Future<void> done = std::move(chunks_.front().done);
    bytes_ -= chunks_.front().data.size();
    offset_ = 0;
    chunks_.pop_front();
    return done;
  }

  std::deque<Chunk> chunks_;
  std::size_t bytes_ = 0;   // total size of the queued chunks
  std::size_t offset_ = 0;  // bytes of the front chunk already sent
};

}  // namespace eddy::detail
