/// @file
/// TLS on OpenSSL 3, after Tornado's SSLIOStream and ssl_options: SSLContext
/// (a shared configuration), SSLIOStream (the whole IOStream API over TLS),
/// SSLError, and what they give the classes below: IOStream::start_tls,
/// TCPServer::set_ssl_context, TCPClient::connect(host, port, ctx),
/// HTTPServerOptions::ssl and https:// in the HTTP clients.
///
///   eddy::SSLContext ctx = eddy::SSLContext::server("cert.pem", "key.pem");
///   eddy::HTTPServerOptions options;
///   options.ssl = ctx;                                   // HTTPS
///
///   eddy::IOStream s = co_await eddy::TCPClient().connect("example.com", 443, eddy::SSLContext::client());
///
/// The only header that includes OpenSSL's: a program that includes it links
/// eddy::ssl (CMake) or `-lssl -lcrypto`; one that does not needs neither.
/// C++17 for the stream parts, like <eddy/iostream.hpp>.
///
/// - Safe defaults: TLS 1.2 or later; a client verifies the server against
///   the system CA store and the host name (IP addresses too) and sends SNI
///   for names; a server keeps session tickets on (resumption) and
///   renegotiation and compression off. An idle connection holds no TLS
///   record buffer.
/// - The handshake hides behind the first read or write (they wait for it);
///   wait_for_handshake() when you care. A handshake longer than the
///   context's timeout (10 s) closes the stream (servers) or fails it with
///   SSLError (clients).
/// - close() sends close_notify. A peer that ends the connection without it
///   ends reads with SSLError ("... without close_notify"), so a truncated
///   read_until_close fails instead of passing for the whole.
/// - An SSLIOStream passed on as IOStream keeps speaking TLS: handles share
///   one stream.
/// - Nothing blocks: OpenSSL reads and writes the non-blocking socket
///   through eddy's BIO (recv/send, MSG_NOSIGNAL).
///
/// Thread contract: a stream, as IOStream's (its loop's thread); contexts as
/// SSLContext's (configure first, then share freely).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/ssl/context.hpp"
#include "detail/ssl/context_state.hpp"
#include "detail/ssl/errors.hpp"
#include "detail/ssl/transport.hpp"
#include "future.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpclient.hpp"
#include "tcpserver.hpp"

namespace eddy {

/// Tornado's SSLIOStream: an IOStream over TLS. A handle, as IOStream: copies
/// (and IOStream copies of it) share one stream, which speaks TLS. Reads and
/// writes may be issued before the handshake is done: they wait for it.
class SSLIOStream : public IOStream {
 public:
  /// Takes a connected socket as IOStream(fd) does (on IOLoop::current())
  /// and starts the handshake at once: as the server (`server_side`) or as a
  /// client checking `server_hostname` (and sending it as SNI when it is a
  /// name). Throws std::invalid_argument for a verifying client without a
  /// host name, SSLError if OpenSSL cannot set up; then the caller still
  /// owns the fd. A handshake that fails closes the stream.
  SSLIOStream(int fd, const SSLContext& ctx, bool server_side, std::string server_hostname = "")
      : SSLIOStream(fd, IOLoop::current(), ctx, server_side, std::move(server_hostname)) {}
  /// As above, on `loop`.
  SSLIOStream(int fd, IOLoop& loop, const SSLContext& ctx, bool server_side, std::string server_hostname = "")
      : SSLIOStream(std::make_unique<detail::TLSTransport>(ctx.state(), server_side, server_hostname), fd, loop) {}

  /// Resolves once the handshake is done (at once if it is), or fails with
  /// SSLError (or the StreamClosedError that closed the stream first).
  Future<void> wait_for_handshake() {
    if (detail::TLSTransport* t = tls()) return t->wait_for_handshake();
    if (closed()) return make_failed_future<void>(error());
    return make_ready_future();
  }

  /// The protocol ALPN agreed on ("h2", "http/1.1"), or "" when none was (or
  /// before the handshake is done, or once the stream is closed).
  std::string selected_alpn_protocol() const {
    detail::TLSTransport* t = tls();
    return t != nullptr && !t->handshaking() ? t->selected_alpn_protocol() : std::string();
  }

 private:
  template <class>
  friend class detail::IOStreamImpl;

  SSLIOStream(std::unique_ptr<detail::TLSTransport> transport, int fd, IOLoop& loop) : IOStream(fd, loop) {
    start(std::move(transport), loop, stream_state());
  }
  explicit SSLIOStream(std::shared_ptr<detail::StreamState> state) noexcept : IOStream(std::move(state)) {}

  detail::TLSTransport* tls() const noexcept { return dynamic_cast<detail::TLSTransport*>(stream_state()->transport()); }

