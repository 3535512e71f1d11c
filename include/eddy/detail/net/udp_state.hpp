// UDPState: the one object behind every copy of a UDPSocket handle. This
// file holds the class, its interest and its lifetime; the receive path is
// in udp_receive.hpp, the send path in udp_send.hpp, names in
// udp_resolve.hpp.
//
// Receives wait in a FIFO, each a future or a callback (receive's callback
// form); READ interest is on while one waits and dropped lazily (at the next
// readable event with none waiting), as streams do. How many datagrams one
// readable event reads is paced (udp_read_pacer.hpp): one while the socket
// shows no backlog (no EAGAIN read per request/response), up to 32 until it
// runs dry once it does. When the waiters ran out first, the next receive()
// uses what is left of that allowance at once, so a busy receiver skips a
// poll per datagram without starving the loop.
//
// Sends go out at once when nothing is queued; a full socket buffer (EAGAIN)
// queues a copy, flushed on WRITE, in order. A send error fails that send
// only; the socket stays open. So does a receive error (ECONNREFUSED from an
// ICMP message on a connected socket; a datagram cut short, EMSGSIZE). An
// error the socket reports while no receive waits is kept for the next one.
//
// Lifetime. Handles own the state; the loop's handler holds a raw pointer
// for dispatch and a weak_ptr for its destructor (see StreamHandler). The
// last handle closes the socket: waiting receives and queued sends fail with
// StreamClosedError. A last handle dropped by a receive callback is parked
// until the dispatch ends (release()). The loop going first closes it too, dropping them
// unresolved (their coroutines went with the loop).
//
// Thread contract: the loop thread only.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../base/ring.hpp"
#include "../stream/stream_errors.hpp"
#include "udp_address.hpp"
#include "udp_read_pacer.hpp"
#include "udp_receivers.hpp"

namespace eddy::detail {

// UDPSocket::Datagram.
struct UDPDatagram {
  std::string data;         ///< the payload, whole
  std::string host;         ///< the sender's IP ("127.0.0.1", "::1"; IPv4 for a v4-mapped sender)
  std::uint16_t port = 0;   ///< the sender's port
};

template <class D = void>
class BasicUDPState : public std::enable_shared_from_this<BasicUDPState<D>> {
 public:
  static constexpr std::size_t datagram_limit = 65536;  // every UDP payload fits (65,507 / 65,527 bytes)

