// Shared by the HTTP benchmark servers (bench/http/*.cpp): the command line
// (argv[1] = port, 0 for a free one), the "PORT <n>" line the runner
// (bench/http-bench) reads to find the server, and the one response every
// server gives to GET /plaintext.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace bench_http {

inline constexpr const char* body = "Hello, World!";

inline std::uint16_t port_arg(int argc, char** argv) {
    return argc > 1 ? static_cast<std::uint16_t>(std::strtoul(argv[1], nullptr, 10)) : 0;
}

// The port a bound socket got (when asked for port 0).
inline std::uint16_t bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
    return ntohs(addr.sin_port);
}

// Tells the runner where to connect; stdout stays quiet otherwise.
inline void announce(std::uint16_t port) {
    std::printf("PORT %u\n", static_cast<unsigned>(port));
    std::fflush(stdout);
}

}  // namespace bench_http
