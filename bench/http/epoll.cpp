// The floor of the HTTP benchmark: bare epoll that parses nothing. Every
// "\r\n\r\n" in the input counts as one request and gets one canned
// response (the same bytes an HTTP server would send: status line, Date,
// Content-Type, Content-Length, body); the responses to one read go out in
// one write. No routing, no header parsing, no Date formatting: what is left
// is the cost of the system calls, which no server can avoid.
// argv[1] port (0: a free one, printed as "PORT <n>"). Runs until killed.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <unordered_map>

#include "support/http_common.hpp"

namespace {

constexpr char response[] =
    "HTTP/1.1 200 OK\r\nServer: floor\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
    "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr std::size_t response_size = sizeof response - 1;

struct Connection {
    int matched = 0;      // how much of "\r\n\r\n" the previous read ended with
    std::string pending;  // responses the kernel did not take yet
};

// Counts request ends in data, carrying a partial match across reads.
int count_requests(Connection& c, const char* data, std::size_t n) {
    static constexpr char end[] = "\r\n\r\n";
    int requests = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (data[i] == end[c.matched]) {
            if (++c.matched == 4) {
                ++requests;
                c.matched = 0;
            }
        } else {
            c.matched = data[i] == '\r' ? 1 : 0;
        }
    }
    return requests;
}

void close_connection(int ep, int fd, std::unordered_map<int, Connection>& conns) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
}

// Writes what is pending; true while the connection stays usable.
bool flush(int ep, int fd, Connection& c) {
    while (!c.pending.empty()) {
        ssize_t w = write(fd, c.pending.data(), c.pending.size());
        if (w < 0) {
            if (errno == EAGAIN) break;
            return false;
        }
        c.pending.erase(0, std::size_t(w));
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.pending.empty() ? 0u : unsigned(EPOLLOUT));
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    return true;
}

bool on_readable(int ep, int fd, Connection& c) {
    char buf[16384];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) return false;
        if (r < 0) return errno == EAGAIN && flush(ep, fd, c);
        for (int i = count_requests(c, buf, std::size_t(r)); i > 0; --i) c.pending.append(response, response_size);
        if (std::size_t(r) < sizeof buf) return flush(ep, fd, c);
    }
}

void accept_all(int ep, int listener, std::unordered_map<int, Connection>& conns) {
    for (;;) {
        int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        conns[fd];
    }
}

}  // namespace

int main(int argc, char** argv) {
    int listener = bench_http::listen_loopback(bench_http::port_arg(argc, argv));
    bench_http::announce(bench_http::bound_port(listener));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    std::unordered_map<int, Connection> conns;
    epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(ep, listener, conns);
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            bool ok = (events[i].events & EPOLLOUT) ? flush(ep, fd, it->second) : true;
            if (ok && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) ok = on_readable(ep, fd, it->second);
            if (!ok) close_connection(ep, fd, conns);
        }
    }
}
