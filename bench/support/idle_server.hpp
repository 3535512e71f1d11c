// The server side of the idle-connection workload (see idle_client.hpp):
// the descriptor limit, the heap figure, and the control-pipe answer every
// peer's server gives when the client asks for it.
#pragma once

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <string>

namespace bench::idle {

// Longest line the echo servers accept (read_until's max_bytes).
constexpr std::size_t max_line = 64 * 1024;

// 10,000 connections need more descriptors than the usual soft limit.
inline void raise_nofile() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Bytes of heap in use (glibc): small blocks plus mmapped ones.
inline std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = ::mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

// Called by the server's loop when `control` is readable: consumes the
// request byte and writes the heap in use to `reply` as a decimal line.
// Returns false when the client has gone (EOF).
inline bool answer_control(int control, int reply) {
    char c;
    if (::read(control, &c, 1) != 1) return false;
    std::string line = std::to_string(heap_in_use()) + "\n";
    return ::write(reply, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

}  // namespace bench::idle
