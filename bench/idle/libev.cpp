// The idle-connection memory workload on libev (see support/idle_client.hpp),
// in libev's idiom (it has no streams): an ev_io per connection, reads into
// one static 64 KiB buffer, the part of a line not yet ended and any unsent
// echo kept in per-connection strings, EV_WRITE only while output waits.
#include <ev.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/idle_client.hpp"

namespace {

char read_buffer[65536];
int control_reply = -1;

struct Connection {
    ev_io watcher;
    std::string partial;  // a line not yet ended
    std::string unsent;   // echo the kernel did not take yet
};

void close_connection(struct ev_loop* loop, Connection* c) {
    ev_io_stop(loop, &c->watcher);
    ::close(c->watcher.fd);
    delete c;
}

// Sends what it can now; keeps the rest for EV_WRITE.
bool send_line(struct ev_loop* loop, Connection* c, const char* data, std::size_t n) {
    if (c->unsent.empty()) {
        ssize_t sent = ::send(c->watcher.fd, data, n, MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) return false;
        if (sent < 0) sent = 0;
        data += sent;
        n -= static_cast<std::size_t>(sent);
        if (n == 0) return true;
        ev_io_stop(loop, &c->watcher);
        ev_io_set(&c->watcher, c->watcher.fd, EV_READ | EV_WRITE);
        ev_io_start(loop, &c->watcher);
    }
    c->unsent.append(data, n);
    return true;
}

void on_io(struct ev_loop* loop, ev_io* w, int events) {
    auto* c = reinterpret_cast<Connection*>(w);
    if ((events & EV_WRITE) != 0 && !c->unsent.empty()) {
        ssize_t sent = ::send(w->fd, c->unsent.data(), c->unsent.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) return close_connection(loop, c);
        if (sent > 0) c->unsent.erase(0, static_cast<std::size_t>(sent));
        if (c->unsent.empty()) {
            std::string().swap(c->unsent);
            ev_io_stop(loop, w);
            ev_io_set(w, w->fd, EV_READ);
            ev_io_start(loop, w);
        }
    }
    if ((events & EV_READ) == 0) return;
    ssize_t n = ::recv(w->fd, read_buffer, sizeof read_buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return close_connection(loop, c);
    if (n < 0) return;
    const char* data = read_buffer;
    const char* end = data + n;
    while (data < end) {
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', static_cast<std::size_t>(end - data)));
        if (nl == nullptr) {
            c->partial.append(data, end);
            if (c->partial.size() > bench::idle::max_line) close_connection(loop, c);
            return;
        }
        bool ok;
        if (c->partial.empty()) {
            ok = send_line(loop, c, data, static_cast<std::size_t>(nl + 1 - data));
        } else {
            c->partial.append(data, nl + 1);
            ok = send_line(loop, c, c->partial.data(), c->partial.size());
            std::string().swap(c->partial);
        }
        if (!ok) return close_connection(loop, c);
        data = nl + 1;
    }
}

void on_accept(struct ev_loop* loop, ev_io* w, int) {
    for (int i = 0; i < 128; ++i) {
        int fd = ::accept4(w->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        auto* c = new Connection;
        ev_io_init(&c->watcher, on_io, fd, EV_READ);
        ev_io_start(loop, &c->watcher);
    }
}

void serve(int listener, int control, int reply) {
    bench::idle::raise_nofile();
    struct ev_loop* loop = ev_default_loop(EVBACKEND_EPOLL);
    ::fcntl(listener, F_SETFL, O_NONBLOCK);
    ev_io accept_watcher;
    ev_io_init(&accept_watcher, on_accept, listener, EV_READ);
    ev_io_start(loop, &accept_watcher);
    control_reply = reply;
    ev_io control_watcher;
    ev_io_init(&control_watcher, [](struct ev_loop* l, ev_io* w, int) {
        if (!bench::idle::answer_control(w->fd, control_reply)) ev_break(l, EVBREAK_ALL);
    }, control, EV_READ);
    ev_io_start(loop, &control_watcher);
    ev_run(loop, 0);
}

}  // namespace

int main(int argc, char** argv) { return bench::idle::run("libev", argc, argv, serve); }