  // Takes the socket (closed with the state, whatever happens).
  BasicUDPState(IOLoop& loop, int fd) : anchor_(loop.anchor()), fd_(fd) {
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) == 0) family_ = self.ss_family;
  }
  BasicUDPState(const BasicUDPState&) = delete;
  BasicUDPState& operator=(const BasicUDPState&) = delete;
  ~BasicUDPState() {
    if (closed_) return;
    try {
      close_with(closed_error("its last handle was dropped"));
    } catch (...) {  // out of memory for the error: close without it
      if (registered_ && loop() != nullptr) loop()->remove_handler(fd_);
      close_fd(fd_);
    }
  }

  void attach() {
    loop()->add_handler(fd_, Handler(this, this->weak_from_this()), IOLoop::NONE);
    registered_ = true;
    note_port();
  }

  // The callback form's callback: the datagram is the state's own, reused
  // for the next one (move from it to keep it); valid during the call only.
  using ReceiveCallback = typename ReceiverQueue<UDPDatagram>::Callback;

  // ---- udp_receive.hpp, udp_send.hpp, udp_resolve.hpp -----------------
  Future<UDPDatagram> receive();
  void receive(ReceiveCallback&& callback);
  // receive(callback) building the callback in place when it is the only
  // receive waiting (a server's steady state): one Function move less.
  template <class F>
  void receive_with(F&& callback) {
    if (!receivers_.empty() || closed_ || pending_error_ != 0 || loop() == nullptr) {
      return receive(ReceiveCallback(std::forward<F>(callback)));
    }
    receivers_.emplace_first(std::forward<F>(callback));
    if (receivers_.empty()) throw std::invalid_argument("eddy: UDPSocket::receive: empty callback");
    want(IOLoop::READ);
  }
  Future<void> send_to(std::string_view data, const std::string& host, std::uint16_t port);
  Future<void> send(std::string_view data);
  void connect_to(ResolvedAddress address, const std::string& context);
  void connect_by_name(const std::string& host, std::uint16_t port);
  void on_events(std::uint32_t events);

  // Called by a handle about to go. While the handler dispatches, a receive
  // callback may drop the last handle: that reference is then parked here
  // and released when the dispatch ends (on_events), rather than freeing the
  // state under the handler's feet. A flag per event instead of the two
  // atomic reference-count operations of holding a shared_ptr meanwhile.
  static void release(std::shared_ptr<BasicUDPState>& handle) noexcept {
    if (handle && handle->dispatching_ && handle.use_count() == 1) handle->parked_ = std::move(handle);
  }

  // ---- state -----------------------------------------------------------
  void close_locally() { close_with(closed_error("closed locally")); }
  bool closed() const noexcept { return closed_; }
  int fd() const noexcept { return fd_; }
  std::uint16_t port() const noexcept { return port_; }
  std::size_t max_datagram_size() const noexcept { return max_datagram_; }
  void set_max_datagram_size(std::size_t n) noexcept {
    max_datagram_ = n == 0 ? 1 : n > datagram_limit ? datagram_limit : n;
  }
  IOLoop* loop() const noexcept { return anchor_->loop; }
  void note_port() {
    if (fd_ >= 0) port_ = bound_port(fd_);
  }

  // The loop destroyed our handler: it is being torn down (close, dropping
  // what waits unresolved), or someone removed the fd behind our back.
  void on_handler_destroyed() noexcept {
    if (!registered_) return;
    registered_ = false;
    IOLoop* l = loop();
    if (l != nullptr && !l->closing()) {
      try {
        close_with(closed_error("its handler was removed from the loop"));
      } catch (...) {
      }
      return;
    }
    closed_ = true;
    close_fd(std::exchange(fd_, -1));
    receivers_.clear();
    sends_.clear();
  }

 private:
  // A waiting receive: its future, or the callback form's callback.
  using Receiver = typename ReceiverQueue<UDPDatagram>::Receiver;
  // A datagram waiting for room in the socket buffer; `to` is empty
  // (len 0) for the connected peer.
  struct Outgoing {
    std::string data;
    ResolvedAddress to;
    Future<void> done;
  };

  // The loop's handler: see StreamHandler for why a raw pointer dispatches.
  struct Handler {
    BasicUDPState* target;
    std::weak_ptr<BasicUDPState> state;
    Handler(BasicUDPState* raw, std::weak_ptr<BasicUDPState> s) noexcept : target(raw), state(std::move(s)) {}
    Handler(Handler&&) noexcept = default;
    Handler& operator=(Handler&&) = delete;
    ~Handler() {
      if (std::shared_ptr<BasicUDPState> s = state.lock()) s->on_handler_destroyed();
    }
    void operator()(int, std::uint32_t events) const { target->on_events(events); }
  };

  static std::exception_ptr closed_error(const char* why) {
    return std::make_exception_ptr(StreamClosedError(std::string("eddy: UDPSocket closed: ") + why));
  }
  std::exception_ptr failure() const {
    return loop() != nullptr ? error_ : closed_error("its loop was destroyed");
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

  // Closes once: unregisters before closing the fd, then fails what waits.
  void close_with(std::exception_ptr why) {
    if (closed_) return;
    closed_ = true;
    error_ = std::move(why);
    IOLoop* l = loop();
    if (registered_) {
      registered_ = false;
      if (l != nullptr) l->remove_handler(fd_);
    }
    close_fd(std::exchange(fd_, -1));
    if (l == nullptr) {  // nobody left to hear about it
      receivers_.clear();
      sends_.clear();
      return;
    }
    while (!receivers_.empty()) fail_later(receivers_.pop(), error_);
    while (!sends_.empty()) sends_.pop_front().done.set_exception(error_);
  }

  // udp_receive.hpp
  bool receive_one(UDPDatagram& out, std::exception_ptr& error);
  void sender_of(const sockaddr_storage& addr, socklen_t len, UDPDatagram& out);
  bool cached_sender(const sockaddr_storage& addr, socklen_t len) const noexcept;
  void read_datagrams();
  void handle_error(std::uint32_t events);
  void dispatch(std::uint32_t events);
  void fail_later(Receiver&& receiver, std::exception_ptr error);
  static std::exception_ptr receive_error(int error);
  static char* scratch();
  // udp_send.hpp
  Future<void> send_or_queue(std::string_view data, const sockaddr* to, socklen_t len);
  ssize_t send_one(std::string_view data, const sockaddr* to, socklen_t len) noexcept;
  void flush_sends();
  static std::exception_ptr send_error(int error, const sockaddr* to);
  static Future<void> sent_future(const IOLoop& loop);
  // udp_resolve.hpp
  Future<void> send_to_name(std::string_view data, const std::string& host, std::uint16_t port);
  void send_resolved(std::string data, const Future<std::vector<ResolvedAddress>>& resolved, Future<void> done,
                     const std::string& context);
  void finish_connect(const Future<std::vector<ResolvedAddress>>& resolved, const std::string& context);

  std::shared_ptr<const LoopAnchor> anchor_;
  int fd_;
  int family_ = AF_INET;
  std::uint32_t interest_ = IOLoop::NONE;
  int pending_error_ = 0;  // reported while no receive waited
  std::uint32_t max_datagram_ = datagram_limit;
  std::uint16_t port_ = 0;
  bool registered_ = false;
  bool closed_ = false;
  bool connected_ = false;
  bool connecting_ = false;  // connect by name: resolving; sends wait
  bool dispatching_ = false;  // inside on_events (see release)
  UDPReadPacer pacer_;        // reads allowed per readable event
  ReceiverQueue<UDPDatagram> receivers_;
  Ring<Outgoing> sends_;
  UDPDatagram delivered_;  // the callback form's datagram, its memory reused
  std::shared_ptr<BasicUDPState> parked_;  // the last handle, dropped during a dispatch
  std::exception_ptr error_;
  // The last sender, as bytes and as text: a peer sending many datagrams is
  // printed once, and replies to it (send_to with that text) skip parsing.
  sockaddr_storage cached_addr_{};
  socklen_t cached_len_ = 0;
  std::string cached_host_;
  std::uint16_t cached_port_ = 0;
};
using UDPState = BasicUDPState<>;

}  // namespace eddy::detail

#include "udp_receive.hpp"
#include "udp_send.hpp"
#include "udp_resolve.hpp"
