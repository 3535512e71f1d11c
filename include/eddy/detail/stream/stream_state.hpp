// StreamState: the one object behind every copy of an IOStream handle. This
// file holds the class and its interest and lifetime rules; the read path is
// in stream_read.hpp, the write path in stream_write.hpp.
//
// Interest. One fd handler is registered with the loop; READ and WRITE
// interest follow what is pending (Tornado's _add_io_state). Interest is
// dropped lazily: READ stays on after a read completes and goes only when
// the socket turns readable with no read pending; WRITE stays on after the
// queue drains and goes at the next writable event with nothing queued. So
// a request/response connection, or a bulk sender refilling its queue, costs
// no epoll_ctl per message.
//
// Lifetime. IOStream handles own the state. While a read or a write is
// pending the state also holds itself (hold_), so an operation finishes even
// if the user dropped every handle; with nothing pending, the last handle
// closes the fd. The hold is sticky: once taken it stays while any handle is
// left, so a stream doing one read after another takes and drops no
// reference per read. It goes when nothing is pending and no handle remains:
// at the end of on_events(), or in the last handle's destructor
// (release_if_last). The loop's handler holds only a weak_ptr (and a raw
// pointer for dispatch).
//
// The loop going first. The state reaches its loop only through the loop's
// anchor, which reads nullptr once the loop is gone, so a stream closed long
// before never touches a freed loop. A stream still open when the loop is
// destroyed learns it from its handler's destructor (on_handler_destroyed):
// it closes its fd with "its loop was destroyed", drops its pending futures
// unresolved (their coroutines went with the loop) and frees its buffers.
// Any later operation fails with StreamClosedError saying the loop is gone.
//
// Not only sockets. A pipe, FIFO or tty works too: a recv, send or sendmsg
// that fails with ENOTSOCK is redone with read(2) or writev(2) (SIGPIPE held
// off: plain_fd_ops.hpp), and an ERROR event there means a hang-up or, on a
// write-only end, EPIPE. Sockets pay nothing for this: the fallback sits on
// the failure path (a pipe pays one failed system call per read or write).
//
// Memory. An idle stream holds no receive buffer (see stream_buffer.hpp) and
// no write queue (stream_write_queue.hpp); what is left is this object,
// 216 bytes with its shared_ptr control block (x86-64, libstdc++). State
// that only some streams need (read_into's callback form, a close
// callback) lives in one block allocated on first use. A transport (TLS,
// stream_transport.hpp) is an allocation of its own; its pointer shares
// its room with error_, since a stream's transport goes when it closes.
//
// Transports. With a transport set, recv/send go through it and a
// handshake in progress owns the fd's interest (stream_handshake.hpp); a
// plain stream's only cost is a test of the null pointer on each recv and
// send.
//
// Thread contract: the loop thread only.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "../../ioloop.hpp"
#include "plain_fd_ops.hpp"
#include "socket_ops.hpp"
#include "stream_buffer.hpp"
#include "stream_errors.hpp"
#include "stream_transport.hpp"
#include "stream_write_queue.hpp"

namespace eddy::detail {

template <class D = void>
class BasicStreamState : public std::enable_shared_from_this<BasicStreamState<D>> {
 public:
  enum class ReadKind : std::uint8_t { none, bytes, until, until_close, into };

  // Inline reads (see proceed_read): at most this many in a row before the
  // stream waits for the poller again, and only after a recv that filled a
  // room at least this large.
  static constexpr std::uint8_t inline_read_budget = 16;
  static constexpr std::size_t bulk_room = 16 * 1024;

  BasicStreamState(IOLoop& loop, int fd) : anchor_(loop.anchor()), fd_(fd), transport_(nullptr) {
    if (fd < 0) throw std::invalid_argument("eddy: IOStream: invalid fd " + std::to_string(fd));
    set_nonblocking(fd);
    suppress_sigpipe(fd);
  }

  BasicStreamState(const BasicStreamState&) = delete;
  BasicStreamState& operator=(const BasicStreamState&) = delete;

  // The last reference went with nothing pending: a local close (a TLS
  // transport says close_notify).
  ~BasicStreamState() {
    if (!closed_) {
      become_closed(nullptr, true, false);
      detach();
      schedule_close_callback();
    }
    error_.~exception_ptr();
  }

