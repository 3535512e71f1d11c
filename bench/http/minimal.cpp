// The minimal floor of the pipelined HTTP benchmark (issue 22, part 2),
// written as the issue describes it: level-triggered epoll; for every
// readable event ONE read; for every "\r\n\r\n" in it one canned 200
// (Server, Content-Type, Content-Length: 13, "Hello, World!"; no Date); ONE
// write of all of them. No parsing, no routing, no Date header, no
// epoll_ctl unless the kernel refuses part of a write (then EPOLLOUT until
// it has taken the rest). It costs what the system calls cost and little
// else, so it is the lowest CPU per request any server can reach.
// bench/http/epoll.cpp, the older floor, does more (a Date header, a read
// until EAGAIN, an epoll_ctl after every write); both are reported.
// argv[1] port (0: a free one, printed as "PORT <n>"). Runs until killed.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "support/http_common.hpp"

namespace {

constexpr char response[] =
    "HTTP/1.1 200 OK\r\nServer: F\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr std::size_t response_size = sizeof response - 1;
constexpr char end_of_head[] = "\r\n\r\n";

struct Connection {
    bool open = false;
    int matched = 0;      // how much of "\r\n\r\n" the previous read ended with
    std::string pending;  // responses the kernel did not take yet
};

// Request ends in data: memmem between them, a partial match carried
// across reads byte by byte.
int count_requests(Connection& c, const char* data, std::size_t n) {
    int requests = 0;
    std::size_t i = 0;
    while (c.matched != 0 && i < n) {
        char b = data[i++];
        if (b == end_of_head[c.matched]) {
            if (++c.matched == 4) {
                ++requests;
                c.matched = 0;
            }
        } else {
            c.matched = b == '\r' ? 1 : 0;
        }
    }
    while (i < n) {
        const void* hit = memmem(data + i, n - i, end_of_head, 4);
        if (hit == nullptr) break;
        ++requests;
        i = std::size_t(static_cast<const char*>(hit) - data) + 4;
    }
    // The longest suffix that is a prefix of "\r\n\r" (3, 2, 1 bytes).
    for (int k = 3; k > 0; --k) {
        if (n - i >= std::size_t(k) && std::memcmp(data + n - std::size_t(k), end_of_head, std::size_t(k)) == 0) {
            c.matched = k;
            break;
        }
    }
    return requests;
}

void watch(int ep, int op, int fd, unsigned events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(ep, op, fd, &ev);
}

void close_connection(int ep, int fd, Connection& c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    c = Connection{};
}

// Writes `out` once; what the kernel refuses waits for EPOLLOUT.
bool send_once(int ep, int fd, Connection& c, const char* out, std::size_t size) {
    ssize_t w = write(fd, out, size);
    if (w < 0) {
        if (errno != EAGAIN) return false;
        w = 0;
    }
    if (std::size_t(w) < size) {
        c.pending.append(out + w, size - std::size_t(w));
        watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT);
    }
    return true;
}

bool on_writable(int ep, int fd, Connection& c) {
    std::string rest = std::move(c.pending);
    c.pending.clear();
    watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
    return send_once(ep, fd, c, rest.data(), rest.size());
}

// One read, one write.
bool on_readable(int ep, int fd, Connection& c, std::vector<char>& in, std::string& out) {
    ssize_t r = read(fd, in.data(), in.size());
    if (r == 0) return false;
    if (r < 0) return errno == EAGAIN;
    int requests = count_requests(c, in.data(), std::size_t(r));
    if (requests == 0) return true;
    out.clear();
    for (int i = 0; i < requests; ++i) out.append(response, response_size);
    if (!c.pending.empty()) {  // earlier responses still queued: keep the order
        c.pending += out;
        return true;
    }
    return send_once(ep, fd, c, out.data(), out.size());
}

void accept_all(int ep, int listener, std::vector<Connection>& conns) {
    for (;;) {
        int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (std::size_t(fd) >= conns.size()) conns.resize(std::size_t(fd) + 1);
        conns[std::size_t(fd)].open = true;
        watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN);
    }
}

}  // namespace

int main(int argc, char** argv) {
    int listener = bench_http::listen_loopback(bench_http::port_arg(argc, argv));
    bench_http::announce(bench_http::bound_port(listener));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    watch(ep, EPOLL_CTL_ADD, listener, EPOLLIN);
    std::vector<Connection> conns;
    std::vector<char> in(65536);
    std::string out;
    epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(ep, listener, conns);
                continue;
            }
            Connection& c = conns[std::size_t(fd)];
            if (!c.open) continue;
            bool ok = true;
            if (events[i].events & EPOLLOUT) ok = on_writable(ep, fd, c);
            if (ok && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) ok = on_readable(ep, fd, c, in, out);
            if (!ok) close_connection(ep, fd, c);
        }
    }
}
