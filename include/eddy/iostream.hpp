/// @file
/// IOStream: a buffered, non-blocking stream over a connected socket or a
/// pipe, after Tornado's IOStream and PipeIOStream. Reads and writes return
/// futures; none of them blocks.
///
///   eddy::IOStream stream(fd);                        // on IOLoop::current()
///   std::string line = co_await stream.read_until("\n");
///   co_await stream.write(line);
///
/// - One read at a time: a second read while one is pending gives a future
///   failed with std::logic_error. Writes queue, in order.
/// - A read is satisfied from the buffer when it can. Futures never resolve
///   inside the call that resolves them (see future.hpp), so a callback may
///   start the next read or write at once.
/// - Bounded memory: the read buffer never grows past max_buffer_size() (100
///   MiB by default, as Tornado) plus one recv; the read that would need more
///   fails with UnsatisfiableReadError and the stream closes. The socket is
///   read only while a read is pending, so an idle stream leaves the flow
///   control to TCP.
/// - Idle streams are cheap: the socket is read into one 64 KiB buffer per
///   thread, and a stream keeps only the bytes a read did not consume, in
///   memory sized to them and freed when they are consumed. An idle stream
///   holds no receive buffer and no write queue (224 bytes in all).
/// - write() hands what the kernel takes at once straight from the caller's
///   bytes and copies only the rest into the queue; the future resolves when
///   the last byte reaches the kernel. Awaiting it is back-pressure.
/// - The peer closing, resetting or vanishing fails every pending future with
///   StreamClosedError (what() says why) and runs the close callback once.
///   Sends use MSG_NOSIGNAL (SO_NOSIGPIPE on macOS/BSD): SIGPIPE never fires.
///   read_until_close() resolves with everything received instead.
/// - Pipes, FIFOs and ttys work as sockets do (Tornado's PipeIOStream): a
///   stream over one end reads or writes with read(2)/writev(2); a write to a
///   pipe whose reader is gone fails with "broken pipe" (EPIPE), with SIGPIPE
///   blocked in this thread for the write and never left pending; a hang-up
///   keeps what the writer wrote for later reads. Sockets pay nothing for
///   this (the fallback sits behind recv's ENOTSOCK).
///
/// Lifetime: IOStream is a copyable handle; copies share one stream. The fd is
/// closed by close(), when the stream fails, or when the last handle goes with
/// nothing pending (a pending read or write keeps the stream alive until it
/// finishes). The close callback must not hold a handle to its own stream, or
/// the stream can only close through close() or the peer. A stream outliving
/// its loop is closed when the loop is destroyed: its pending futures are
/// dropped unresolved (their coroutines went with the loop), error() says
/// "its loop was destroyed", and every later operation fails with that
/// StreamClosedError (read_into's callback form throws it). A stream closed
/// before its loop died never touches the loop again.
///
/// Thread contract: the thread of the loop the stream was created on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "detail/stream/stream_state.hpp"
#include "future.hpp"
#include "ioloop.hpp"

