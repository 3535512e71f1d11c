// ServerState: a TCPServer's listening sockets and what it does with them
// (listen, accept in batches, pause on EMFILE and resume, stop), and
// AcceptHandler, the loop's handler for one listening socket. TCPServer
// (<eddy/tcpserver.hpp>) holds a ServerState by shared_ptr; the handlers hold
// it weakly, so a server destroyed from inside handle_stream is safe.
//
// Thread contract: the thread of the loop that was current at listen().
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include "../base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../stream/socket_ops.hpp"

namespace eddy::detail {

template <class D = void>
class BasicServerState : public std::enable_shared_from_this<BasicServerState<D>> {
 public:
  using Handle = Function<void(IOStream, std::string)>;

  // What TCPServer::set_ssl_context (<eddy/ssl.hpp>) puts between accept()
  // and handle_stream: it owns each accepted socket from the call on (and
  // closes it on failure), and hands the stream to deliver() when it is
  // ready, if the server is still there.
  class AcceptFilter {
   public:
    virtual ~AcceptFilter() = default;
    virtual void accept(int fd, IOLoop& loop, std::string address, std::weak_ptr<BasicServerState> server) = 0;
  };
  std::shared_ptr<AcceptFilter> filter;

  explicit BasicServerState(Handle&& handle) : handle_(std::move(handle)) {}
  BasicServerState(const BasicServerState&) = delete;
  BasicServerState& operator=(const BasicServerState&) = delete;
  ~BasicServerState() { stop(); }

  std::uint16_t listen(std::uint16_t port, const std::string& address);
  void add_socket(int fd);
  void stop() noexcept;
  void on_readable(int fd, std::uint64_t id);
  // Hands a connection's stream to handle_stream (its exceptions go to the loop).
  void deliver(IOStream stream, std::string address);
  // The loop destroyed a handler we did not remove: the loop is going away.
  void on_handler_destroyed(std::uint64_t id) noexcept {
    for (const Socket& s : sockets_) {
      if (s.id == id) loop_gone_ = true;
    }
  }

  bool reuse_port = false;
  int backlog = 1024;
  std::size_t accept_batch = 128;
  std::chrono::milliseconds emfile_pause{100};

 private:
  bool loop_usable() const noexcept { return loop_ != nullptr && !loop_gone_ && anchor_->loop != nullptr; }
  void bind_loop(IOLoop& loop) {
    if (loop_ == &loop && loop_usable()) return;
    loop_ = &loop;
    anchor_ = loop.anchor();
    loop_gone_ = false;
  }
  void pause_accepting();
  void resume_accepting();
  void serve(int fd, const sockaddr_storage& peer);

