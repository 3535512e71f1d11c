// The TLS side of TCPServer (set_ssl_context).
//
// A TLS server accepts as a plain one does, then each connection shakes
// hands before handle_stream sees it. A handshake that fails is logged in
// one line through the loop's exception handler (a hostile or broken
// client: plain HTTP, garbage, half a ClientHello, a timeout, a reset),
// except for a client that left without sending a byte (port scanners,
// load balancers' health checks), which is not worth one.
//
// Lifetime: the filter lives as long as the server (or a pending
// handshake's callback, which holds the stream and only a weak reference to
// the server: a server gone by the end of the handshake closes the stream).
// Thread contract: the server's loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../../tcpserver.hpp"
#include "context_state.hpp"

namespace eddy::detail {

template <class Stream>
class BasicTLSAcceptFilter final : public ServerState::AcceptFilter {
 public:
  explicit BasicTLSAcceptFilter(SSLContext context) : context_(std::move(context)) {}

  void accept(int fd, IOLoop& loop, std::string address, std::weak_ptr<ServerState> server) override {
    std::optional<Stream> stream;
    try {
      stream.emplace(fd, loop, context_, true);
    } catch (...) {
      close_fd(fd);  // refused before the stream took the socket: it is ours to close
      throw;
    }
    Future<void> handshake = stream->wait_for_handshake();
    IOStream plain = *stream;
    handshake.add_done_callback([plain, address = std::move(address), server](const Future<void>& done) mutable {
      if (std::exception_ptr error = done.exception()) return report(plain, error, address);
      if (std::shared_ptr<ServerState> s = server.lock()) return s->deliver(std::move(plain), std::move(address));
      plain.close();
    });
  }

 private:
  static void report(const IOStream& stream, const std::exception_ptr& error, const std::string& address) {
    try {
      std::rethrow_exception(error);
    } catch (const SSLError& e) {
      if (e.reason() == closed_before_handshake) return;
    } catch (...) {
    }
    IOLoop* loop = stream.loop();
    std::string context = "TLS handshake from " + address;
    if (loop != nullptr) loop->handle_exception(error, context.c_str());
  }

  SSLContext context_;
};

}  // namespace eddy::detail
