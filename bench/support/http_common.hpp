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

// A non-blocking listening socket on 127.0.0.1:port (the raw-epoll floors);
// exits the program when it cannot bind.
inline int listen_loopback(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1024) != 0) {
        std::perror("bind/listen");
        std::exit(1);
    }
    return fd;
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
