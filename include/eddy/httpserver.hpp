/// @file
/// HTTPServer: a TCPServer whose connections speak HTTP/1.1, after Tornado's
/// httpserver.HTTPServer.
///
///   eddy::Application app;
///   app.route("/", [](eddy::RequestHandler& h) { h.write("Hello, world"); });
///   eddy::HTTPServer server(app);
///   std::uint16_t port = server.listen(0, "127.0.0.1");
///
/// - Keep-alive: HTTP/1.1 by default, HTTP/1.0 with "Connection: keep-alive";
///   "Connection: close" (or options.no_keep_alive) closes after the response.
/// - Pipelining: requests are answered in order, one at a time; the
///   responses finished together go out in one write. Past
///   options.max_queued_response_bytes of responses the client has not read,
///   the next request waits until they have gone (docs/http.md).
/// - Bodies: Content-Length or chunked (extensions ignored, trailers
///   dropped); "Expect: 100-continue" is answered "100 Continue" before the
///   body is read. HEAD runs the handler and sends no body.
/// - Bad input never reaches a handler: the client gets 400, 413, 431, 501
///   or 505 and the connection closes (see detail/http/http1_connection.hpp).
/// - Limits and timeouts: HTTPServerOptions (detail/http/http_server_shared.hpp);
///   queued output that makes no progress for options.send_timeout closes
///   the connection. A handler's own Content-Length must match its body
///   (HTTPOutputError, then the connection closes).
/// - Once a connection is closed, by anyone, nothing more of its input is
///   parsed or dispatched; a client that leaves is nobody's error (nothing
///   reaches the loop's exception handler).
///
/// Lifetime: destroy a server before its loop. Destroying it closes every
/// connection at once and detaches the Application: nothing is dispatched
/// after, not even bytes already read. close_all_connections() first lets
/// the requests in flight finish and their responses go out. The
/// Application given by reference must outlive the handlers still running.
///
/// Thread contract: the thread of the loop that was current at listen().
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/http/http1_connection.hpp"
#include "detail/http/http_server_shared.hpp"
#include "future.hpp"
#include "iostream.hpp"
#include "tcpserver.hpp"
#include "web.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// HTTPServer's members, in a template so that only those a program uses are
/// compiled (detail/base/deferred.hpp), and so that EDDY_SEPARATE_COMPILATION
/// can compile them once (the server's constructor reaches the whole
/// connection: accepting, parsing, dispatching, responding).
template <class D>
class HTTPServerImpl {
 public:
  /// Serves `app`'s routes. The Application must outlive the server.
  explicit HTTPServerImpl(Application& app, HTTPServerOptions options = {});
  /// Serves every request with one handler, void(RequestHandler&) or
  /// Future<void>(RequestHandler&), as a route that takes every path and method.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Application> &&
                                              std::is_invocable_v<std::decay_t<F>&, RequestHandler&>>>
  explicit HTTPServerImpl(F&& handler, HTTPServerOptions options = {})
      : shared_(std::make_shared<detail::ServerShared>(options)), tcp_(accept_into(shared_)) {
    shared_->own_app.serve_everything(std::forward<F>(handler), SourceLocation::current());
    use_tls();
  }

  HTTPServerImpl(const HTTPServerImpl&) = delete;
  HTTPServerImpl& operator=(const HTTPServerImpl&) = delete;
  ~HTTPServerImpl();

  /// Binds and listens (0: a free port); returns the port. As TCPServer::listen.
  std::uint16_t listen(std::uint16_t port, const std::string& address = "");
  /// Serves a socket that is already listening; the server owns it.
  void add_socket(int fd) { tcp_.add_socket(fd); }
  /// SO_REUSEPORT on the sockets of later listen() calls.
  void set_reuse_port(bool on) noexcept { tcp_.set_reuse_port(on); }
  /// Stops accepting; connections already accepted go on.
  void stop() noexcept { tcp_.stop(); }
  /// Closes idle connections now and the others once their response is
  /// finished (they answer with "Connection: close") and sent whole: queued
  /// output goes out first (within options.send_timeout), then the close,
  /// then the future resolves, when none is left. New connections accepted
  /// meanwhile close at once.
  Future<void> close_all_connections() { return shared_->close_all(); }

  /// The options given at construction.
  const HTTPServerOptions& options() const noexcept { return shared_->options; }
  /// How many connections are open.
  std::size_t connection_count() const noexcept { return shared_->live; }
  /// How many writes the server's connections have handed to their streams
  /// (each one send() when the kernel takes it all): responses finished
  /// together, as a pipelined batch, go out in one. The loop thread.
  std::uint64_t write_count() const noexcept { return shared_->writes; }

 private:
  /// TCPServer's handle_stream: a weak reference, since the TCPServer lives
  /// inside the server that owns the shared state.
  struct Acceptor {
    std::weak_ptr<detail::ServerShared> shared;
    void operator()(IOStream stream, std::string address) const {
      if (std::shared_ptr<detail::ServerShared> s = shared.lock()) {
        detail::HTTP1Connection::serve(s, std::move(stream), address);
      }
    }
  };
  static Acceptor accept_into(const std::shared_ptr<detail::ServerShared>& shared) { return Acceptor{shared}; }
  /// options.ssl: the TCP server shakes hands first (through <eddy/ssl.hpp>,
  /// which any program that made the context includes).
  void use_tls() {
    if (!shared_->options.ssl) return;
    if (detail::ssl_hooks.serve == nullptr) throw std::logic_error(std::string("eddy: HTTPServer: ") + detail::ssl_missing);
    detail::ssl_hooks.serve(tcp_, *shared_->options.ssl);
  }

  std::shared_ptr<detail::ServerShared> shared_;
  TCPServer tcp_;
};
// Defined out of the class, and not inline: under EDDY_SEPARATE_COMPILATION
// g++ -O2 still instantiates an extern template's inline members to inline
// them, and the constructor reaches the whole connection.
template <class D>
HTTPServerImpl<D>::HTTPServerImpl(Application& app, HTTPServerOptions options)
    : shared_(std::make_shared<detail::ServerShared>(options)), tcp_(accept_into(shared_)) {
  shared_->app = &app;
  use_tls();
}
template <class D>
HTTPServerImpl<D>::~HTTPServerImpl() {
  tcp_.stop();
  shared_->close_everything();
}
template <class D>
std::uint16_t HTTPServerImpl<D>::listen(std::uint16_t port, const std::string& address) {
  return tcp_.listen(port, address);
}
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Tornado's HTTPServer: accepts TCP connections and serves HTTP/1.1 on
/// them, through an Application's routes or one handler; see the file
/// comment for keep-alive, pipelining, bodies, bad input, lifetime and the
/// thread contract (the loop's thread only).
#if defined(EDDY_DOXYGEN)
class HTTPServer : public HTTPServerImpl<void> {
#else
class HTTPServer : public detail::HTTPServerImpl<void> {
#endif
 public:
  using HTTPServerImpl::HTTPServerImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_http.cpp; a user's file compiles
// their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::HTTPServerImpl<void>;
#endif
