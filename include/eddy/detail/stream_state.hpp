// StreamState: the one object behind every copy of an IOStream handle.
//
// It registers one fd handler with the loop and toggles READ/WRITE interest
// as reads and writes are pending (Tornado's _add_io_state). Interest is
// dropped lazily: READ stays on after a read completes and goes only when the
// socket turns readable with no read pending; WRITE stays on after the queue
// drains and goes at the next writable event with nothing queued. So a
// request/response connection, or a bulk sender refilling its queue, costs
// no epoll_ctl per message.
//
// Lifetime: IOStream handles own the state. While a read or a write is
// pending the state also holds itself (hold_), so an operation finishes even
// if the user dropped every handle; with nothing pending, the last handle
// closes the fd. The hold is sticky: once taken it stays while any handle
// is left, so a stream doing one read after another does not take and drop
// a reference (two atomic operations) per read. It goes when nothing is
// pending and no handle remains: at the end of on_events(), or in the last
// handle's destructor (release_if_last). The loop's handler holds only a
// weak_ptr (and a raw pointer for dispatch). If the loop is
// destroyed first, the handler's destructor tells the state (loop_gone), which
// then closes its fd, drops its futures unresolved and never calls the loop
// again.
//
// Thread contract: the loop thread only.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "../ioloop.hpp"
#include "socket_ops.hpp"
#include "stream_buffer.hpp"

namespace eddy {

// Raised into every pending and later operation of a closed stream. what()
// says why: "eddy: stream closed: peer closed the connection", "... connection
// reset by peer", "... closed locally", ... error() is the errno behind it, or
// 0 when there is none.
class StreamClosedError : public std::runtime_error {
 public:
  explicit StreamClosedError(const std::string& what, int error = 0) : std::runtime_error(what), error_(error) {}
  int error() const noexcept { return error_; }

 private:
  int error_;
};

// The read that can never complete: read_until found no delimiter within
// max_bytes, or the read buffer passed max_buffer_size. The stream is closed
// (Tornado's UnsatisfiableReadError and StreamBufferFullError).
class UnsatisfiableReadError : public StreamClosedError {
 public:
  using StreamClosedError::StreamClosedError;
};

}  // namespace eddy

namespace eddy::detail {

// The loop whose destruction is under way, as far as streams can tell: set by
// the first stream handler the loop destroys, so that other streams freed as
// a consequence do not call into the half-destroyed loop.
inline thread_local const IOLoop* loop_being_destroyed = nullptr;

class StreamState : public std::enable_shared_from_this<StreamState> {
 public:
  enum class ReadKind : std::uint8_t { none, bytes, until, until_close, into };

  // Inline reads (see proceed_read): at most this many in a row before the
  // stream waits for the poller again, and only after a recv that filled a
  // room at least this large.
  static constexpr std::uint8_t inline_read_budget = 16;
  static constexpr std::size_t bulk_room = 16 * 1024;

  StreamState(IOLoop& loop, int fd) : loop_(&loop), fd_(fd) {
    if (fd < 0) throw std::invalid_argument("eddy: IOStream: invalid fd " + std::to_string(fd));
    if (loop_being_destroyed == loop_) loop_being_destroyed = nullptr;  // a new loop at the old address
    set_nonblocking(fd);
    suppress_sigpipe(fd);
  }

  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;

  ~StreamState() {
    if (closed_) return;
    closed_ = true;
    detach();
    if (close_callback_ && loop_usable()) loop_->add_callback(std::move(close_callback_));
  }

  // Registers the handler; called once, right after construction.
  void attach();
  // Forgets the fd without closing it (attach() failed: the caller keeps it).
  void disown() noexcept {
    closed_ = true;
    fd_ = -1;
  }

  // ---- reads ------------------------------------------------------------
  Future<std::string> read(ReadKind kind, std::size_t n, bool partial, std::string_view delimiter,
                           std::size_t max_bytes) {
    Read read;
    read.kind = kind;
    read.n = n;
    read.partial = partial;
    read.max_bytes = max_bytes;
    return begin_read(read, read_future_, delimiter);
  }

  // read_into: up to n bytes into the caller's memory, straight from the
  // socket once the buffer is drained (no copy beyond the kernel's).
  Future<std::size_t> read_into(char* target, std::size_t n, bool partial) {
    return begin_read(into_read(target, n, partial, false), into_future_, {});
  }