  Handle handle_;
  IOLoop* loop_ = nullptr;
  std::shared_ptr<const LoopAnchor> anchor_;  // loop_'s: reads nullptr once it is gone
  bool loop_gone_ = false;
  bool paused_ = false;
  // Each listening socket with the id of its handler, so a handler destroyed
  // late (after stop() inside handle_stream) is never mistaken for a live one.
  struct Socket {
    int fd;
    std::uint64_t id;
  };
  std::vector<Socket> sockets_;
  std::uint64_t next_id_ = 1;
  bool listed(std::uint64_t id) const noexcept {
    for (const Socket& s : sockets_) {
      if (s.id == id) return true;
    }
    return false;
  }
  Timeout resume_;
};
using ServerState = BasicServerState<>;

// The loop's handler for one listening socket: a weak reference, and a
// destructor that notices the loop being destroyed with the socket listed.
template <class = void>
struct BasicAcceptHandler {
  std::weak_ptr<ServerState> state;
  std::uint64_t id;
  BasicAcceptHandler(std::weak_ptr<ServerState> s, std::uint64_t i) noexcept : state(std::move(s)), id(i) {}
  BasicAcceptHandler(BasicAcceptHandler&&) noexcept = default;  // leaves the source's weak_ptr empty
  BasicAcceptHandler& operator=(BasicAcceptHandler&&) = delete;
  ~BasicAcceptHandler() {
    if (std::shared_ptr<ServerState> s = state.lock()) s->on_handler_destroyed(id);
  }
  void operator()(int fd, std::uint32_t) const {
    if (std::shared_ptr<ServerState> s = state.lock()) s->on_readable(fd, id);
  }
};
using AcceptHandler = BasicAcceptHandler<>;

template <class D>
inline std::uint16_t BasicServerState<D>::listen(std::uint16_t port, const std::string& address) {
  IOLoop& loop = IOLoop::current();
  if (loop_ != nullptr && loop_usable() && loop_ != &loop) {
    throw std::logic_error("eddy: TCPServer::listen: a server listens on one loop");
  }
  bind_loop(loop);
  std::string context = "eddy: TCPServer::listen " + format_host_port(address, port);
  int last_error = 0;  // of the addresses skipped, for the error if none is left
  std::vector<ResolvedAddress> addresses = resolve(address, port, true, context);
  std::vector<int> opened;
  try {
    for (ResolvedAddress& a : addresses) {
      // Port 0 picks a free port for the first address; the others (the
      // same host over IPv4 and IPv6) take that same port, as Tornado does.
      if (port == 0 && !opened.empty()) set_port(a.addr, bound_port(opened.front()));
      int fd = -1;
      try {
        fd = listen_socket(a, reuse_port, backlog);
      } catch (const std::system_error& e) {
        // A host without IPv6 (or IPv4) still serves on the other family.
        if (e.code().value() == EAFNOSUPPORT || e.code().value() == EADDRNOTAVAIL) {
          last_error = e.code().value();
          continue;
        }
        throw;
      }
      opened.push_back(fd);
      std::uint64_t id = next_id_++;
      loop.add_handler(fd, AcceptHandler(this->weak_from_this(), id), paused_ ? IOLoop::NONE : IOLoop::READ);
      sockets_.push_back(Socket{fd, id});
    }
  } catch (...) {
    for (int fd : opened) {
      auto it = sockets_.begin();
      while (it != sockets_.end() && it->fd != fd) ++it;
      if (it != sockets_.end()) sockets_.erase(it);  // unlisted first: the handler's destructor must see it gone
      loop.remove_handler(fd);
      close_fd(fd);
    }
    throw;
  }
  if (opened.empty() && last_error != 0) {
    throw std::system_error(last_error, std::generic_category(), context + ": no address to listen on");
  }
  if (opened.empty()) throw std::runtime_error(context + ": no address to listen on");
  return bound_port(opened.front());
}

template <class D>
inline void BasicServerState<D>::add_socket(int fd) {
  IOLoop& loop = IOLoop::current();
  if (loop_ != nullptr && loop_usable() && loop_ != &loop) {
    throw std::logic_error("eddy: TCPServer::add_socket: a server listens on one loop");
  }
  bind_loop(loop);
  set_nonblocking(fd);
  std::uint64_t id = next_id_++;
  loop.add_handler(fd, AcceptHandler(this->weak_from_this(), id), paused_ ? IOLoop::NONE : IOLoop::READ);
  sockets_.push_back(Socket{fd, id});
}

template <class D>
inline void BasicServerState<D>::stop() noexcept {
  bool usable = loop_usable();
  if (usable) loop_->remove_timeout(resume_);
  std::vector<Socket> sockets;
  sockets.swap(sockets_);  // unlisted first: the handlers' destructors must see them gone
  for (const Socket& s : sockets) {
    if (usable) loop_->remove_handler(s.fd);
    close_fd(s.fd);
  }
  paused_ = false;
}

// Accepts a batch. Each accepted socket becomes an IOStream handed to
// handle_stream, whose exceptions go to the loop's handler. handle_stream may
// call stop(), so the socket is looked up again after each call.
template <class D>
inline void BasicServerState<D>::on_readable(int fd, std::uint64_t id) {
  std::shared_ptr<ServerState> self = this->shared_from_this();  // handle_stream may drop the server
  for (std::size_t i = 0; i < accept_batch; ++i) {
    if (paused_ || !listed(id)) return;
    sockaddr_storage peer{};
    int conn = accept_socket(fd, peer);
    if (conn >= 0) {
      serve(conn, peer);
      continue;
    }
    int error = errno;
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) return pause_accepting();
    if (error != EAGAIN && error != EWOULDBLOCK) {
      loop_->handle_exception(std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: TCPServer: accept")),
                              "TCPServer");
    }
    return;
  }
}

template <class D>
inline void BasicServerState<D>::serve(int fd, const sockaddr_storage& peer) {
  if (filter) {
    try {
      filter->accept(fd, *loop_, format_address(peer), this->weak_from_this());
    } catch (...) {
      loop_->handle_exception(std::current_exception(), "TCPServer");
    }
    return;
  }
  std::optional<IOStream> stream;
  try {
    stream.emplace(fd, *loop_);
  } catch (...) {
    close_fd(fd);  // IOStream refused the fd and left it to us
    loop_->handle_exception(std::current_exception(), "TCPServer");
    return;
  }
  deliver(std::move(*stream), format_address(peer));
}

template <class D>
inline void BasicServerState<D>::deliver(IOStream stream, std::string address) {
  try {
    handle_(std::move(stream), std::move(address));
  } catch (...) {
    loop_->handle_exception(std::current_exception(), "TCPServer connection handler");
  }
}

// Out of descriptors: stop watching (so the level-triggered readiness of the
// backlog does not spin the loop) and look again after a pause, by which time
// connections may have closed.
template <class D>
inline void BasicServerState<D>::pause_accepting() {
  paused_ = true;
  for (const Socket& s : sockets_) loop_->update_handler(s.fd, IOLoop::NONE);
  std::weak_ptr<ServerState> weak = this->weak_from_this();
  resume_ = loop_->call_later(emfile_pause, [weak] {
    if (std::shared_ptr<ServerState> s = weak.lock()) s->resume_accepting();
  });
}

template <class D>
inline void BasicServerState<D>::resume_accepting() {
  if (!paused_) return;
  paused_ = false;
  for (const Socket& s : sockets_) loop_->update_handler(s.fd, IOLoop::READ);
}

}  // namespace eddy::detail