  // Registers the handler; called once, right after construction.
  void attach();
  // Forgets the fd without closing it (attach() failed: the caller keeps it).
  void disown() noexcept {
    become_closed(nullptr, false, false);
    fd_ = -1;
  }

  // ---- reads (stream_read.hpp) ------------------------------------------
  Future<std::string> read(ReadKind kind, std::size_t n, bool partial, std::string_view delimiter,
                           std::size_t max_bytes);
  // read_into: up to n bytes into the caller's memory, straight from the
  // socket once the buffer is drained (no copy beyond the kernel's).
  Future<std::size_t> read_into(char* target, std::size_t n, bool partial);
  // read_into's callback form: the outcome goes to callback(n, error)
  // instead of a future, from the handler or a scheduled job, never inside
  // this call (see deliver_into). Throws StreamClosedError if the loop is
  // gone (there is no loop left to call back from).
  using IntoCallback = Function<void(std::size_t, std::exception_ptr)>;
  void read_into(char* target, std::size_t n, bool partial, IntoCallback&& callback);

  // ---- writes (stream_write.hpp) ----------------------------------------
  Future<void> write(std::string_view data);
  // `head`, then a file range, after every earlier write (stream_write_file.hpp).
  Future<void> write_file(FileRange range, std::string_view head = {});

  // ---- state ------------------------------------------------------------
  void close_locally() { close_with("eddy: stream closed: closed locally", 0, true); }
  // Closes with `error` (a transport's failure, its handshake timing out).
  // With `graceful`, a transport says goodbye first (TLS close_notify).
  void close_with_error(std::exception_ptr error, bool graceful = false);
  bool closed() const noexcept { return closed_; }
  bool reading() const noexcept { return read_.kind != ReadKind::none; }
  bool writing() const noexcept { return !writes_.empty(); }
  int fd() const noexcept { return fd_; }
  std::exception_ptr error() const noexcept { return closed_ ? error_ : nullptr; }
  // Bytes a transport decoded and holds count as received.
  std::size_t read_buffer_size() const noexcept {
    return buffer_.size() + (!closed_ && transport_ != nullptr ? transport_->buffered_bytes() : 0);
  }
  // The memory held for received bytes (0 for an idle stream).
  std::size_t read_buffer_capacity() const noexcept { return buffer_.capacity(); }
  std::size_t write_buffer_size() const noexcept { return writes_.bytes(); }
  std::size_t max_buffer_size() const noexcept { return max_buffer_size_; }
  // Kept in 32 bits (in padding: 8 bytes per stream), so limits above
  // 4 GiB - 1 are clamped to that.
  void set_max_buffer_size(std::size_t n) noexcept {
    max_buffer_size_ = n == 0 ? 1 : n > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(n);
  }

  // ---- transports (stream_handshake.hpp) ---------------------------------
  // The transport of an open stream, else nullptr.
  StreamTransport* transport() const noexcept { return closed_ ? nullptr : transport_; }
  // Makes every later recv and send go through `transport` and starts its
  // handshake. The stream must be open, idle and without a transport.
  void install_transport(std::unique_ptr<StreamTransport> transport);
  // Hands over the bytes received and not read (STARTTLS: the peer's first
  // handshake bytes may have arrived with the plain ones).
  std::string take_buffered() { return buffer_.take(buffer_.size()); }

  // Runs once the stream is closed, scheduled on the loop. Once the loop is
  // gone it is destroyed without running, as the loop's own callbacks were.
  void set_close_callback(Function<void()>&& callback) {
    if (!callback && !extras_) return;
    extras().close_callback = std::move(callback);
    if (!closed_) return;
    if (loop() != nullptr) return schedule_close_callback();
    extras_->close_callback = nullptr;
  }

  // Called by a handle about to go: when it and the hold are the last two
  // references and nothing is pending, the hold goes now, so the handle's
  // own release frees the state (and closes the fd).
  static void release_if_last(std::shared_ptr<BasicStreamState>& handle) noexcept {
    if (handle && handle.use_count() == 2 && handle->hold_ && !handle->busy()) handle->hold_.reset();
  }

