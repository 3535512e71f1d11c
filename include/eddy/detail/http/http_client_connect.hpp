// How a fetch gets its connection: a plain TCP connect, or (https://) one
// through <eddy/ssl.hpp>'s hook that resolves once the TLS handshake is
// done; and what tells TLS connections apart in the client's pool.
//
// Thread contract: the client's loop thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../../tcpclient.hpp"
#include "../ssl/context.hpp"
#include "http_client_types.hpp"

namespace eddy::detail {

// What tells TLS connections apart in the pool and the context cache.
inline std::string tls_key(const HTTPRequest& r) {
  return std::string(r.validate_cert ? "v" : "-") + '\n' + r.ca_certs + '\n' + r.client_cert + '\n' + r.client_key;
}

inline std::string error_text(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// TCPClient connects on IOLoop::current(); a fetch started before its loop
// runs (or while another loop is current) must still connect on its own.
// With `tls`, through <eddy/ssl.hpp>'s hook: TLS, resolved once the
// handshake is done.
inline Future<IOStream> connect_on(IOLoop& loop, const std::string& host, std::uint16_t port,
                                   const SSLContext* tls) {
  struct Restore {
    IOLoop* previous;
    explicit Restore(IOLoop* p) noexcept : previous(p) {}
    Restore(const Restore&) = delete;
    Restore& operator=(const Restore&) = delete;
    ~Restore() {
      if (previous != nullptr) previous->make_current();
      else IOLoop::clear_current();
    }
  };
  IOLoop* previous = IOLoop::current_or_null();
  std::optional<Restore> restore;
  if (previous != &loop) {
    restore.emplace(previous);
    loop.make_current();
  }
  if (tls != nullptr) return ssl_hooks.connect(loop, host, port, *tls);
  return TCPClient().connect(host, port);
}

}  // namespace eddy::detail
