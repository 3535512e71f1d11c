// The BIO under every eddy TLS connection: OpenSSL reads and writes the
// stream's non-blocking socket through it, with recv and send.
//
// Why not OpenSSL's own socket BIO: it writes with write(), which raises
// SIGPIPE on a socket the peer closed, and eddy never touches signal
// dispositions; this one sends with MSG_NOSIGNAL (SO_NOSIGPIPE is set on
// the socket where that flag is missing). It also notes what the stream
// needs to know and a socket BIO forgets: the errno of a failed call (a
// reset under the handshake is a reset, not "unknown error"), whether the
// peer ended the stream, whether any byte came in (a client that connects
// and leaves is not worth a log line), and serves first the bytes handed
// over by start_tls (a peer's ClientHello that came in with the plain
// bytes before it). Memory BIOs would cost a copy of every byte and a
// buffer per connection.
//
// Thread contract: the loop thread of the stream; the BIO_METHOD is made
// once per process (a function-local static) and shared.
#pragma once

#include <openssl/bio.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "../stream/socket_ops.hpp"

namespace eddy::detail {

// What the BIO knows of its socket; lives in the transport.
struct SocketSide {
  int fd = -1;
  int error = 0;           // errno of the last failed recv/send (not EAGAIN)
  bool eof = false;        // recv returned 0
  bool got_bytes = false;  // any byte came in
  std::unique_ptr<std::string> preread;  // start_tls's bytes, served first
};

inline int socket_bio_read(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  BIO_clear_retry_flags(bio);
  SocketSide* side = static_cast<SocketSide*>(BIO_get_data(bio));
  if (side->preread) {
    std::size_t n = len < side->preread->size() ? len : side->preread->size();
    std::memcpy(out, side->preread->data(), n);
    side->preread->erase(0, n);
    if (side->preread->empty()) side->preread.reset();
    side->got_bytes = true;
    *got = n;
    return 1;
  }
  ssize_t n;
  do {
    n = ::recv(side->fd, out, len, 0);
  } while (n == -1 && errno == EINTR);
  if (n > 0) {
    side->got_bytes = true;
    *got = static_cast<std::size_t>(n);
    return 1;
  }
  if (n == 0) {
    side->eof = true;
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    BIO_set_retry_read(bio);
  } else {
    side->error = errno;
  }
  *got = 0;
  return 0;
}

inline int socket_bio_write(BIO* bio, const char* data, std::size_t len, std::size_t* put) {
  BIO_clear_retry_flags(bio);
  SocketSide* side = static_cast<SocketSide*>(BIO_get_data(bio));
  ssize_t n;
  do {
    n = ::send(side->fd, data, len, send_flags);
  } while (n == -1 && errno == EINTR);
  if (n >= 0) {
    *put = static_cast<std::size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    BIO_set_retry_write(bio);
  } else {
    side->error = errno;
  }
  *put = 0;
  return 0;
}

inline long socket_bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is held back: every write went to the kernel
    case BIO_CTRL_EOF:
      return static_cast<SocketSide*>(BIO_get_data(bio))->eof ? 1 : 0;
    default:
      return 0;
  }
}

inline int socket_bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

inline int socket_bio_destroy(BIO*) { return 1; }

inline const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "eddy socket");
    if (m == nullptr) return m;
    BIO_meth_set_read_ex(m, socket_bio_read);
    BIO_meth_set_write_ex(m, socket_bio_write);
    BIO_meth_set_ctrl(m, socket_bio_ctrl);
    BIO_meth_set_create(m, socket_bio_create);
    BIO_meth_set_destroy(m, socket_bio_destroy);
    return m;
  }();
  return method;
}

// A BIO over `side` (which must outlive it), or nullptr when OpenSSL is out
// of memory.
inline BIO* make_socket_bio(SocketSide& side) {
  const BIO_METHOD* method = socket_bio_method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, &side);
  return bio;
}

}  // namespace eddy::detail