  // The handler's entry points.
  // The loop, or nullptr once it is gone.
  IOLoop* loop() const noexcept { return anchor_->loop; }
  void on_events(std::uint32_t events);
  void on_handler_destroyed() noexcept;

 private:
  // The pending read. Only one kind is live at a time, so the fields of
  // read_until and read_into share their storage.
  struct Read {
    ReadKind kind = ReadKind::none;
    bool partial = false;
    bool to_callback = false;  // read_into: the callback form gets the outcome
    std::size_t n = 0;
    union {
      std::size_t max_bytes = 0;  // read_until (0 for the other string reads)
      char* target;               // read_into: the caller's memory
    };
    union {
      std::size_t scanned = 0;  // read_until: the delimiter does not start before this
      std::size_t filled;       // read_into: bytes stored there so far
    };
  };
  // What only some streams use, allocated on first use and kept, so a
  // stream that uses neither carries one pointer for them.
  // 88 bytes, so with malloc's header it fills a 96-byte chunk: the count
  // a callback gets is not kept here but in read_.filled (see deliver_into).
  struct Extras {
    // read_into's callback form: the callback and the error it gets.
    IntoCallback callback;
    std::exception_ptr error;
    Function<void()> close_callback;
  };
#if defined(__GLIBCXX__) && defined(__LP64__)
  static_assert(sizeof(Extras) <= 88, "Extras must fit a 96-byte malloc chunk");
#endif
  Extras& extras() {
    if (!extras_) extras_ = std::make_unique<Extras>();
    return *extras_;
  }
  // Schedules the close callback, if any, on the loop (never inline); once
  // the loop is gone there is nowhere to run it.
  void schedule_close_callback() {
    if (!extras_ || !extras_->close_callback) return;
    if (IOLoop* l = loop()) l->add_callback(std::move(extras_->close_callback));
  }
  struct DeliveryJob;

  // What operations on a closed stream fail with: why it closed, unless
  // the loop has gone since (then that).
  std::exception_ptr failure() const {
    return loop() != nullptr ? error_ : loop_gone_error();
  }
  static std::exception_ptr loop_gone_error() {
    return std::make_exception_ptr(StreamClosedError("eddy: stream closed: its loop was destroyed"));
  }
  static std::exception_ptr already_reading() {
    return std::make_exception_ptr(
        std::logic_error("eddy: IOStream: a read is already pending (one read at a time per stream)"));
  }

  void want(std::uint32_t events) {
    if ((interest_ & events) == events || closed_) return;
    interest_ |= events;
    loop()->update_handler(fd_, interest_);
  }
  void drop(std::uint32_t events) {
    if ((interest_ & events) == 0 || closed_) return;
    interest_ &= ~events;
    loop()->update_handler(fd_, interest_);
  }

  // While something is pending the state keeps itself alive. Callers run
  // on behalf of a handle (or inside on_events), so the hold is never the
  // last reference here and is left in place: see release_if_last() and
  // settle_hold() for where it goes.
  void update_hold() {
    if (!hold_ && busy()) hold_ = this->shared_from_this();
  }
  // A transport's handshake counts as pending I/O.
  bool busy() const noexcept {
    return delivering_ || running_delivery_ ||
           (!closed_ && (reading() || writing() || (transport_ != nullptr && transport_->handshaking())));
  }
  // After work that may have ended every operation (the handler's, or a
  // delivery job's, neither of which holds a reference): the hold stays
  // while work is pending or a handle is left; otherwise it is the last
  // reference and goes, freeing *this, so callers do nothing after it.
  void settle_hold() {
    if (busy()) {
      if (!hold_) hold_ = this->shared_from_this();
    } else if (hold_ && hold_.use_count() == 1) {
      std::shared_ptr<BasicStreamState> last = std::move(hold_);
    }
  }

