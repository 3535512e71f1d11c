// A blocking TLS client on OpenSSL directly, for the tests that need to do
// what no well-behaved client does: send raw bytes into the middle of a TLS
// connection, reset it mid-record, or stop half-way through a ClientHello.
// Runs on a thread of its own (it blocks), never on a loop thread.
#pragma once

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace eddy_test {

// A plain TCP connection to 127.0.0.1:port, blocking, with a 10 s receive timeout.
inline int connect_raw(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect_raw failed");
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Closes with a reset (RST) instead of a FIN.
inline void reset_raw(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// Sends everything; false if the socket failed.
inline bool send_raw(int fd, const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes or resets (or 10 s pass); returns what came.
inline std::string drain_raw(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// A ClientHello as OpenSSL writes it (for "half a ClientHello").
inline std::string client_hello_bytes() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_do_handshake(ssl);  // wants to read: the hello is in `out`
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(len));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

// A blocking TLS client (no verification) connected to 127.0.0.1:port.
class RawTLSClient {
 public:
  explicit RawTLSClient(std::uint16_t port) : fd_(connect_raw(port)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("RawTLSClient: handshake failed");
  }
  ~RawTLSClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  RawTLSClient(const RawTLSClient&) = delete;
  RawTLSClient& operator=(const RawTLSClient&) = delete;

  bool write(const std::string& data) { return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) > 0; }
  std::string read_some() {
    char buf[4096];
    int n = SSL_read(ssl_, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  int fd() const noexcept { return fd_; }
  // Writes raw bytes under TLS (half a record), then resets the connection.
  void reset_mid_record() {
    send_raw(fd_, std::string("\x17\x03\x03\x01\x00partial", 12));
    reset_raw(fd_);
    fd_ = -1;
  }
  // Ends the TCP connection without close_notify.
  void drop() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace eddy_test
