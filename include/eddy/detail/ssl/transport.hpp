// TLSTransport: a stream's TLS, on OpenSSL 3, behind the stream's transport
// seam (../stream/stream_transport.hpp, whose contract this follows).
//
// - The handshake: advance() runs SSL_do_handshake until it is done, wants
//   the socket, or fails; a timer (the context's handshake_timeout) closes
//   the stream if it is still running then. wait_for_handshake() hands out
//   a future only to who asks, so a handshake nobody waits on costs none.
// - recv() loops SSL_read_ex while OpenSSL holds decoded or pulled-in bytes
//   and there is room, so a short count means it holds nothing more (what
//   the stream's read loop assumes of a kernel recv). A peer's close_notify
//   is an orderly end (0); an end without it, an alert or a bad record is a
//   failure (transport_errno, failure() says why: a truncation must not
//   pass for the end of the data); a socket error is that errno.
// - send() writes each iovec with SSL_write_ex in partial-write mode: one
//   record per call, each handed to the kernel at once; a record the kernel
//   took in part is finished by the next send() of the same bytes (the
//   stream's queue keeps them in order).
// - retire() says close_notify on a local close (best effort, never
//   waiting), fails the handshake's waiters, stops the timer.
//
// Memory: this object (about 120 bytes) and OpenSSL's SSL object; record
// buffers exist only while a record is in flight (SSL_MODE_RELEASE_BUFFERS).
// Lifetime: owned by the stream's state (deleted when the stream closes);
// holds the context's state, whose callbacks OpenSSL calls.
// Thread contract: the stream's loop thread.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../stream/socket_ops.hpp"
#include "../stream/stream_state.hpp"
#include "../stream/stream_transport.hpp"
#include "context_state.hpp"
#include "errors.hpp"
#include "socket_bio.hpp"

namespace eddy::detail {

class TLSTransport final : public StreamTransport {
 public:
  // Throws SSLError when OpenSSL cannot make the connection's objects, and
  // std::invalid_argument for a verifying client without a host name.
  TLSTransport(std::shared_ptr<SSLContextState> context, bool server_side, const std::string& host)
      : context_(std::move(context)), server_(server_side) {
    if (!server_ && context_->verify() && host.empty()) {
      throw std::invalid_argument(
          "eddy: SSLIOStream: a client that verifies the server needs server_hostname (or set_verify(false))");
    }
    clear_errors();
    ssl_ = SSL_new(context_->ctx());
    if (ssl_ == nullptr) fail_setup("cannot create a TLS connection");
    BIO* bio = make_socket_bio(side_);
    if (bio == nullptr) {
      SSL_free(ssl_);
      fail_setup("cannot create its BIO");
    }
    SSL_set_bio(ssl_, bio, bio);
    if (server_) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
      if (!host.empty() && !name_client(host)) {
        SSL_free(ssl_);
        fail_setup("cannot set the host name '" + host + "'");
      }
    }
  }
  ~TLSTransport() override { SSL_free(ssl_); }

  // ---- the seam -------------------------------------------------------------
  void bind(int fd) noexcept override { side_.fd = fd; }
  bool handshaking() const noexcept override { return phase_ == Phase::handshake; }
  TransportStep advance() override;
  ssize_t recv(char* into, std::size_t room) override;
  ssize_t send(const iovec* iov, std::size_t count) override;
  bool buffered() const noexcept override { return phase_ == Phase::established && SSL_has_pending(ssl_) == 1; }
  std::size_t buffered_bytes() const noexcept override {
    return phase_ == Phase::established ? static_cast<std::size_t>(SSL_pending(ssl_)) : 0;
  }
  bool wants_write() const noexcept override { return want_write_; }
  std::exception_ptr failure() const override { return failure_; }
  void retire(const std::exception_ptr& why, bool graceful) noexcept override;

  // ---- for SSLIOStream and the server ----------------------------------------
  // Arms the handshake timer; `stream` is the state this transport serves.
  void arm_timeout(IOLoop& loop, const std::shared_ptr<StreamState>& stream);
  Future<void> wait_for_handshake();
  std::string selected_alpn_protocol() const;
  // Bytes received before TLS started (start_tls): the peer's first.
  void set_preread(std::string bytes) {
    if (!bytes.empty()) side_.preread = std::make_unique<std::string>(std::move(bytes));
  }
  // Whether the peer sent any byte: a client that connects and leaves
  // without a word is not worth a log line.
  bool peer_spoke() const noexcept { return side_.got_bytes; }
  // The error a handshake past its timeout closes the stream with.
  static std::exception_ptr timeout_error() {
    return std::make_exception_ptr(SSLError("eddy: TLS handshake timed out", "handshake timed out", ETIMEDOUT));
  }

 private:
  enum class Phase : std::uint8_t { handshake, established, failed };

  [[noreturn]] void fail_setup(const std::string& what) {
    std::string reason = take_reason();
    throw SSLError("eddy: TLS: " + what + ": " + reason, reason);
  }

  // SNI for names (RFC 6066 forbids it for IP literals) and the identity
  // the certificate must carry: the name (no partial wildcards), or the
  // address for an IP literal.
  bool name_client(const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    peer_ = host;
    if (is_ip_literal(host)) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    if (SSL_set_tlsext_host_name(ssl_, host.c_str()) != 1) return false;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
  }

  void established();
  std::exception_ptr handshake_error(int code);
  std::exception_ptr io_error(int code);
  ssize_t failed(std::exception_ptr error, int error_number) {
    phase_ = Phase::failed;
    failure_ = std::move(error);
    fail_errno_ = error_number;
    errno = error_number;
    return -1;
  }

  std::shared_ptr<SSLContextState> context_;
  SSL* ssl_ = nullptr;
  SocketSide side_;
  IOLoop* loop_ = nullptr;  // the stream's, while the timer may be armed
  Timeout timer_;
  std::optional<Future<void>> waiters_;
  std::exception_ptr failure_;
  std::string peer_;  // the host name a client checks (for messages)
  int fail_errno_ = 0;
  Phase phase_ = Phase::handshake;
  bool server_;
  bool want_write_ = false;
};

}  // namespace eddy::detail

#include "transport_io.hpp"
