// The UDP echo workload, shared by every implementation so only the loop glue
// differs: F client sockets ("flows") over loopback, each sending a 32-byte
// datagram and waiting for its echo before sending the next, until T round
// trips in all; one server socket echoes every datagram to its sender. Per
// round trip. Loopback never drops a datagram here: each flow has one in
// flight, far below any socket buffer.
//
// The parent forks the server (the child), which binds 127.0.0.1 port 0 and
// writes its port to a pipe; the parent runs the client and measures, then
// sends "stop" and reaps the server. Both are pinned to CPU 0, as the TCP
// ping-pong is (support/tcp_workload.hpp), so the figure is both loops and
// the kernel on one core; cpu_ns_per_op adds the server's CPU to the client's.
//
// A window W > 1 (argv[3]) makes it a flood: each flow keeps W datagrams in
// flight (sending one more per echo), so the server's socket holds a backlog
// and a loop reads many datagrams per readable event. Keep flows x W well
// inside a default receive buffer (80 is): a datagram the kernel drops would
// stall its flow.
//   argv[1] flows (default 1), argv[2] round trips (default 200000), argv[3] window (default 1)
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace bench {

inline constexpr std::size_t udp_message = 32;
inline constexpr char udp_stop[] = "stop";

struct UdpParams {
    std::size_t flows;
    std::uint64_t trips;
    std::uint64_t window;  // datagrams in flight per flow
};

inline UdpParams udp_params(int argc, char** argv) {
    UdpParams p{std::size_t(arg_or(argc, argv, 1, 1)), arg_or(argc, argv, 2, 200'000), arg_or(argc, argv, 3, 1)};
    if (p.window == 0) p.window = 1;
    return p;
}

inline void udp_check(bool ok, const char* what) {
    if (!ok) {
        std::perror(what);
        std::exit(1);
    }
}

// Forks the server: serve(port_fd) must bind, write its port (uint16_t) to
// port_fd, close it and echo until "stop". Returns its pid; sets `port`.
template <class Serve>
pid_t fork_udp_server(Serve&& serve, std::uint16_t& port) {
    pin_to_cpu(0);
    int fds[2];
    udp_check(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    udp_check(pid >= 0, "fork");
    if (pid == 0) {
        close(fds[0]);
        serve(fds[1]);
        std::fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    udp_check(read(fds[0], &port, sizeof port) == sizeof port, "read port");
    close(fds[0]);
    return pid;
}

inline void tell_port(int port_fd, std::uint16_t port) {
    udp_check(write(port_fd, &port, sizeof port) == sizeof port, "write port");
    close(port_fd);
}

// Sends "stop" to the server and returns its CPU time in ns once it exited.
inline double stop_udp_server(pid_t pid, std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    sendto(fd, udp_stop, sizeof udp_stop - 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
    int status = 0;
    rusage usage{};
    udp_check(wait4(pid, &status, 0, &usage) == pid, "wait4");
    udp_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server exit");
    auto ns = [](const timeval& tv) { return double(tv.tv_sec) * 1e9 + double(tv.tv_usec) * 1e3; };
    return ns(usage.ru_utime) + ns(usage.ru_stime);
}

inline std::uint64_t trips_per_flow(const UdpParams& p) { return (p.trips + p.flows - 1) / p.flows; }

inline void report_udp(const char* impl, const UdpParams& p, const Stopwatch& watch, double server_cpu_ns) {
    std::uint64_t done = trips_per_flow(p) * p.flows;
    std::string params = "flows=" + std::to_string(p.flows) + " msg=" + std::to_string(udp_message);
    if (p.window > 1) params += " window=" + std::to_string(p.window);
    report_per_op("udp_echo", impl, params, done,
                  watch.wall_ns(), watch.cpu_used_ns() + server_cpu_ns);
}

}  // namespace bench
