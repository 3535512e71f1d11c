// StreamState's write path. Included by stream_state.hpp; see it for the
// class and its lifetime rules.
//
// The rules:
// - write() hands what the kernel takes at once straight from the caller's
//   bytes and copies only the rest, once, into the queue (WriteQueue); the
//   future resolves when the last byte reaches the kernel.
// - A write the kernel took whole resolves at once with a future shared by
//   every such write of the thread's current loop, so the common case
//   allocates nothing and an idle stream keeps no future of its own.
// - Queued chunks go out with one sendmsg (writev on a pipe) per wake-up
//   (gather write); WRITE interest stays on after the queue drains (see
//   stream_state.hpp).
// - A file range in the queue (write_file) goes out when it reaches the
//   front, by sendfile (stream_write_file.hpp); the gather write stops
//   before it.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include "stream_state.hpp"

namespace eddy::detail {

template <class D>
inline Future<void> BasicStreamState<D>::write(std::string_view data) {
  if (closed_) return make_failed_future<void>(failure());
  if (writes_.empty()) {
    ssize_t n = send_some(data);
    if (n < 0) {
      close_for_errno(errno);
      return make_failed_future<void>(error_);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (data.empty()) return written_future(*loop());
  }
  Future<void> future;
  writes_.push(data, future);
  want(IOLoop::WRITE);
  update_hold();
  return future;
}

// One resolved future per thread, remade when another loop asks (a loop's
// serial is never reused), so callbacks added to it are scheduled on the
// loop that asked.
template <class D>
inline Future<void> BasicStreamState<D>::written_future(const IOLoop& loop) {
  struct Shared {
    std::uint64_t serial = 0;
    std::optional<Future<void>> future;
  };
  thread_local Shared shared;
  if (!shared.future || shared.serial != loop.serial()) {
    shared.future.emplace(make_ready_future());
    shared.serial = loop.serial();
  }
  return *shared.future;
}

// send(2) without SIGPIPE; on a pipe (ENOTSOCK, see receive()) writev(2).
template <class D>
inline ssize_t BasicStreamState<D>::send_some(std::string_view data) noexcept {
  ssize_t n;
  if (EDDY_UNLIKELY(transport_ != nullptr)) {
    iovec one{const_cast<char*>(data.data()), data.size()};
    n = transport_send(&one, 1);
  } else {
    do {
      n = ::send(fd_, data.data(), data.size(), send_flags);
    } while (n == -1 && errno == EINTR);
    if (n == -1 && errno == ENOTSOCK) {
      iovec iov{const_cast<char*>(data.data()), data.size()};
      n = writev_plain(fd_, &iov, 1);
    }
  }
  if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

// One gather write: sendmsg(2), or writev(2) on a pipe.
template <class D>
inline ssize_t BasicStreamState<D>::send_gathered(const iovec* iov, int count) noexcept {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(count);
  ssize_t n = ::sendmsg(fd_, &message, send_flags);
  if (n == -1 && errno == ENOTSOCK) {
    n = writev_plain(fd_, iov, count);
  }
  return n;
}

// Flushes the queue with gather writes until it is empty or the kernel is
// full; resolves each write's future as its last byte goes.
template <class D>
inline void BasicStreamState<D>::handle_write() {
  while (writing()) {
    if (writes_.front_file() != nullptr) {
      if (!write_front_file()) break;
      continue;
    }
    iovec iov[WriteQueue::max_iov];
    int count = writes_.gather(iov);
    std::size_t offered = 0;
    for (int i = 0; i < count; ++i) offered += iov[i].iov_len;
    ssize_t n = EDDY_LIKELY(transport_ == nullptr) ? send_gathered(iov, count)
                                                   : transport_send(iov, static_cast<std::size_t>(count));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_for_errno(errno);
      break;
    }
    writes_.consume(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < offered) break;
  }
  // WRITE interest stays on once the queue is empty: a sender that refills
  // it as soon as the futures resolve (a bulk transfer) costs no epoll_ctl
  // per flush. The next writable event with nothing queued drops it.
}

}  // namespace eddy::detail
