// WriteQueue: the chunks written to a stream and not yet handed to the
// kernel, each copied once into the queue, with an offset into the front
// chunk. A flush hands up to `max_iov` chunks to one sendmsg (gather write).
//
// An empty queue is one null pointer: the chunks live in a body allocated
// when the first chunk is queued and freed the moment the queue drains, so
// a stream that has written everything holds nothing for writes (a
// std::deque would hold a 512-byte block even when empty). Inside, a vector
// read from `head`.
//
// File chunks (IOStream::write_file): a chunk may end with a range of a
// file after its bytes (a response's head, then its body: FileRange,
// file_range.hpp). It keeps its place in the order, counts in bytes() for
// its whole size (so the queued-output bounds and the send timeout see the
// file like any queued bytes, though it costs no memory), and its file part
// is never gathered: gather() stops after the chunk's bytes, and the stream
// sends the file with sendfile once it is at the front (front_file()). Its
// descriptor closes when it is sent whole or dropped.
//
// Thread contract: the owning stream's loop thread only.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "file_range.hpp"

namespace eddy::detail {

template <class = void>
class BasicWriteQueue {
 public:
  static constexpr int max_iov = 64;

  struct Chunk {
    std::string data;
    Future<void> done;
    FileRange file;       // valid: the file's range follows the bytes
    bool uncork = false;  // the stream corked the socket for this chunk
    std::uint64_t size() const noexcept { return data.size() + file.size(); }
  };

  bool empty() const noexcept { return !body_; }
  std::size_t bytes() const noexcept { return body_ ? body_->bytes - body_->offset : 0; }

  void push(std::string_view data, Future<void> done) {
    std::unique_ptr<Body> fresh;
    if (!body_) fresh = std::make_unique<Body>();
    Body& body = body_ ? *body_ : *fresh;
    body.chunks.push_back(Chunk{std::string(data), std::move(done), FileRange(), false});
    body.bytes += data.size();
    if (fresh) body_ = std::move(fresh);
  }

  // Queues `head` then a file range (valid, not empty) after the chunks
  // before it; `uncork`: see Chunk.
  void push_file(std::string_view head, FileRange file, Future<void> done, bool uncork) {
    std::unique_ptr<Body> fresh;
    if (!body_) fresh = std::make_unique<Body>();
    Body& body = body_ ? *body_ : *fresh;
    body.bytes += head.size() + file.size();
    body.chunks.push_back(Chunk{std::string(head), std::move(done), std::move(file), uncork});
    if (fresh) body_ = std::move(fresh);
  }

  // The front chunk, when its bytes are sent and its file part is next;
  // else nullptr. front_offset(): how much of that file part is sent.
  const Chunk* front_file() const noexcept {
    if (!body_) return nullptr;
    const Chunk& front = body_->chunks[body_->head];
    return front.file.valid() && body_->offset >= front.data.size() ? &front : nullptr;
  }
  std::uint64_t front_offset() const noexcept {
    return body_ ? body_->offset - body_->chunks[body_->head].data.size() : 0;
  }

  // Fills `iov` with the queued bytes, front first, up to the first file
  // chunk; returns how many entries.
  int gather(iovec* iov) const noexcept {
    if (!body_) return 0;
    int n = 0;
    std::size_t skip = body_->offset;
    for (std::size_t i = body_->head; i < body_->chunks.size() && n < max_iov; ++i) {
      const Chunk& c = body_->chunks[i];
      if (skip < c.data.size()) {
        iov[n].iov_base = const_cast<char*>(c.data.data() + skip);
        iov[n].iov_len = c.data.size() - skip;
        ++n;
      }
      skip = 0;
      if (c.file.valid()) break;  // its file part goes by sendfile
    }
    return n;
  }

  // Drops `n` bytes that the kernel took, resolving each chunk's future once
  // all of it is gone.
  void consume(std::size_t n) {
    while (body_ && body_->head < body_->chunks.size()) {
      std::uint64_t left = body_->chunks[body_->head].size() - body_->offset;
      if (n < left) {
        body_->offset += n;
        break;
      }
      n -= left;
      finish_front().set_result();
    }
    compact();
  }

  // Takes every queued chunk's future out of the queue (to fail them) and
  // empties it.
  std::vector<Future<void>> drain() {
    std::vector<Future<void>> out;
    if (!body_) return out;
    out.reserve(body_->chunks.size() - body_->head);
    while (body_->head < body_->chunks.size()) out.push_back(finish_front());
    compact();
    return out;
  }

 private:
  struct Body {
    std::vector<Chunk> chunks;
    std::size_t head = 0;    // the first chunk not yet sent whole
    std::size_t bytes = 0;   // total size of the chunks from head on
    std::size_t offset = 0;  // bytes of the front chunk already sent
  };

  Future<void> finish_front() {
    Chunk& front = body_->chunks[body_->head++];
    Future<void> done = std::move(front.done);
    body_->bytes -= front.size();
    std::string().swap(front.data);  // its memory goes now, not at compaction
    front.file.reset();              // and its file closes now
    body_->offset = 0;
    return done;
  }

  // Frees the body once empty; drops the sent prefix once it is most of the
  // vector (so a queue that never drains stays linear).
  void compact() noexcept {
    if (!body_) return;
    if (body_->head == body_->chunks.size()) {
      body_.reset();
    } else if (body_->head >= 32 && body_->head * 2 >= body_->chunks.size()) {
      body_->chunks.erase(body_->chunks.begin(), body_->chunks.begin() + static_cast<std::ptrdiff_t>(body_->head));
      body_->head = 0;
    }
  }

  std::unique_ptr<Body> body_;
};
using WriteQueue = BasicWriteQueue<>;

}  // namespace eddy::detail