  // read_into's callback form: the outcome goes to callback(n, error)
  // instead of a future, from the handler or a scheduled job, never inside
  // this call (see deliver_into).
  using IntoCallback = Function<void(std::size_t, std::exception_ptr)>;
  void read_into(char* target, std::size_t n, bool partial, IntoCallback&& callback) {
    if (reading() || delivering_) {
      // Rare, so the capture may allocate; it still runs from the loop.
      loop_->add_callback([cb = std::move(callback)]() mutable { cb(0, already_reading()); });
      return;
    }
    read_ = into_read(target, n, partial, true);
    into_callback_ = std::move(callback);
    proceed_read();
  }

  // ---- writes -----------------------------------------------------------
  Future<void> write(std::string_view data) {
    if (closed_) return make_failed_future<void>(error_);
    if (writes_.empty()) {
      // Hand as much as the kernel takes straight from the caller's bytes;
      // only the rest is copied, once, into the queue.
      ssize_t n = send_some(data);
      if (n < 0) {
        close_for_errno(errno);
        return make_failed_future<void>(error_);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      if (data.empty()) return written_future();
      
    }
    Future<void> future;
    writes_.push(data, future);
    want(IOLoop::WRITE);
    update_hold();
    return future;
  }

  // ---- state ------------------------------------------------------------
  void close_locally() { close_with("eddy: stream closed: closed locally", 0); }
  bool closed() const noexcept { return closed_; }
  bool reading() const noexcept { return read_.kind != ReadKind::none; }
  bool writing() const noexcept { return !writes_.empty(); }
  int fd() const noexcept { return fd_; }
  std::exception_ptr error() const noexcept { return error_; }
  std::size_t read_buffer_size() const noexcept { return buffer_.size(); }
  std::size_t write_buffer_size() const noexcept { return writes_.bytes(); }
  std::size_t max_buffer_size() const noexcept { return max_buffer_size_; }
  void set_max_buffer_size(std::size_t n) noexcept { max_buffer_size_ = n == 0 ? 1 : n; }

  void set_close_callback(Function<void()>&& callback) {
    close_callback_ = std::move(callback);
    if (closed_ && close_callback_ && loop_usable()) loop_->add_callback(std::move(close_callback_));
  }

  // Called by a handle about to go: when it and the hold are the last two
  // references and nothing is pending, the hold goes now, so the handle's
  // own release frees the state (and closes the fd).
  static void release_if_last(std::shared_ptr<StreamState>& handle) noexcept {
    if (handle && handle.use_count() == 2 && handle->hold_ && !handle->busy()) handle->hold_.reset();
  }

  // The handler's entry points.
  void on_events(std::uint32_t events);
  void on_handler_destroyed() noexcept;

 private:
  struct Read {
    ReadKind kind = ReadKind::none;
    std::size_t n = 0;
    bool partial = false;
    std::size_t max_bytes = 0;
    std::size_t scanned = 0;  // read_until: the delimiter does not start before this
    char* target = nullptr;   // read_into: the caller's memory
    std::size_t filled = 0;   // read_into: bytes stored there so far
    bool to_callback = false; // read_into: into_callback_ gets the outcome
  };

  // A write the kernel took whole resolves at once; every such write shares
  // one resolved future, so the common case allocates nothing.
  Future<void> written_future() {
    if (!written_) written_.emplace(make_ready_future());
    return *written_;
  }

  bool loop_usable() const noexcept { return !loop_gone_ && loop_being_destroyed != loop_; }

  void want(std::uint32_t events) {
    if ((interest_ & events) == events || closed_) return;
    interest_ |= events;
    loop_->update_handler(fd_, interest_);
  }
  void drop(std::uint32_t events) {
    if ((interest_ & events) == 0 || closed_) return;
    interest_ &= ~events;
    loop_->update_handler(fd_, interest_);
  }

  // While something is pending the state keeps itself alive. Callers run
  // on behalf of a handle (or inside on_events), so the hold is never the
  // last reference here and is left in place: see release_if_last() and
  // settle_hold() for where it goes.
  void update_hold() {
    if (!hold_ && busy()) hold_ = shared_from_this();
  }
  bool busy() const noexcept {
    return delivering_ || running_delivery_ || (!closed_ && (reading() || writing()));
  }

  bool try_complete_read();
  bool try_complete_until();
  bool try_complete_into();
  bool resolve_into();
  ssize_t recv_into();
  bool resolve_read(std::size_t n);
  bool fail_read(const std::string& why);
  Future<std::string> take_read_future();
  void finish_read_on_close();
  void handle_read();
  void handle_write();
  void handle_error();
  ssize_t recv_some(std::size_t& room);
  ssize_t send_some(std::string_view data) noexcept;
  void close_for_errno(int error);
  void close_with(const std::string& why, int error);
  void detach() noexcept;

  IOLoop* loop_;
  int fd_;
  std::uint32_t interest_ = IOLoop::NONE;
  bool registered_ = false;
  bool closed_ = false;
  bool loop_gone_ = false;
  std::size_t max_buffer_size_ = 100 * 1024 * 1024;  // Tornado's default: 100 MiB
  Read read_;
  std::string delimiter_;  // read_until's; kept apart so Read stays trivially copyable
  // Starts a read (one at a time per stream): completes it from the buffer
  // if it can, fails it if the stream is closed, else waits for READ.
  template <class T>
  Future<T> begin_read(const Read& read, std::optional<Future<T>>& slot, std::string_view delimiter) {
    if (reading() || delivering_) return make_failed_future<T>(already_reading());
    Future<T> future;
    read_ = read;
    if (read.kind == ReadKind::until) delimiter_.assign(delimiter.data(), delimiter.size());
    slot.emplace(future);
    proceed_read();
    return future;
  }

  static std::exception_ptr already_reading() {
    return std::make_exception_ptr(
        std::logic_error("eddy: IOStream: a read is already pending (one read at a time per stream)"));
  }

  // The read just set up: completes it from the buffer if it can, reads
  // inline when that pays, fails it if the stream is closed, else waits.
  void proceed_read() {
    if (try_complete_read()) return;
    // Tornado's inline read, made adaptive: when the last recv filled all
    // the room it had, the kernel probably holds more, so read now instead of
    // paying a poll to learn it. After a short recv (request/response
    // traffic) the answer would be EAGAIN, so wait for READ. The budget,
    // refilled whenever the loop dispatches this fd, stops a coroutine whose
    // peer never pauses from starving every other handler.
    if (!closed_ && more_likely_ && inline_reads_left_ > 0) {
      --inline_reads_left_;
      handle_read();
      if (!reading()) return;  // resolved, or failed by a close
    }
    if (closed_) return finish_read_on_close();
    want(IOLoop::READ);
    update_hold();
  }

  static Read into_read(char* target, std::size_t n, bool partial, bool to_callback) noexcept {
    Read read;
    read.kind = ReadKind::into;
    read.n = n;
    read.partial = partial;
    read.target = target;
    read.to_callback = to_callback;
    return read;
  }

  // The callback form's outcome (see deliver_into).
  void deliver_into(std::size_t n, std::exception_ptr error);
  void call_delivery() noexcept;
  // After work that may have ended every operation (the handler's, or a
  // delivery job's, neither of which holds a reference): the hold stays
  // while work is pending or a handle is left; otherwise it is the last
  // reference and goes, freeing *this, so callers do nothing after it.
  void settle_hold() {
    if (busy()) {
      if (!hold_) hold_ = shared_from_this();
    } else if (hold_ && hold_.use_count() == 1) {
      std::shared_ptr<StreamState> last = std::move(hold_);
    }
  }

  bool more_likely_ = false;  // the last recv filled its room
  int reported_error_ = 0;    // an errno the backend reported with ERROR
  std::uint8_t inline_reads_left_ = inline_read_budget;
  std::optional<Future<std::string>> read_future_;
  std::optional<Future<std::size_t>> into_future_;
  IntoCallback into_callback_;
  std::size_t delivery_n_ = 0;
  std::exception_ptr delivery_error_;
  bool delivering_ = false;        // a callback outcome is scheduled
  bool delivery_due_ = false;      // ... for the end of on_events()
  bool running_delivery_ = false;  // ... and its callback is running
  bool dispatching_ = false;       // inside on_events()
  std::optional<Future<void>> written_;
  ReadBuffer buffer_;
  WriteQueue writes_;
  std::exception_ptr error_;
  Function<void()> close_callback_;
  std::shared_ptr<StreamState> hold_;
};

// What the loop stores for a stream's fd: a weak reference, so the loop never
// keeps a stream alive, and a destructor that notices the loop going away.
//
// Dispatch uses the raw pointer: the loop invokes only registered handlers,
// and the state unregisters before it can die (detach() runs on every path
// to its destructor), so while the handler can be called the state lives.
// Only the destructor, which may run later (a slot freed at the end of a
// dispatch batch), needs the weak_ptr.
struct StreamHandler {
  StreamState* target;
  std::weak_ptr<StreamState> state;

