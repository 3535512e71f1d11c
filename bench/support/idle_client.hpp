// The idle-connection memory workload (bench/idle/): what a standing
// connection costs a server that has run for a while.
//
//   <impl>_idle [connections] [burst_bytes]
//
// The program binds a listening socket, forks the server (the peer's own
// loop, in its own idiom) and acts as the client from the parent:
//   1. warm-up: a few connections each send one line, read the echo, close;
//      then the baseline: the server's RSS (/proc/<pid>/statm) and heap in
//      use (mallinfo2, which the server reports over a control pipe);
//   2. `connections` connections, one after another, each send one line
//      and read its echo, then stay open and idle: phase=after_line;
//   3. each of them, 16 at a time, receives a burst of `burst_bytes` of
//      8 KiB lines and echoes it back, then goes idle again:
//      phase=after_burst (skipped when burst_bytes is 0).
// Each phase reports the growth over the baseline per connection:
//   RESULT workload=idle impl=<i> conns=<n> phase=<p> bytes_per_op=<RSS> heap_bytes=<heap>
// bytes_per_op is the server's RSS growth per connection (what the issue's
// goal is stated in), heap_bytes its heap growth. The server needs no
// pinning: the figures are bytes, not time.
//
// The descriptor limit is raised to its hard maximum in both processes.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "idle_server.hpp"

namespace bench::idle {

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "idle: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// The server process's resident set, in bytes.
inline std::size_t rss_of(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/statm";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) die("statm");
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) die("statm format");
    std::fclose(f);
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

inline int listen_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (::listen(fd, 4096) != 0) die("listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

inline int connect_loopback(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("client socket (raise the descriptor limit?)");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    return fd;
}

// What the client sends and when an answer is complete.
struct Protocol {
    std::string request;
    std::function<bool(const std::string&)> complete;
};

inline Protocol line_echo() {
    return {"hello, idle server\n", [](const std::string& got) { return got == "hello, idle server\n"; }};
}

// Sends `request` on a blocking socket and reads until the answer is complete.
inline void exchange(int fd, const Protocol& protocol) {
    if (::send(fd, protocol.request.data(), protocol.request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(protocol.request.size())) {
        die("send");
    }
    std::string got;
    char buf[4096];
    while (!protocol.complete(got)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20000) != 1) die("no answer within 20 s");
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) die("server closed the connection");
        got.append(buf, static_cast<std::size_t>(n));
    }
}

// Each of `fds` gets `bytes` of 8 KiB lines and reads them back, `batch`
// connections at a time, non-blocking.
inline void burst(const std::vector<int>& fds, std::size_t bytes, std::size_t batch = 16) {
    std::string lines;
    constexpr std::size_t line = 8192;
    for (std::size_t i = 0; lines.size() + line <= bytes; ++i) lines += std::string(line - 1, char('a' + i % 26)) + "\n";
    std::vector<char> sink(1 << 16);
    for (std::size_t first = 0; first < fds.size(); first += batch) {
        std::size_t count = std::min(batch, fds.size() - first);
        std::vector<std::size_t> sent(count, 0), received(count, 0);
        std::size_t done = 0;
        while (done < count) {
            std::vector<pollfd> polls(count);
            for (std::size_t i = 0; i < count; ++i) {
                polls[i].fd = fds[first + i];
                polls[i].events = 0;
                if (sent[i] < lines.size()) polls[i].events |= POLLOUT;
                if (received[i] < lines.size()) polls[i].events |= POLLIN;
            }
            if (::poll(polls.data(), count, 20000) <= 0) die("burst stalled for 20 s");
            for (std::size_t i = 0; i < count; ++i) {
                int fd = fds[first + i];
                if ((polls[i].revents & POLLOUT) != 0) {
                    ssize_t n = ::send(fd, lines.data() + sent[i], lines.size() - sent[i], MSG_NOSIGNAL | MSG_DONTWAIT);
                    if (n > 0) sent[i] += static_cast<std::size_t>(n);
                }
                if ((polls[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                    ssize_t n = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
                    if (n == 0) die("server closed during the burst");
                    if (n > 0) {
                        received[i] += static_cast<std::size_t>(n);
                        if (received[i] == lines.size()) ++done;
                    }
                }
            }
        }
    }
}

// The server's heap in use, asked over the control pipe.
struct Control {
    int request = -1;  // we write a byte
    int reply = -1;    // the server answers with a decimal line
    std::size_t heap() const {
        if (request < 0) return 0;
        char c = 'q';
        if (::write(request, &c, 1) != 1) die("control write");
        std::string line;
        char ch;
        while (::read(reply, &ch, 1) == 1 && ch != '\n') line += ch;
        return std::strtoull(line.c_str(), nullptr, 10);
    }
};

inline void settle_server() { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }

inline void report(const char* impl, std::size_t conns, const char* phase, std::size_t rss, std::size_t base_rss,
                   std::size_t heap, std::size_t base_heap, bool have_heap) {
    double per_rss = (double(rss) - double(base_rss)) / double(conns);
    std::printf("RESULT workload=idle impl=%s conns=%zu phase=%s bytes_per_op=%.0f", impl, conns, phase, per_rss);
    if (have_heap) std::printf(" heap_bytes=%.0f", (double(heap) - double(base_heap)) / double(conns));
    std::printf("\n");
    std::fflush(stdout);
}

// Runs the whole workload against a server process `server_pid` (whose RSS
// is measured) listening on `port`.
inline void measure(const char* impl, std::size_t conns, std::size_t burst_bytes, pid_t server_pid,
                    std::uint16_t port, const Control& control, const Protocol& protocol) {
    for (int i = 0; i < 8; ++i) {
        int fd = connect_loopback(port);
        exchange(fd, protocol);
        ::close(fd);
    }
    settle_server();
    std::size_t base_rss = rss_of(server_pid), base_heap = control.heap();
    std::vector<int> fds;
    fds.reserve(conns);
    for (std::size_t i = 0; i < conns; ++i) {
        fds.push_back(connect_loopback(port));
        exchange(fds.back(), protocol);
    }
    settle_server();
    bool have_heap = control.request >= 0;
    report(impl, conns, "after_line", rss_of(server_pid), base_rss, control.heap(), base_heap, have_heap);
    if (burst_bytes > 0) {
        burst(fds, burst_bytes);
        settle_server();
        report(impl, conns, "after_burst", rss_of(server_pid), base_rss, control.heap(), base_heap, have_heap);
    }
    for (int fd : fds) ::close(fd);
}

// The common driver of the line-echo servers: serve(listen_fd, control_fd,
// reply_fd) runs the peer's loop in the child and never returns.
template <class Serve>
int run(const char* impl, int argc, char** argv, Serve serve) {
    std::size_t conns = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
    std::size_t burst_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : (1u << 20);
    raise_nofile();
    std::uint16_t port = 0;
    int listener = listen_loopback(port);
    int to_server[2], to_client[2];
    if (::pipe(to_server) != 0 || ::pipe(to_client) != 0) die("pipe");
    pid_t pid = ::fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        ::close(to_server[1]);
        ::close(to_client[0]);
        serve(listener, to_server[0], to_client[1]);
        std::_Exit(0);
    }
    ::close(listener);
    ::close(to_server[0]);
    ::close(to_client[1]);
    measure(impl, conns, burst_bytes, pid, port, Control{to_server[1], to_client[0]}, line_echo());
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return 0;
}

}  // namespace bench::idle
