// wss://: the TLS half of websocket_connect, reached through the hooks that
// <eddy/ssl.hpp> installs (detail/ssl/context.hpp), as the HTTP client's
// https:// is. So <eddy/websocket.hpp> includes no OpenSSL header, and a
// program without <eddy/ssl.hpp> gets HTTPClientError 599 saying what to
// include and link.
//
// The context: HTTPRequest's TLS fields, as the HTTP client reads them
// (validate_cert; ca_certs replaces the system store; client_cert and
// client_key), with ALPN "http/1.1" (the upgrade is an HTTP/1.1 request).
// The connection: TCPClient::connect(host, port, context), so SNI for host
// names and the host name (or IP address) checked against the certificate.
//
// Thread contract: the loop thread (IOLoop::current()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../http/http_client_types.hpp"
#include "../http/url.hpp"
#include "../ssl/context.hpp"

namespace eddy::detail::ws {

inline ClientTLSSettings tls_settings(const HTTPRequest& r) {
  return ClientTLSSettings{r.validate_cert, r.ca_certs, r.client_cert, r.client_key, {"http/1.1"}};
}

inline std::string tls_settings_key(const ClientTLSSettings& s) {
  return std::string(s.validate_cert ? "v" : "-") + '\n' + s.ca_certs + '\n' + s.client_cert + '\n' + s.client_key;
}

// The contexts this thread made for wss:// connects, by their settings:
// making one reads files (the system CA store is some 200 KiB of PEM), so
// it is made once, on the loop's executor, and shared by later connects
// with the same settings (and their TLS session cache). At most 16, oldest
// out. Per thread, as a loop is: no lock. A failed make is not kept, so a
// later connect tries again (the file may be there by then).
inline std::vector<std::pair<std::string, SSLContext>>& tls_context_cache() {
  thread_local std::vector<std::pair<std::string, SSLContext>> cache;
  return cache;
}

inline Future<SSLContext> client_tls_context(const ClientTLSSettings& settings) {
  std::string key = tls_settings_key(settings);
  for (const auto& [k, context] : tls_context_cache()) {
    if (k == key) return make_ready_future(context);
  }
  auto make = ssl_hooks.client_context;
  Future<SSLContext> made = IOLoop::current().run_in_executor([make, settings] { return make(settings); });
  made.add_done_callback([key = std::move(key)](const Future<SSLContext>& done) {
    if (done.exception()) return;
    auto& cache = tls_context_cache();
    for (const auto& entry : cache) {
      if (entry.first == key) return;  // two connects raced: keep the first
    }
    if (cache.size() >= 16) cache.erase(cache.begin());
    cache.emplace_back(key, done.result());
  });
  return made;
}

// The connection to `url` over TLS, resolved once the handshake is done;
// fails as TCPClient::connect does (SSLError for a certificate that does not
// verify, a name that does not match, a handshake that fails).
inline Future<IOStream> connect_tls(const Url& url, const ClientTLSSettings& settings) {
  if (ssl_hooks.client_context == nullptr || ssl_hooks.connect == nullptr) {
    return make_failed_future<IOStream>(std::make_exception_ptr(
        HTTPClientError(599, std::string("eddy: websocket_connect: wss:// needs TLS: ") + ssl_missing)));
  }
  Future<IOStream> result;
  Future<SSLContext> context = client_tls_context(settings);
  context.add_done_callback([result, host = url.host, port = url.port](const Future<SSLContext>& made) mutable {
    if (std::exception_ptr error = made.exception()) return result.set_exception(error);
    std::optional<Future<IOStream>> connected;
    try {
      connected.emplace(ssl_hooks.connect(IOLoop::current(), host, port, made.result()));
    } catch (...) {
      return result.set_exception(std::current_exception());
    }
    connected->add_done_callback([result](const Future<IOStream>& c) mutable {
      if (std::exception_ptr error = c.exception()) return result.set_exception(error);
      result.set_result(c.result());
    });
  });
  return result;
}

}  // namespace eddy::detail::ws