  void operator()(int, std::uint32_t events) const { target->on_events(events); }
  StreamHandler(StreamState* raw, std::weak_ptr<StreamState> s) noexcept : target(raw), state(std::move(s)) {}
  StreamHandler(StreamHandler&&) noexcept = default;
  StreamHandler& operator=(StreamHandler&&) = delete;
  ~StreamHandler() {
    if (std::shared_ptr<StreamState> s = state.lock()) s->on_handler_destroyed();
  }
};

inline void StreamState::attach() {
  loop_->add_handler(fd_, StreamHandler(this, weak_from_this()), IOLoop::NONE);
  registered_ = true;
}

// The handler holds no reference: *this lives on the hold or a handle, and
// nothing run here drops either (no user code runs but a read_into
// callback, during which the stream counts as busy). A read_into callback
// completed here runs at the end, from the handler, as Asio and libuv run
// completion handlers; then settle_hold() may free *this.
inline void StreamState::on_events(std::uint32_t events) {
  if (closed_) return;
  dispatching_ = true;
  inline_reads_left_ = inline_read_budget;
  if (int error = IOLoop::error_of(events)) reported_error_ = error;
  if ((events & (IOLoop::READ | IOLoop::ERROR)) != 0) {
    if (reading()) {
      handle_read();
    } else if ((events & IOLoop::READ) != 0) {
      drop(IOLoop::READ);  // the lazy half of READ interest
    }
  }
  if (!closed_ && (events & (IOLoop::WRITE | IOLoop::ERROR)) != 0) {
    if (writing()) {
      handle_write();
    } else if ((events & IOLoop::WRITE) != 0) {
      drop(IOLoop::WRITE);  // the lazy half of WRITE interest
    }
  }
  if (!closed_ && (events & IOLoop::ERROR) != 0) handle_error();
  dispatching_ = false;
  if (delivery_due_) {
    delivery_due_ = false;
    call_delivery();
  }
  settle_hold();
}

// The handler was destroyed while still registered: the loop is being
// destroyed (or someone removed our fd behind our back). Never touch the loop
// again; close the fd and drop every pending future unresolved (their
// coroutines were already destroyed with the loop).
inline void StreamState::on_handler_destroyed() noexcept {
  if (!registered_) return;  // we removed it ourselves
  registered_ = false;
  loop_gone_ = true;
  loop_being_destroyed = loop_;
  closed_ = true;
  close_fd(fd_);
  fd_ = -1;
  read_.kind = ReadKind::none;
  read_future_.reset();
  into_future_.reset();
  into_callback_ = nullptr;
  delivering_ = false;
  delivery_due_ = false;
  running_delivery_ = false;
  writes_.drain();
  close_callback_ = nullptr;
  std::shared_ptr<StreamState> last = std::move(hold_);
}

// ---- reading -----------------------------------------------------------

// Resolves the pending read from the buffer if it can; fails it (closing the
// stream) if it never can. True when the read is finished either way.
inline bool StreamState::try_complete_read() {
  std::size_t available = buffer_.size();
  switch (read_.kind) {
    case ReadKind::none:
      return false;
    case ReadKind::bytes:
      if (available >= read_.n) return resolve_read(read_.n);
      if (read_.partial && available > 0) return resolve_read(available);
      break;
    case ReadKind::until:
      if (try_complete_until()) return true;
      break;
    case ReadKind::until_close:
      break;
    case ReadKind::into:
      return try_complete_into();
  }
  if (available > max_buffer_size_) {
    return fail_read("eddy: stream closed: read buffer reached max_buffer_size (" +
                     std::to_string(max_buffer_size_) + " bytes)");
  }
  return false;
}

// read_into: drains the buffer into the caller's memory first.
inline bool StreamState::try_complete_into() {
  std::size_t take = std::min(buffer_.size(), read_.n - read_.filled);
  if (take > 0) {
    buffer_.take_into(read_.target + read_.filled, take);
    read_.filled += take;
  }
  if (read_.filled == read_.n || (read_.partial && read_.filled > 0)) return resolve_into();
  return false;
}

inline bool StreamState::resolve_into() {
  std::size_t filled = read_.filled;
  if (read_.to_callback) {
    read_.kind = ReadKind::none;
    deliver_into(filled, nullptr);
    return true;
  }
  Future<std::size_t> future = std::move(*into_future_);
  into_future_.reset();
  read_.kind = ReadKind::none;
  future.set_result(filled);
  return true;
}

inline bool StreamState::try_complete_until() {
  std::string_view data = buffer_.view();
  const std::string& delimiter = delimiter_;
  std::size_t at = data.find(delimiter, read_.scanned);
  if (at != std::string_view::npos) {
    std::size_t end = at + delimiter.size();
    if (read_.max_bytes != 0 && end > read_.max_bytes) {
      return fail_read("eddy: stream closed: delimiter not found within max_bytes (" +
                       std::to_string(read_.max_bytes) + ")");
    }
    return resolve_read(end);
  }
  // Scanned bytes need no second look, bar a delimiter's worth at the end.
  read_.scanned = data.size() >= delimiter.size() ? data.size() - delimiter.size() + 1 : 0;
  if (read_.max_bytes != 0 && data.size() >= read_.max_bytes) {
    return fail_read("eddy: stream closed: delimiter not found within max_bytes (" +
                     std::to_string(read_.max_bytes) + ")");
  }
  return false;
}

inline Future<std::string> StreamState::take_read_future() {
  Future<std::string> future = std::move(*read_future_);
  read_future_.reset();
  read_.kind = ReadKind::none;
  return future;
}

inline bool StreamState::resolve_read(std::size_t n) {
  std::string data = buffer_.take(n);
  take_read_future().set_result(std::move(data));
  return true;
}

// The read can never complete: it fails with UnsatisfiableReadError and the
// stream closes (as Tornado), so memory stays bounded whatever the peer sends.
inline bool StreamState::fail_read(const std::string& why) {
  Future<std::string> future = take_read_future();
  close_with(why, 0);
  future.set_exception(std::make_exception_ptr(UnsatisfiableReadError(why)));
  return true;
}

// A read pending when the stream closed: read_until_close gets everything
// received; any other read fails with the reason the stream closed.
inline void StreamState::finish_read_on_close() {
  if (!reading()) return;
  if (read_.kind == ReadKind::into && read_.to_callback) {
    read_.kind = ReadKind::none;
    deliver_into(read_.filled, error_);
  } else if (read_.kind == ReadKind::into) {
    Future<std::size_t> future = std::move(*into_future_);
    into_future_.reset();
    read_.kind = ReadKind::none;
    future.set_exception(error_);
  } else if (read_.kind == ReadKind::until_close) {
    std::string data = buffer_.take(buffer_.size());
    take_read_future().set_result(std::move(data));
  } else {
    take_read_future().set_exception(error_);
  }
}

// The callback form's outcome. Completed by the handler, the callback runs
// at the end of on_events(); completed inside read_into() (from the buffer,
// an inline read, or a closed stream), it runs from a job on the loop
// (capturing only `this`, so no allocation), never inside the call. Until it
// has run the stream counts as busy, so the hold keeps it alive.
inline void StreamState::deliver_into(std::size_t n, std::exception_ptr error) {
  if (!loop_usable()) {
    into_callback_ = nullptr;
    return;
  }
  delivery_n_ = n;
  delivery_error_ = std::move(error);
  delivering_ = true;
  if (dispatching_) {
    delivery_due_ = true;
    return;
  }
  if (!hold_) hold_ = shared_from_this();
  loop_->add_callback([this] {
    call_delivery();
    settle_hold();
  });
}

// Runs the callback with the hold in place, so a next read_into it starts
// costs no reference count. running_delivery_ keeps the stream busy
// meanwhile: a handle the callback drops cannot free *this under it.
inline void StreamState::call_delivery() noexcept {
  IntoCallback callback = std::move(into_callback_);
  std::exception_ptr error = std::move(delivery_error_);
  // The callback may start the next read at once; running_delivery_ keeps
  // the stream busy meanwhile, so a handle it drops cannot free *this.
  delivering_ = false;
  running_delivery_ = true;
  try {
    callback(delivery_n_, std::move(error));
  } catch (...) {
    if (loop_usable()) loop_->handle_exception(std::current_exception());
  }
  running_delivery_ = false;
}

// read_into with an empty buffer: the kernel copies straight into the
// caller's memory.
inline ssize_t StreamState::recv_into() {
  ssize_t n;
  do {
    n = ::recv(fd_, read_.target + read_.filled, read_.n - read_.filled, 0);
  } while (n == -1 && errno == EINTR);
  if (n > 0) read_.filled += static_cast<std::size_t>(n);
  return n;
}

inline ssize_t StreamState::recv_some(std::size_t& room) {
  char* into = buffer_.prepare(room);
  ssize_t n;
  do {
    n = ::recv(fd_, into, room, 0);
  } while (n == -1 && errno == EINTR);
  if (n > 0) buffer_.commit(static_cast<std::size_t>(n));
  return n;
}

// Reads while a read is pending and unsatisfied. A short recv means the
// kernel had no more for now; level-triggered polling will call again.
inline void StreamState::handle_read() {
  while (reading() && !closed_) {
    std::size_t room = 0;
    ssize_t n;
    if (read_.kind == ReadKind::into) {
      room = read_.n - read_.filled;
      n = recv_into();
    } else {
      n = recv_some(room);
    }
    // A full recv into a bulk-sized room (the buffer's 64 KiB, or a large
    // read_into) says the kernel likely holds more; filling a small exact
    // read_into says nothing.
    more_likely_ = n > 0 && static_cast<std::size_t>(n) == room && room >= bulk_room;
    if (n == 0) {
      // A reset the backend reported (libkqueue consumes SO_ERROR to say
      // so) reads as an orderly close; the report tells them apart.
      if (reported_error_ != 0) return close_for_errno(reported_error_);
      return close_with("eddy: stream closed: peer closed the connection", 0);
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_for_errno(errno);
      return;
    }
    if (try_complete_read()) return;
    if (static_cast<std::size_t>(n) < room) return;
  }
}

// ---- writing -----------------------------------------------------------

inline ssize_t StreamState::send_some(std::string_view data) noexcept {
  ssize_t n;
  do {
    n = ::send(fd_, data.data(), data.size(), send_flags);
  } while (n == -1 && errno == EINTR);
  if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

// Flushes the queue with gather writes until it is empty or the kernel is
// full; resolves each write's future as its last byte goes.
inline void StreamState::handle_write() {
  while (writing()) {
    iovec iov[WriteQueue::max_iov];
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(writes_.gather(iov));
    std::size_t offered = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(message.msg_iovlen); ++i) offered += iov[i].iov_len;
    ssize_t n = ::sendmsg(fd_, &message, send_flags);
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

// ---- errors and closing -------------------------------------------------

// The socket hung up or failed with nothing pending to notice. What the peer
// sent before is kept (within max_buffer_size) for later reads; then the
// stream closes with the socket's error, or as closed by the peer.
inline void StreamState::handle_error() {
  int error = socket_error(fd_);
  if (error == 0) error = reported_error_;
  while (error == 0 && buffer_.size() <= max_buffer_size_) {
    std::size_t room = 0;
    ssize_t n = recv_some(room);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
  }
  if (error != 0) return close_for_errno(error);
  close_with("eddy: stream closed: peer closed the connection", 0);
}

inline void StreamState::close_for_errno(int error) {
  std::string why = "eddy: stream closed: ";
  if (error == ECONNRESET) {
    why += "connection reset by peer";
  } else if (error == EPIPE) {
    why += "broken pipe (the peer closed the connection)";
  } else {
    why += std::strerror(error);
  }
  close_with(why, error);
}

// Closes once: unregisters before closing the fd (so a reused fd number is
// never confused with this one), fails what is pending, and schedules the
// close callback (never inline).
inline void StreamState::close_with(const std::string& why, int error) {
  if (closed_) return;
  closed_ = true;
  error_ = std::make_exception_ptr(StreamClosedError(why, error));
  detach();
  finish_read_on_close();
  for (Future<void>& write : writes_.drain()) write.set_exception(error_);
  if (close_callback_ && loop_usable()) loop_->add_callback(std::move(close_callback_));
  update_hold();
}

inline void StreamState::detach() noexcept {
  if (registered_) {
    registered_ = false;
    if (loop_usable()) loop_->remove_handler(fd_);
  }
  close_fd(fd_);
  fd_ = -1;
}

}  // namespace eddy::detail
