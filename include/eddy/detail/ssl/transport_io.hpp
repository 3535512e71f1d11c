// TLSTransport's handshake, reads, writes and goodbye. Included by
// transport.hpp; see it for the rules.
#pragma once

#include "transport.hpp"

namespace eddy::detail {

inline TransportStep TLSTransport::advance() {
  if (phase_ != Phase::handshake) return phase_ == Phase::established ? TransportStep::ready : TransportStep::failed;
  clear_errors();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    established();
    return TransportStep::ready;
  }
  int code = SSL_get_error(ssl_, r);
  if (code == SSL_ERROR_WANT_READ) return TransportStep::want_read;
  if (code == SSL_ERROR_WANT_WRITE) return TransportStep::want_write;
  std::exception_ptr error = handshake_error(code);
  failed(std::move(error), fail_errno_ != 0 ? fail_errno_ : transport_errno);
  return TransportStep::failed;
}

// The handshake is done: the timer goes, the waiters resolve (scheduled, as
// every future's callbacks are).
inline void TLSTransport::established() {
  phase_ = Phase::established;
  if (timer_ && loop_ != nullptr) loop_->remove_timeout(timer_);
  timer_ = Timeout();
  if (waiters_) {
    waiters_->set_result();
    waiters_.reset();
  }
}

inline std::exception_ptr TLSTransport::handshake_error(int code) {
  std::string with = peer_.empty() ? std::string() : " with " + peer_;
  std::string reason;
  int error = transport_errno;
  if (code == SSL_ERROR_SYSCALL && side_.error != 0) {
    error = side_.error;
    reason = errno_text(error);
    clear_errors();
  } else if (side_.eof && !queued_unexpected_eof() && ERR_peek_error() != 0) {
    reason = take_reason(ssl_);  // an alert the peer sent before leaving
  } else if (side_.eof || code == SSL_ERROR_SYSCALL) {
    reason = side_.got_bytes ? "the peer closed the connection during the handshake" : closed_before_handshake;
    clear_errors();
  } else {
    reason = take_reason(ssl_);
  }
  fail_errno_ = error;
  return std::make_exception_ptr(SSLError("eddy: TLS handshake" + with + " failed: " + reason, reason, error));
}

// A failure after the handshake: the socket's errno is the stream's to
// word; an end without close_notify is a truncation; anything else is a
// TLS error (an alert, a record that does not decrypt).
inline std::exception_ptr TLSTransport::io_error(int code) {
  if (code == SSL_ERROR_SYSCALL && side_.error != 0) {
    clear_errors();
    fail_errno_ = side_.error;
    return std::make_exception_ptr(StreamClosedError("eddy: stream closed: " + errno_text(side_.error), side_.error));
  }
  fail_errno_ = transport_errno;
  if (code == SSL_ERROR_SYSCALL || queued_unexpected_eof()) {
    clear_errors();
    return std::make_exception_ptr(
        SSLError("eddy: stream closed: the peer ended the TLS connection without close_notify (the data may be truncated)",
                 "unexpected eof while reading"));
  }
  std::string reason = take_reason(ssl_);
  return std::make_exception_ptr(SSLError("eddy: stream closed: TLS error: " + reason, reason));
}

inline ssize_t TLSTransport::recv(char* into, std::size_t room) {
  if (phase_ != Phase::established) {
    errno = phase_ == Phase::failed ? fail_errno_ : EAGAIN;
    return -1;
  }
  want_write_ = false;
  std::size_t total = 0;
  while (total < room) {
    std::size_t got = 0;
    clear_errors();
    if (SSL_read_ex(ssl_, into + total, room - total, &got) == 1) {
      total += got;
      if (SSL_has_pending(ssl_) != 1) break;  // nothing more without the socket
      continue;
    }
    int code = SSL_get_error(ssl_, 0);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      want_write_ = code == SSL_ERROR_WANT_WRITE;
      if (total > 0) break;
      errno = EAGAIN;
      return -1;
    }
    if (code == SSL_ERROR_ZERO_RETURN) break;  // close_notify: the orderly end (0 once drained)
    std::exception_ptr error = io_error(code);
    if (total > 0) {
      // The bytes first; the failure is answered by the next call.
      phase_ = Phase::failed;
      failure_ = std::move(error);
      break;
    }
    return failed(std::move(error), fail_errno_);
  }
  return static_cast<ssize_t>(total);
}

inline ssize_t TLSTransport::send(const iovec* iov, std::size_t count) {
  if (phase_ != Phase::established) {
    errno = phase_ == Phase::failed ? fail_errno_ : EAGAIN;
    return -1;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char* data = static_cast<const char*>(iov[i].iov_base);
    std::size_t left = iov[i].iov_len;
    while (left > 0) {
      std::size_t put = 0;
      clear_errors();
      if (SSL_write_ex(ssl_, data, left, &put) == 1) {
        total += put;
        data += put;
        left -= put;
        continue;
      }
      int code = SSL_get_error(ssl_, 0);
      if (code == SSL_ERROR_WANT_WRITE) {
        if (total > 0) return static_cast<ssize_t>(total);
        errno = EAGAIN;
        return -1;
      }
      // WANT_READ would need renegotiation, which is off: fail, never spin.
      std::exception_ptr error = code == SSL_ERROR_WANT_READ
                                     ? std::make_exception_ptr(SSLError("eddy: stream closed: TLS write needed a read",
                                                                        "write needed a read"))
                                     : io_error(code);
      if (code == SSL_ERROR_WANT_READ) fail_errno_ = transport_errno;
      if (total > 0) {
        phase_ = Phase::failed;
        failure_ = std::move(error);
        return static_cast<ssize_t>(total);
      }
      return failed(std::move(error), fail_errno_);
    }
  }
  return static_cast<ssize_t>(total);
}

inline void TLSTransport::retire(const std::exception_ptr& why, bool graceful) noexcept {
  if (graceful && phase_ == Phase::established) {
    clear_errors();
    SSL_shutdown(ssl_);  // sends close_notify if the socket takes it; never waits for the peer's
    clear_errors();
  }
  if (timer_ && loop_ != nullptr) loop_->remove_timeout(timer_);
  timer_ = Timeout();
  if (waiters_) {
    if (why) waiters_->set_exception(why);
    waiters_.reset();
  }
}

inline void TLSTransport::arm_timeout(IOLoop& loop, const std::shared_ptr<StreamState>& stream) {
  if (phase_ != Phase::handshake) return;
  loop_ = &loop;
  std::weak_ptr<StreamState> weak = stream;
  timer_ = loop.call_later(context_->handshake_timeout(), [weak] {
    std::shared_ptr<StreamState> s = weak.lock();
    if (!s) return;
    StreamTransport* t = s->transport();
    if (t != nullptr && t->handshaking()) s->close_with_error(TLSTransport::timeout_error());
    StreamState::release_if_last(s);  // as a handle going: a stream nobody holds is freed
  });
}

inline Future<void> TLSTransport::wait_for_handshake() {
  if (phase_ == Phase::established) return make_ready_future();
  if (phase_ == Phase::failed) return make_failed_future<void>(failure_);
  if (!waiters_) waiters_.emplace();
  return *waiters_;
}

inline std::string TLSTransport::selected_alpn_protocol() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace eddy::detail