  // Read path (stream_read.hpp).
  template <class T>
  Future<T> begin_read(const Read& read, std::string_view delimiter);
  static Read into_read(char* target, std::size_t n, bool partial, bool to_callback) noexcept;
  void proceed_read();
  bool try_complete_read();
  bool try_complete_until();
  bool try_complete_into();
  bool resolve_into();
  bool resolve_read(std::size_t n);
  bool fail_read(const std::string& why);
  Future<std::string> take_read_future();
  void finish_read_on_close();
  void deliver_into(std::exception_ptr error);
  void call_delivery() noexcept;
  void abandon_delivery() noexcept;
  void handle_read();
  void read_socket();
  ssize_t recv_into();
  ssize_t recv_some(std::size_t& room);
  ssize_t receive(char* into, std::size_t room) noexcept;
  // Write path (stream_write.hpp).
  static Future<void> written_future(const IOLoop& loop);
  ssize_t send_some(std::string_view data) noexcept;
  ssize_t send_gathered(const iovec* iov, int count) noexcept;
  void handle_write();
  bool write_front_file();
  bool send_file_now(FileRange& range, std::string_view& head, std::uint64_t& sent);
  ssize_t send_file_range(const FileRange& file, std::uint64_t skip, std::size_t& offered) noexcept;
  ssize_t send_file_copy(const FileRange& file, std::uint64_t skip, std::size_t room) noexcept;
  // Transports (stream_handshake.hpp). Out of line, so that a plain
  // stream's hot paths keep their size (and the compiler its inlining).
  EDDY_NOINLINE EDDY_COLD std::uint32_t transport_events(std::uint32_t events);
  EDDY_NOINLINE EDDY_COLD std::uint32_t advance_transport(std::uint32_t events);
  EDDY_NOINLINE EDDY_COLD void transport_writable();
  EDDY_NOINLINE EDDY_COLD void wake_for_transport();
  void transport_wake();
  EDDY_NOINLINE EDDY_COLD ssize_t transport_recv(char* into, std::size_t room) { return transport_->recv(into, room); }
  EDDY_NOINLINE EDDY_COLD ssize_t transport_send(const iovec* iov, std::size_t count) { return transport_->send(iov, count); }
  void set_interest(std::uint32_t events) {
    if (interest_ == events || closed_) return;
    interest_ = events;
    loop()->update_handler(fd_, interest_);
  }
  bool transport_truncated() const noexcept;
  // Errors and closing (stream_close.hpp).
  void handle_error();
  void close_for_errno(int error);
  void close_with(const std::string& why, int error, bool graceful = false);
  void become_closed(std::exception_ptr why, bool graceful, bool fail_waiters) noexcept;
  void detach() noexcept;

  std::shared_ptr<const LoopAnchor> anchor_;
  int fd_;
  std::uint32_t interest_ = IOLoop::NONE;
  int reported_error_ = 0;  // an errno the backend reported with ERROR
  bool registered_ = false;
  bool closed_ = false;
  bool more_likely_ = false;       // the last recv filled its room
  bool delivering_ = false;        // a callback outcome is scheduled
  bool delivery_due_ = false;      // ... for the end of on_events()
  bool running_delivery_ = false;  // ... and its callback is running
  bool dispatching_ = false;       // inside on_events()
  std::uint8_t inline_reads_left_ = inline_read_budget;
  std::uint32_t max_buffer_size_ = 100 * 1024 * 1024;  // Tornado's default: 100 MiB
  Read read_;
  Delimiter delimiter_;  // read_until's (stream_buffer.hpp); kept apart so Read stays trivially copyable
  // The pending read's future: read_bytes/read_until/read_until_close's or
  // read_into's (none for the callback form).
  std::variant<std::monostate, Future<std::string>, Future<std::size_t>> future_;
  std::unique_ptr<Extras> extras_;
  ReadBuffer buffer_;
  WriteQueue writes_;
  // Open: the transport, or null for a plain socket (owned: deleted when the
  // stream closes). Closed: why (failure()). closed_ says which is live.
  union {
    StreamTransport* transport_;
    std::exception_ptr error_;
  };
  std::shared_ptr<BasicStreamState> hold_;
};
using StreamState = BasicStreamState<>;

}  // namespace eddy::detail

#include "stream_close.hpp"
#include "stream_events.hpp"
#include "stream_handshake.hpp"
#include "stream_read.hpp"
#include "stream_write.hpp"
#include "stream_write_file.hpp"
