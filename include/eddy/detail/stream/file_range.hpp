// FileRange: a byte range of an open file, queued on a stream to be sent
// after the bytes written before it (IOStream::write_file), and the one
// system call that moves a piece of it to a socket.
//
// Ownership. A FileRange owns its descriptor: the descriptor is closed when
// the range is destroyed, whether it was sent whole, dropped with a stream
// that closed, or never queued (a closed stream refuses it). So every path
// closes the file exactly once, and none leaks it.
//
// Sending. On Linux a plain stream sends with sendfile(2): the kernel moves
// page-cache pages to the socket, nothing is copied through user space and
// the server holds no file data. Elsewhere (macOS, the BSDs: their
// sendfile's shapes differ and the poll/kqueue backends are the portable
// path) and on TLS streams (the bytes must be encrypted in user space), a
// piece of at most 64 KiB is read with pread(2) into a per-thread buffer and
// sent from there; what the socket does not take is read again next time.
// A 64 KiB read of a local file from the page cache takes microseconds,
// which the loop affords; a cold read from a slow disk blocks the loop for
// as long as the disk takes (see docs/web.md, "Static files").
//
// Thread contract: a FileRange belongs to one thread at a time; the send
// functions are plain functions over fds.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/sendfile.h>
#endif

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "../base/fd_ops.hpp"
#include "plain_fd_ops.hpp"

namespace eddy::detail {

class FileRange {
 public:
  FileRange() noexcept = default;
  // Takes ownership of `fd` (closed by the destructor) and names the bytes
  // [offset, offset + size) of it.
  FileRange(int fd, std::uint64_t offset, std::uint64_t size) noexcept : fd_(fd), offset_(offset), size_(size) {}
  FileRange(FileRange&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), offset_(other.offset_), size_(std::exchange(other.size_, 0)) {}
  FileRange& operator=(FileRange&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      offset_ = other.offset_;
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  FileRange(const FileRange&) = delete;
  FileRange& operator=(const FileRange&) = delete;
  ~FileRange() { reset(); }

  // Holds a descriptor (a range, possibly empty, to send).
  bool valid() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  std::uint64_t offset() const noexcept { return offset_; }
  std::uint64_t size() const noexcept { return size_; }
  // Gives the descriptor up (the caller closes it now); the range becomes
  // empty.
  int release() noexcept {
    size_ = 0;
    return std::exchange(fd_, -1);
  }
  // Closes the descriptor now; the range becomes empty.
  void reset() noexcept {
    if (fd_ >= 0) close_fd(std::exchange(fd_, -1));
    size_ = 0;
  }

 private:
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
};

// The buffer of the pread fallback: 64 KiB per thread, made on first use
// (a server that only uses sendfile never allocates it).
inline constexpr std::size_t file_chunk_size = 64 * 1024;
inline char* file_chunk_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[file_chunk_size]);
  return buffer.get();
}

// Reads up to `room` bytes of the file at `offset` (pread, EINTR retried):
// what pread returned, 0 at the end of the file.
inline ssize_t read_file_piece(int fd, std::uint64_t offset, char* into, std::size_t room) noexcept {
  ssize_t n;
  do {
    n = ::pread(fd, into, room, static_cast<off_t>(offset));
  } while (n == -1 && errno == EINTR);
  return n;
}

// sendfile(2) of up to `count` bytes of `file` at `offset` to `socket`: the
// count sent, 0 at the end of the file, or -1 with errno (ENOSYS/EINVAL
// where the kernel cannot: the caller falls back to pread). Linux only;
// elsewhere always -1 with ENOSYS.
//
// SIGPIPE: sendfile has no MSG_NOSIGNAL, and writing to a socket whose peer
// is gone raises SIGPIPE, whose default action kills the process. So it goes
// through writev_plain's guard (call_without_sigpipe, plain_fd_ops.hpp):
// SIGPIPE blocked in this thread for the call, and one it raised (an error,
// or a count cut short by the closed peer) taken off the pending set before
// unblocking. Three or four system calls more per sendfile, which moves up to
// a socket buffer's worth of file.
inline ssize_t send_file_piece([[maybe_unused]] int socket, [[maybe_unused]] int file,
                               [[maybe_unused]] std::uint64_t offset, [[maybe_unused]] std::size_t count) noexcept {
#if defined(__linux__)
  off_t at = static_cast<off_t>(offset);
  return call_without_sigpipe([&] { return ::sendfile(socket, file, &at, count); }, count);
#else
  errno = ENOSYS;
  return -1;
#endif
}

// TCP_CORK (Linux): while on, the kernel sends only full segments, so a
// response's head and the start of its file leave together instead of the
// head in a packet of its own (TCP_NODELAY pushes every write). A no-op
// elsewhere and on sockets that are not TCP.
inline void set_cork([[maybe_unused]] int socket, [[maybe_unused]] bool on) noexcept {
#if defined(__linux__) && defined(TCP_CORK)
  int value = on ? 1 : 0;
  ::setsockopt(socket, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
#endif
}

}  // namespace eddy::detail
