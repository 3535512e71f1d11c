// StreamTransport: the one seam through which a stream may read and write
// its socket through something else than recv/send: TLS (ssl.hpp) is the
// only user. A plain stream has no transport; its I/O path tests one null
// pointer and goes on as before.
//
// The contract, written from the stream's side (stream_state.hpp):
// - While handshaking() is true the transport owns the socket's interest:
//   the stream calls advance() on every event and sets the interest it
//   returns; reads and writes wait (recv/send answer EAGAIN meanwhile).
// - recv() and send() behave like ::recv and ::sendmsg on a non-blocking
//   socket: a count, 0 for an orderly end (TLS: close_notify), or -1 with
//   errno: EAGAIN to wait for the socket, a socket errno (ECONNRESET,
//   EPIPE...), or transport_errno when the transport itself failed (a TLS
//   alert, a record that does not decrypt, a peer that closed without
//   close_notify): then failure() says why and the stream closes with it.
// - buffered() is true when a recv would return bytes without the socket
//   being readable (TLS records already pulled in): the stream does not
//   wait for the poller for them, but for a job it schedules on the loop,
//   so the read completes from the loop as one the socket served would.
// - wants_write() is true when the last recv stopped because the transport
//   must write first; the stream then asks for WRITE too.
// - retire() runs once, when the stream closes or is destroyed: send a
//   close_notify when `graceful` (a local close), fail what waits on the
//   handshake with `why`, stop timers. The stream deletes the transport
//   right after; the destructor must not touch the loop (it may be gone).
//
// Thread contract: the stream's loop thread.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>

namespace eddy::detail {

// The errno with which a transport reports its own failure (see failure()).
// A StreamClosedError carrying it says "the transport failed": for TLS,
// read_until_close fails instead of resolving (a truncation attack must not
// pass for the end of the data).
inline constexpr int transport_errno = EPROTO;

enum class TransportStep : std::uint8_t { ready, want_read, want_write, failed };

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;

  // The socket the stream owns; given once, right after construction.
  virtual void bind(int fd) noexcept = 0;
  virtual bool handshaking() const noexcept = 0;
  // Drives the handshake; what the stream must wait for next.
  virtual TransportStep advance() = 0;
  virtual ssize_t recv(char* into, std::size_t room) = 0;
  virtual ssize_t send(const iovec* iov, std::size_t count) = 0;
  virtual bool buffered() const noexcept = 0;
  // Bytes received, decoded and not yet read (counted by read_buffer_size()).
  virtual std::size_t buffered_bytes() const noexcept = 0;
  virtual bool wants_write() const noexcept = 0;
  // Why the transport failed (after transport_errno, or advance() == failed).
  virtual std::exception_ptr failure() const = 0;
  virtual void retire(const std::exception_ptr& why, bool graceful) noexcept = 0;

  // The stream scheduled a wake-up for bytes buffered() holds (see
  // StreamState::wake_for_transport); set and cleared by the stream only.
  bool wake_scheduled = false;

 protected:
  StreamTransport() = default;
  StreamTransport(const StreamTransport&) = delete;
  StreamTransport& operator=(const StreamTransport&) = delete;
};

}  // namespace eddy::detail
