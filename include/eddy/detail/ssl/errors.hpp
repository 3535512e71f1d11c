// SSLError, and the text of OpenSSL's errors: its error queue is per thread,
// so every TLS call starts from a clear queue (clear_errors) and a failure
// is read from it at once (take_reason), keeping the reason and not the
// library's codes: "certificate verify failed: hostname mismatch",
// "wrong version number", "tlsv13 alert certificate required".
//
// Thread contract: the functions read and clear the calling thread's queue.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>

#include "../stream/stream_errors.hpp"
#include "../stream/stream_transport.hpp"

namespace eddy {

/// A failed TLS handshake, a TLS alert, a record that does not decrypt, a
/// peer that ended the connection without close_notify, or a context that
/// cannot load its files. A StreamClosedError (the stream is closed), whose
/// what() carries OpenSSL's reason ("eddy: TLS handshake with example.com
/// failed: certificate verify failed: hostname mismatch") and reason() the
/// reason alone. error() is EPROTO, or the socket's errno when the socket
/// failed under the handshake (ECONNRESET, ...).
class SSLError : public StreamClosedError {
 public:
  /// An error saying `what`, for `reason`, with errno `error`.
  SSLError(const std::string& what, std::string reason, int error = detail::transport_errno)
      : StreamClosedError(what, error), reason_(std::move(reason)) {}
  /// OpenSSL's reason (or eddy's, for a timeout or a truncation).
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

}  // namespace eddy

namespace eddy::detail {

// The reason of a handshake that failed before the peer sent a byte: the one
// failure a server does not log (port scanners, health checks).
inline constexpr const char* closed_before_handshake = "the peer closed the connection before the handshake";

inline void clear_errors() noexcept { ERR_clear_error(); }

// The reason of the oldest error in the queue (the one that started the
// failure), then clears the queue. A certificate that did not verify also
// says why, from the SSL's verify result.
inline std::string take_reason(const SSL* ssl = nullptr) {
  unsigned long code = ERR_peek_error();
  std::string reason;
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    if (text != nullptr) {
      reason = text;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof buf);
      reason = buf;
    }
  }
  ERR_clear_error();
  if (ssl != nullptr && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) reason += std::string(": ") + X509_verify_cert_error_string(verify);
  }
  return reason.empty() ? std::string("unknown TLS error") : reason;
}

// Whether the oldest queued error says the peer's data stopped without
// close_notify (OpenSSL 3 reports that as an error, not as an end).
inline bool queued_unexpected_eof() noexcept {
  unsigned long code = ERR_peek_error();
  return ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

// A socket errno in the stream's words ("connection reset by peer").
inline std::string errno_text(int error) {
  if (error == ECONNRESET) return "connection reset by peer";
  if (error == EPIPE) return "broken pipe (the peer closed the connection)";
  return std::strerror(error);
}

}  // namespace eddy::detail
