// SSLContext as the layers above TLS see it, without OpenSSL: a copyable
// handle to one shared TLS configuration (an SSL_CTX and eddy's settings
// beside it, detail::SSLContextState, defined in context_state.hpp). Its
// member functions are declared here and defined in <eddy/ssl.hpp>, so
// HTTPServerOptions can hold a std::optional<SSLContext> and
// <eddy/http.hpp> still includes no OpenSSL header; calling one without
// <eddy/ssl.hpp> is a compile error ("inline function used but never
// defined").
//
// The hooks: code below <eddy/ssl.hpp> that must reach TLS (the HTTP client
// for https://, HTTPServer with options.ssl) calls through detail::ssl_hooks,
// which <eddy/ssl.hpp> fills in at static initialisation. Without it they
// are null, and those callers fail with a message that says what to include
// and link (ssl_missing).
//
// Thread contract: configure a context before its first connection; after
// that a context (and its copies) may serve connections on any number of
// loops and threads (OpenSSL's SSL_CTX is thread-safe in use).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../loop_types.hpp"

namespace eddy {

class IOLoop;
class IOStream;
class TCPServer;

/// @cond EDDY_DETAIL
namespace detail {
class SSLContextState;
}  // namespace detail
/// @endcond

/// A cheap copyable handle to one shared TLS configuration (an OpenSSL
/// SSL_CTX), Python's ssl.SSLContext as Tornado's ssl_options take it.
/// Copies share the configuration. Made by client() or server(); configured
/// before its first connection (later changes reach later connections only).
/// The members are defined in <eddy/ssl.hpp>: include it (and link eddy::ssl)
/// to make or change a context.
class SSLContext {
 public:
  /// A client context with the safe defaults: TLS 1.2 or later, the
  /// system's CA store (SSL_CTX_set_default_verify_paths), the peer's
  /// certificate verified and checked against the host name connected to
  /// (an IP address against the certificate's addresses), SNI sent for host
  /// names (not for IP literals). Throws SSLError if OpenSSL fails.
  inline static SSLContext client();
  /// A server context presenting the PEM certificate chain (leaf first) and
  /// its private key: TLS 1.2 or later, session tickets on (resumption), no
  /// renegotiation, no compression, idle connections holding no record
  /// buffers. Throws SSLError naming the file that cannot be loaded.
  inline static SSLContext server(const std::string& cert_chain_file, const std::string& key_file);

  /// Trusts the CAs in this PEM file (clients: on top of the system store).
  /// On a server with set_verify(true): requires client certificates they
  /// signed, and names them to clients. Throws SSLError if it cannot load.
  inline void load_verify_locations(const std::string& ca_file);
  /// The certificate chain and key this side presents: a client certificate
  /// (servers take theirs in server()). Throws SSLError if it cannot load.
  inline void load_cert_chain(const std::string& cert_chain_file, const std::string& key_file);
  /// Client: false skips verifying the server (Tornado's validate_cert=False):
  /// any certificate, any name. Server: true requires a client certificate
  /// (signed by a CA given to load_verify_locations). Default: true for
  /// clients, false for servers.
  inline void set_verify(bool verify);
  /// ALPN: the protocols a client offers, or those a server accepts, in its
  /// order of preference (the server picks its first that the client
  /// offers; with none in common the handshake goes on without ALPN). Each
  /// 1-255 bytes; std::invalid_argument otherwise.
  inline void set_alpn_protocols(std::vector<std::string> protocols);
  /// How long a handshake may take (default 10 s): past it a server closes
  /// the connection and a client's handshake fails with SSLError.
  inline void set_handshake_timeout(Clock::duration timeout);

  /// True for a context made by server().
  inline bool server_side() const noexcept;
  /// The handshake timeout.
  inline Clock::duration handshake_timeout() const noexcept;

  /// Handles are equal when they share one configuration.
  friend bool operator==(const SSLContext& a, const SSLContext& b) noexcept { return a.state_ == b.state_; }
  /// The negation of ==.
  friend bool operator!=(const SSLContext& a, const SSLContext& b) noexcept { return a.state_ != b.state_; }

  /// @cond EDDY_DETAIL
  explicit SSLContext(std::shared_ptr<detail::SSLContextState> state) noexcept : state_(std::move(state)) {}
  const std::shared_ptr<detail::SSLContextState>& state() const noexcept { return state_; }
  /// @endcond

 private:
  std::shared_ptr<detail::SSLContextState> state_;
};

}  // namespace eddy

namespace eddy::detail {

// What an https:// fetch asks of TLS (Tornado's names on HTTPRequest).
struct ClientTLSSettings {
  bool validate_cert = true;
  std::string ca_certs;     // "" = the system store; else only these CAs
  std::string client_cert;  // "" = none
  std::string client_key;   // "" = the key is in client_cert
  std::vector<std::string> alpn;
};

// Filled in by <eddy/ssl.hpp>; constant-initialised to nulls, so reading
// them before any dynamic initialisation is safe.
struct SSLHooks {
  SSLContext (*client_context)(const ClientTLSSettings& settings) = nullptr;
  Future<IOStream> (*connect)(IOLoop& loop, const std::string& host, std::uint16_t port,
                              const SSLContext& context) = nullptr;
  void (*serve)(TCPServer& server, const SSLContext& context) = nullptr;
  // TLS as a client over a connected stream (the HTTP client's tunnel
  // through a proxy), resolved once the handshake is done.
  Future<IOStream> (*start_tls)(IOStream stream, const std::string& host, const SSLContext& context) = nullptr;
};
inline SSLHooks ssl_hooks;

inline constexpr const char* ssl_missing = "include <eddy/ssl.hpp> and link eddy::ssl (OpenSSL)";

}  // namespace eddy::detail
