// StreamState's file writes (IOStream::write_file). Included by
// stream_state.hpp; see it for the class, and stream_write_queue.hpp and
// file_range.hpp for the queue's file chunks and how a piece is sent.
//
// The rules:
// - A file range keeps its place among the writes: it is sent once every
//   byte written before it is out, and bytes written after it wait for it.
//   The bytes given with it (a response's head) go just before it, in the
//   same chunk, under one future; when it is sent at once on a plain TCP
//   socket, the socket is corked from the head until the range is out, so
//   they leave in full segments (TCP_CORK: measured by bench/static-bench,
//   it halves the client's receive work for a 1 MiB file).
// - Sent as the socket takes it, driven by the loop's writability: one
//   sendfile (or one pread and send, on TLS or without sendfile) per
//   wake-up and per piece, never more than the socket accepts, so a slow
//   reader costs no memory however large the file.
// - Like write(): tried at once when nothing is queued, the future resolves
//   when the last byte reaches the kernel, and everything that closes the
//   stream fails it (and closes the file).
// - A file shorter than its range (truncated while queued) cannot complete
//   the bytes promised: the stream closes with StreamClosedError (EIO)
//   rather than leave the peer waiting for bytes that will never come.
//
// Thread contract: the loop thread only.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

#include "stream_state.hpp"

namespace eddy::detail {

template <class D>
inline Future<void> BasicStreamState<D>::write_file(FileRange range, std::string_view head) {
  if (closed_) return make_failed_future<void>(failure());
  if (!range.valid()) {
    return make_failed_future<void>(
        std::make_exception_ptr(std::invalid_argument("eddy: IOStream::write_file: invalid file descriptor")));
  }
  if (range.size() == 0) return write(head);  // in order, like a write of the head alone
  // Sent at once when nothing waits, corked until the file is out (see
  // set_cork) on a plain socket.
  const bool cork = writes_.empty() && transport_ == nullptr;
  std::uint64_t sent = 0;
  if (writes_.empty()) {
    if (cork) set_cork(fd_, true);
    if (!send_file_now(range, head, sent)) return make_failed_future<void>(error_);
    if (sent == head.size() + range.size()) {
      if (cork) set_cork(fd_, false);
      return written_future(*loop());  // the range closes here
    }
  }
  Future<void> future;
  writes_.push_file(head, std::move(range), future, cork);
  if (sent > 0) writes_.consume(static_cast<std::size_t>(sent));
  want(IOLoop::WRITE);
  update_hold();
  return future;
}

// The first attempt, with nothing queued: as much of `head`, then of the
// range, as the socket takes (`sent` counts both). False when the stream
// closed on an error.
template <class D>
inline bool BasicStreamState<D>::send_file_now(FileRange& range, std::string_view& head, std::uint64_t& sent) {
  if (!head.empty()) {
    ssize_t n = send_some(head);
    if (n < 0) {
      close_for_errno(errno);
      return false;
    }
    sent = static_cast<std::uint64_t>(n);
    if (sent < head.size()) return true;
  }
  std::size_t offered = 0;
  ssize_t n = send_file_range(range, 0, offered);
  if (n > 0) {
    sent += static_cast<std::uint64_t>(n);
    return true;
  }
  if (n == 0) {
    close_with("eddy: stream closed: the file ended before its range was sent", EIO);
    return false;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
  close_for_errno(errno);
  return false;
}

// Sends one piece of the front chunk's file part: true when the socket took
// all it was offered (the rest of the file, or the next chunk, may go on at
// once), false to wait for the socket (or when the stream closed).
template <class D>
inline bool BasicStreamState<D>::write_front_file() {
  const auto& front = *writes_.front_file();
  const bool uncork = front.uncork;
  std::uint64_t skip = writes_.front_offset();
  std::uint64_t left = front.file.size() - skip;
  std::size_t offered = 0;
  ssize_t n = send_file_range(front.file, skip, offered);
  if (n > 0) {
    writes_.consume(static_cast<std::size_t>(n));  // may close the file: `front` is not used after
    if (uncork && static_cast<std::uint64_t>(n) == left) set_cork(fd_, false);
    return static_cast<std::size_t>(n) == offered;
  }
  if (n == 0) {
    close_with("eddy: stream closed: the file ended before its range was sent", EIO);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    close_for_errno(errno);
  }
  return false;
}

// One piece of `file` from `skip` bytes into its range (`offered`: how
// much was offered): the count the socket took, 0 when the file ended
// early, or -1 with errno (EAGAIN: the socket is full). sendfile where it
// can, else a bounded copy.
template <class D>
inline ssize_t BasicStreamState<D>::send_file_range(const FileRange& file, std::uint64_t skip,
                                                    std::size_t& offered) noexcept {
  if (transport_ == nullptr) {
    // sendfile's count is capped (Linux moves at most 2 GiB - 4 KiB per
    // call); a socket takes far less per call anyway.
    offered = static_cast<std::size_t>(std::min<std::uint64_t>(file.size() - skip, 1u << 30));
    ssize_t n = send_file_piece(fd_, file.fd(), file.offset() + skip, offered);
    if (n >= 0 || (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)) return n;
  }
  offered = static_cast<std::size_t>(std::min<std::uint64_t>(file.size() - skip, file_chunk_size));
  return send_file_copy(file, skip, offered);
}

// The fallback: at most 64 KiB read with pread into the thread's buffer and
// sent from there (through the transport, if any); what the socket does not
// take is read again next time (the page cache has it).
template <class D>
inline ssize_t BasicStreamState<D>::send_file_copy(const FileRange& file, std::uint64_t skip,
                                                   std::size_t room) noexcept {
  char* buffer = nullptr;
  try {
    buffer = file_chunk_buffer();
  } catch (...) {
    errno = ENOMEM;
    return -1;
  }
  ssize_t got = read_file_piece(file.fd(), file.offset() + skip, buffer, room);
  if (got <= 0) return got;
  ssize_t n = send_some(std::string_view(buffer, static_cast<std::size_t>(got)));
  if (n == 0) {
    errno = EAGAIN;
    return -1;
  }
  return n;
}

}  // namespace eddy::detail