namespace eddy {

class SSLContext;
class SSLIOStream;

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// IOStream's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class IOStreamImpl {
 public:
  /// Takes ownership of a connected socket (or socketpair end, or a pipe
  /// end), sets O_NONBLOCK and registers it with IOLoop::current(). Throws
  /// std::invalid_argument for a negative fd and std::system_error if the
  /// loop refuses it; then the caller still owns the fd.
  explicit IOStreamImpl(int fd) : IOStreamImpl(fd, IOLoop::current()) {}
  /// As IOStream(fd), on `loop` instead of IOLoop::current().
  IOStreamImpl(int fd, IOLoop& loop) : state_(std::make_shared<detail::StreamState>(loop, fd)) {
    try {
      state_->attach();
    } catch (...) {
      state_->disown();
      throw;
    }
  }
  /// Another handle to the same stream.
  IOStreamImpl(const IOStreamImpl&) = default;
  /// Takes over the handle.
  IOStreamImpl(IOStreamImpl&&) noexcept = default;
  /// Makes this a handle to the stream of `other`.
  IOStreamImpl& operator=(IOStreamImpl other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  /// The last handle of an idle stream closes it (see StreamState's sticky hold).
  ~IOStreamImpl() { detail::StreamState::release_if_last(state_); }

  /// Exactly n bytes; with partial, whatever is available as soon as anything
  /// is, up to n. n == 0 resolves with "" at once.
  Future<std::string> read_bytes(std::size_t n, bool partial = false) {
    return state_->read(detail::StreamState::ReadKind::bytes, n, partial, {}, 0);
  }

  /// Everything up to and including the delimiter. With max_bytes > 0, fails
  /// with UnsatisfiableReadError and closes the stream once max_bytes have
  /// arrived without the delimiter ending within them. An empty delimiter
  /// fails with std::invalid_argument.
  Future<std::string> read_until(std::string_view delimiter, std::size_t max_bytes = 0) {
    if (delimiter.empty()) {
      return make_failed_future<std::string>(
          std::make_exception_ptr(std::invalid_argument("eddy: IOStream::read_until: empty delimiter")));
    }
    return state_->read(detail::StreamState::ReadKind::until, 0, false, delimiter, max_bytes);
  }

  /// Tornado's read_into: reads n bytes (with partial, at least one) into
  /// `data`, which must stay valid until the future resolves with the count.
  /// Bytes already buffered are copied; after that the kernel writes straight
  /// into `data`, so bulk transfers pay no copy of their own. If the stream
  /// closes first, the future fails (bytes stored so far stay in `data`).
  Future<std::size_t> read_into(char* data, std::size_t n, bool partial = false) {
    return state_->read_into(data, n, partial);
  }

  /// read_into's callback form, after Tornado 4.5's callback= and Asio's
  /// completion handlers: no future. callback(std::size_t n, std::exception_ptr
  /// error) runs once, on the loop, never inside this call: error is null and
  /// n the count on success; on failure error is the StreamClosedError (or the
  /// logic_error of a second read) and n what was stored before it. Completed
  /// by socket I/O, it runs straight from the stream's handler (as Asio and
  /// libuv run completion handlers); completed at once (buffered data, a
  /// closed stream), from a callback scheduled on the loop. It skips the
  /// future's allocation and job: the cheapest way to stream bytes. The
  /// callback may start the next read at once. Throws StreamClosedError when
  /// the stream's loop is gone (there is no loop left to call back from).
  template <class F>
  void read_into(char* data, std::size_t n, bool partial, F&& callback) {
    state_->read_into(data, n, partial, detail::StreamState::IntoCallback(std::forward<F>(callback)));
  }

  /// Everything until the peer closes (or the stream closes for any reason).
  Future<std::string> read_until_close() {
    return state_->read(detail::StreamState::ReadKind::until_close, 0, false, {}, 0);
  }

  /// Queues data after every earlier write. The future resolves when the
  /// last byte is handed to the kernel, or fails with StreamClosedError.
  Future<void> write(std::string_view data) { return state_->write(data); }

  /// Queues bytes [offset, offset + count) of the open file `file_fd` after
  /// every earlier write; later writes wait for them. Takes ownership of
  /// `file_fd`: it is closed once the range is sent, or when the stream
  /// closes first, or at once if the stream is closed already. The bytes go
  /// from the page cache to the socket with sendfile(2) as the socket takes
  /// them (Linux, plain streams); TLS streams and other systems read and send
  /// at most 64 KiB at a time. Either way no more than that is ever held in
  /// memory, and the range counts in write_buffer_size() until sent. The
  /// future resolves when the last byte reaches the kernel; it fails with
  /// StreamClosedError if the stream closes first, and the stream closes
  /// (EIO) if the file ends before the range does. A negative `file_fd`
  /// gives a future failed with std::invalid_argument.
  /// With `head`, those bytes go first, just before the range, under the
  /// same future (an HTTP response's head and its body).
  Future<void> write_file(int file_fd, std::uint64_t offset, std::uint64_t count, std::string_view head = {}) {
    return state_->write_file(detail::FileRange(file_fd, offset, count), head);
  }

  /// Closes the socket now. Pending reads fail with StreamClosedError ("closed
  /// locally"; read_until_close resolves with what it has), unsent writes
  /// fail, the close callback is scheduled. A no-op when already closed.
  void close() { state_->close_locally(); }
  /// True once the stream is closed (by close(), the peer or an error).
  bool closed() const noexcept { return state_->closed(); }

  /// callback() runs once, on the loop, after the stream closes for any
  /// reason (at once, scheduled, if it already has). Replaces any earlier one.
  /// Once the loop is gone, callback is destroyed without running.
  template <class F>
  void set_close_callback(F&& callback) {
    state_->set_close_callback(detail::Function<void()>(std::forward<F>(callback)));
  }

  /// The loop the stream runs on (Tornado's `IOStream.io_loop`), or nullptr
  /// once that loop is destroyed.
  IOLoop* loop() const noexcept { return state_->loop(); }

  /// Why the stream closed (a StreamClosedError), or null while open.
  std::exception_ptr error() const noexcept { return state_->error(); }

  /// The read buffer limit (default 100 MiB; at most 4 GiB - 1, larger values are clamped). Takes effect from the next read.
  void set_max_buffer_size(std::size_t bytes) noexcept { state_->set_max_buffer_size(bytes); }
  /// The read buffer limit.
  std::size_t max_buffer_size() const noexcept { return state_->max_buffer_size(); }

  /// True while a read is pending.
  bool reading() const noexcept { return state_->reading(); }
  /// True while written bytes wait to be sent.
  bool writing() const noexcept { return state_->writing(); }
  /// Bytes received and not yet read.
  std::size_t read_buffer_size() const noexcept { return state_->read_buffer_size(); }
  /// The memory the stream holds for received bytes: 0 while it holds none.
  std::size_t read_buffer_capacity() const noexcept { return state_->read_buffer_capacity(); }
  /// Bytes written and not yet sent.
  std::size_t write_buffer_size() const noexcept { return state_->write_buffer_size(); }
  /// The socket, or -1 once closed.
  int fd() const noexcept { return state_->fd(); }

  /// TCP_NODELAY: send small writes at once instead of coalescing them
  /// (Nagle). Returns false if the socket is not TCP or is closed.
  bool set_nodelay(bool on) noexcept {
    int value = on ? 1 : 0;
    return state_->fd() >= 0 && ::setsockopt(state_->fd(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) == 0;
  }

  /// STARTTLS: upgrades this plain, idle stream to TLS in place (PostgreSQL's
  /// SSLRequest, SMTP's STARTTLS): every handle of it speaks TLS from now on.
  /// The future resolves with the stream as an SSLIOStream once the handshake
  /// is done, or fails with SSLError (the stream closes). Bytes already
  /// received and not read are taken as the peer's first TLS bytes. With a
  /// read or write pending, or on a stream already speaking TLS, throws
  /// std::logic_error; on a closed stream the future fails with error().
  /// Defined in <eddy/ssl.hpp> (include it, and link eddy::ssl, to call it).
  Future<SSLIOStream> start_tls(bool server_side, const SSLContext& ctx, std::string server_hostname = "");

  /// True when both handles name the same stream.
  friend bool operator==(const IOStreamImpl& a, const IOStreamImpl& b) noexcept { return a.state_ == b.state_; }
  /// The negation of ==.
  friend bool operator!=(const IOStreamImpl& a, const IOStreamImpl& b) noexcept { return a.state_ != b.state_; }

 protected:
  /// @cond EDDY_DETAIL
  // For SSLIOStream (<eddy/ssl.hpp>): a handle to an existing state, and the state.
  explicit IOStreamImpl(std::shared_ptr<detail::StreamState> state) noexcept : state_(std::move(state)) {}
  const std::shared_ptr<detail::StreamState>& stream_state() const noexcept { return state_; }
  /// @endcond

 private:
  std::shared_ptr<detail::StreamState> state_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A non-blocking socket with read and write buffers, as Tornado's IOStream.
///
/// A shared handle: copies name the same stream. Used on its loop's thread; see the file comment for reads, writes, closing and lifetime.
#if defined(EDDY_DOXYGEN)
class IOStream : public IOStreamImpl<void> {
#else
class IOStream : public detail::IOStreamImpl<void> {
#endif
 public:
  using IOStreamImpl::IOStreamImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::IOStreamImpl<void>;
#endif
