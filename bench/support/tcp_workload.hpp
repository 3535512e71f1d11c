// The TCP workloads, shared by every implementation so only the loop glue
// differs:
//   pingpong  C connections over loopback, each sending a 5-byte message and
//             waiting for its echo before sending the next; the server echoes
//             whatever it reads. Per round trip.
//   pump      one connection; the server writes N chunks of 8 KiB as fast as
//             back-pressure allows, the client reads them all. Per 8 KiB
//             chunk (Gbit/s = 65536 / ns_per_op).
// Socket buffers are fixed (fix_buffers) on both ends. Left to the kernel's
// autotuning, the pump was bimodal on the 2-core VM: each run settled at
// about 2.4 or 3.3 us per chunk, for every implementation alike, depending
// on how far the buffers grew in its first milliseconds, so medians said
// more about which runs fell in which mode than about the loops.
// The parent process makes the listening socket, forks the server (the child)
// and runs the client, which measures. Both are pinned to CPU 0, so the
// figure is the cost of both sides' loops and the kernel on one core.
// cpu_ns_per_op adds the server's CPU (from wait4) to the client's.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "measure.hpp"
#include "report.hpp"

namespace bench {

inline constexpr std::size_t pingpong_message = 5;
inline constexpr std::size_t pump_chunk = 8192;
inline constexpr int socket_buffer = 256 * 1024;  // the kernel doubles it

// SO_SNDBUF and SO_RCVBUF at socket_buffer. Set on the listening socket, they
// are inherited by every accepted one; the client sets its own before
// connecting (as the window scale is chosen then).
inline void fix_buffers(int fd) {
    int size = socket_buffer;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// A listening loopback socket on a free port (blocking; the server makes it
// non-blocking if its loop wants that).
struct Listener {
    int fd = -1;
    std::uint16_t port = 0;
    Listener() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(fd >= 0, "socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        fix_buffers(fd);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        check(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
        check(listen(fd, 1024) == 0, "listen");
        socklen_t len = sizeof addr;
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
};

// Forks the server: the child pins itself (inherited), runs serve(listen_fd)
// and exits. The parent closes its copy of the listening socket.
template <class Serve>
pid_t fork_server(Listener& listener, Serve&& serve) {
    pin_to_cpu(0);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        serve(listener.fd);
        std::fflush(stdout);
        _exit(0);
    }
    close(listener.fd);
    listener.fd = -1;
    return pid;
}

// Waits for the server and returns its CPU time in ns.
inline double reap_server(pid_t pid) {
    int status = 0;
    rusage usage{};
    check(wait4(pid, &status, 0, &usage) == pid, "wait4");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server exited cleanly");
    auto ns = [](const timeval& tv) { return double(tv.tv_sec) * 1e9 + double(tv.tv_usec) * 1e3; };
    return ns(usage.ru_utime) + ns(usage.ru_stime);
}

// A blocking loopback connection to `port`, or the connecting socket left to
// the caller's loop (the peers connect in their own idiom; this is for those
// that take a connected fd).
inline int connect_loopback(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0, "socket");
    fix_buffers(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    check(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
    return fd;
}

inline void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Per-connection share of the round trips: conns * per_conn >= trips.
inline std::uint64_t trips_per_connection(std::uint64_t trips, std::size_t conns) {
    return (trips + conns - 1) / conns;
}

// The ping-pong parameters, one definition for every implementation:
// argv[1] connections (default 1), argv[2] round trips in all (default
// 200,000), shared evenly (rounded up) among the connections.
struct PingpongParams {
    std::size_t conns;
    std::uint64_t per_conn;
    std::uint64_t trips() const { return per_conn * conns; }
};

inline PingpongParams pingpong_params(int argc, char** argv) {
    std::size_t conns = arg_or(argc, argv, 1, 1);
    std::uint64_t trips = arg_or(argc, argv, 2, 200'000);
    return PingpongParams{conns, trips_per_connection(trips, conns)};
}

// A ping-pong client connection: connected, Nagle off (5-byte messages).
inline int connect_pingpong_client(std::uint16_t port) {
    int fd = connect_loopback(port);
    set_nodelay(fd);
    return fd;
}

inline void report_pingpong(const char* impl, std::size_t conns, std::uint64_t trips, double wall_ns,
                            double cpu_ns) {
    report_per_op("pingpong", impl, "conns=" + std::to_string(conns) + " msg=5", trips, wall_ns, cpu_ns);
    std::fprintf(stderr, "# %s pingpong conns=%zu: %.0f round trips/s\n", impl, conns, double(trips) * 1e9 / wall_ns);
}

inline void report_pump(const char* impl, std::uint64_t chunks, double wall_ns, double cpu_ns) {
    report_per_op("pump", impl, "write=8192", chunks, wall_ns, cpu_ns);
    std::fprintf(stderr, "# %s pump: %.2f Gbit/s\n", impl, double(chunks) * pump_chunk * 8.0 / wall_ns);
}

}  // namespace bench