  // Installs the transport (its first handshake step runs now: a client's
  // ClientHello goes out) and arms its timer, unless that step failed.
  static void start(std::unique_ptr<detail::TLSTransport> transport, IOLoop& loop,
                    const std::shared_ptr<detail::StreamState>& state) {
    detail::TLSTransport* raw = transport.get();
    state->install_transport(std::move(transport));
    if (state->transport() == raw) raw->arm_timeout(loop, state);
  }
};

/// @cond EDDY_DETAIL
template <class D>
inline Future<SSLIOStream> detail::IOStreamImpl<D>::start_tls(bool server_side, const SSLContext& ctx,
                                                             std::string server_hostname) {
  if (state_->closed()) return make_failed_future<SSLIOStream>(state_->error());
  if (state_->transport() != nullptr) throw std::logic_error("eddy: IOStream::start_tls: the stream speaks TLS already");
  if (state_->reading() || state_->writing()) {
    throw std::logic_error("eddy: IOStream::start_tls: a read or write is pending (start TLS on an idle stream)");
  }
  auto transport = std::make_unique<detail::TLSTransport>(ctx.state(), server_side, server_hostname);
  transport->set_preread(state_->take_buffered());
  SSLIOStream::start(std::move(transport), *state_->loop(), state_);
  Future<SSLIOStream> result;
  detail::TLSTransport* t = dynamic_cast<detail::TLSTransport*>(state_->transport());
  Future<void> handshake = t != nullptr ? t->wait_for_handshake() : make_failed_future<void>(state_->error());
  // A handle, not the bare state: dropping it (a failed handshake) lets a
  // stream nobody else holds go, as any last handle does.
  handshake.add_done_callback([result, stream = SSLIOStream(state_)](const Future<void>& done) mutable {
    if (std::exception_ptr error = done.exception()) return result.set_exception(error);
    result.set_result(std::move(stream));
  });
  return result;
}
/// @endcond

}  // namespace eddy

#include "detail/ssl/accept.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
template <class D>
inline void detail::TCPServerImpl<D>::set_ssl_context(SSLContext ctx) {
  if (!ctx.server_side()) {
    throw std::invalid_argument("eddy: TCPServer::set_ssl_context needs a server context (SSLContext::server)");
  }
  state_->filter = std::make_shared<detail::BasicTLSAcceptFilter<SSLIOStream>>(std::move(ctx));
}

template <class D>
inline Future<IOStream> detail::TCPClientImpl<D>::connect(const std::string& host, std::uint16_t port,
                                                          const SSLContext& ctx) {
  Future<IOStream> result;
  Future<IOStream> plain = connect(host, port);
  plain.add_done_callback([result, ctx, host](const Future<IOStream>& connected) mutable {
    if (std::exception_ptr error = connected.exception()) return result.set_exception(error);
    IOStream stream = connected.result();
    std::optional<Future<SSLIOStream>> tls;
    try {
      tls.emplace(stream.start_tls(false, ctx, host));
    } catch (...) {
      stream.close();
      return result.set_exception(std::current_exception());
    }
    tls->add_done_callback([result](const Future<SSLIOStream>& done) mutable {
      if (std::exception_ptr error = done.exception()) return result.set_exception(error);
      result.set_result(IOStream(done.result()));
    });
  });
  return result;
}
/// @endcond

/// @cond EDDY_DETAIL
namespace detail {
// The hooks the layers below TLS call through (context.hpp's ssl_hooks):
// the HTTP client's contexts for https:// and its connects, HTTPServer's
// options.ssl.

// An https:// fetch's context: Tornado's validate_cert, ca_certs (which
// replace the system store), client_cert and client_key.
inline SSLContext hook_client_context(const ClientTLSSettings& settings) {
  auto state = std::make_shared<SSLContextState>(false, settings.ca_certs.empty());
  if (!settings.ca_certs.empty()) state->load_verify_locations(settings.ca_certs);
  if (!settings.client_cert.empty()) state->load_cert_chain(settings.client_cert, settings.client_key);
  state->set_verify(settings.validate_cert);
  if (!settings.alpn.empty()) state->set_alpn(settings.alpn);
  return SSLContext(std::move(state));
}

// On `loop`, which the caller made current (TCPClient connects there).
inline Future<IOStream> hook_connect(IOLoop&, const std::string& host, std::uint16_t port, const SSLContext& context) {
  return TCPClient().connect(host, port, context);
}

// A client handshake over `stream` (a CONNECT tunnel), as an IOStream.
inline Future<IOStream> hook_start_tls(IOStream stream, const std::string& host, const SSLContext& context) {
  Future<IOStream> result;
  Future<SSLIOStream> tls = stream.start_tls(false, context, host);
  tls.add_done_callback([result](const Future<SSLIOStream>& done) mutable {
    if (std::exception_ptr error = done.exception()) return result.set_exception(error);
    result.set_result(IOStream(done.result()));
  });
  return result;
}

// HTTPServer speaks HTTP/1.1 only: a context without ALPN protocols gets
// "http/1.1" (as nginx answers it), so clients that offer it hear it back.
inline void hook_serve(TCPServer& server, const SSLContext& context) {
  if (!context.state()->has_alpn()) context.state()->set_alpn({"http/1.1"});
  server.set_ssl_context(context);
}

// Fills in the hooks (context.hpp) in every program that includes this header.
inline const bool ssl_hooks_installed = [] {
  ssl_hooks.client_context = &hook_client_context;
  ssl_hooks.connect = &hook_connect;
  ssl_hooks.serve = &hook_serve;
  ssl_hooks.start_tls = &hook_start_tls;
  return true;
}();
}  // namespace detail
/// @endcond

}  // namespace eddy
