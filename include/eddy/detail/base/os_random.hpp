// Random bytes from the operating system's source (getrandom on Linux,
// arc4random_buf on macOS and the BSDs, /dev/urandom elsewhere), buffered
// per thread so that a caller who needs 4 bytes at a time (a WebSocket
// client masks every frame with a fresh key, RFC 6455 §5.3) costs one
// system call per 256 bytes, not per call.
//
//   std::uint32_t key;
//   eddy::detail::os_random(&key, sizeof key);
//
// After fork() the child discards what its parent had buffered (a
// pthread_atfork hook bumps a generation), so two processes never hand out
// the same bytes. A source that fails (no /dev/urandom in a chroot) throws
// std::system_error: there is no safe fallback for unpredictable masks.
//
// Thread contract: any thread; each thread has its own buffer.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <system_error>

#if defined(__linux__)
#include <sys/random.h>
#endif

namespace eddy::detail {

namespace random_detail {

inline std::atomic<std::uint32_t>& fork_generation() noexcept {
  static std::atomic<std::uint32_t> generation{0};
  return generation;
}

inline void after_fork_in_child() noexcept { fork_generation().fetch_add(1, std::memory_order_relaxed); }

// Fills `out` straight from the source (no buffer).
inline void fill_from_os(unsigned char* out, std::size_t n) {
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  ::arc4random_buf(out, n);
#else
  while (n > 0) {
#if defined(__linux__)
    ssize_t got = ::getrandom(out, n, 0);
#else
    ssize_t got = -1;
    errno = ENOSYS;
#endif
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      // No getrandom (an old kernel): read /dev/urandom instead.
      int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::system_error(errno, std::generic_category(), "eddy: open /dev/urandom");
      got = ::read(fd, out, n);
      int error = errno;
      ::close(fd);
      if (got <= 0) throw std::system_error(got < 0 ? error : EIO, std::generic_category(), "eddy: read /dev/urandom");
    }
    out += got;
    n -= static_cast<std::size_t>(got);
  }
#endif
}

struct RandomBuffer {
  static constexpr std::size_t size = 256;
  unsigned char bytes[size];
  std::size_t used = size;  // everything used: refill on first use
  std::uint32_t generation = 0;
};

}  // namespace random_detail

// Fills `out` with `n` unpredictable bytes (see the file comment).
template <class = void>
void os_random(void* out, std::size_t n) {
  using namespace random_detail;
  static const bool hooked = ::pthread_atfork(nullptr, nullptr, &after_fork_in_child) == 0;
  (void)hooked;
  static thread_local RandomBuffer buffer;
  auto* dst = static_cast<unsigned char*>(out);
  std::uint32_t generation = fork_generation().load(std::memory_order_relaxed);
  if (buffer.generation != generation) {
    buffer.generation = generation;
    buffer.used = RandomBuffer::size;
  }
  if (n > RandomBuffer::size / 4) return fill_from_os(dst, n);  // large requests skip the buffer
  while (n > 0) {
    if (buffer.used == RandomBuffer::size) {
      fill_from_os(buffer.bytes, RandomBuffer::size);
      buffer.used = 0;
    }
    std::size_t take = RandomBuffer::size - buffer.used < n ? RandomBuffer::size - buffer.used : n;
    std::memcpy(dst, buffer.bytes + buffer.used, take);
    // Bytes handed out are wiped, so they are never handed out twice.
    std::memset(buffer.bytes + buffer.used, 0, take);
    buffer.used += take;
    dst += take;
    n -= take;
  }
}

}  // namespace eddy::detail
