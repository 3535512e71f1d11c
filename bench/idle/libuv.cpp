// The idle-connection memory workload on libuv (see support/idle_client.hpp),
// in libuv's idiom for many connections: the allocation callback hands out
// one static 64 KiB buffer (libuv lets the application allocate per read),
// each connection keeps its uv_tcp_t and the part of a line not yet ended,
// and echoes go out with uv_try_write (uv_write with a copy if the kernel is
// full).
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "support/idle_client.hpp"

namespace {

char read_buffer[65536];
int control_reply = -1;

struct Connection {
    uv_tcp_t handle;
    std::string partial;  // a line not yet ended
};

struct PendingWrite {
    uv_write_t req;
    char data[1];
};

void alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(read_buffer, sizeof read_buffer); }

void write_all(uv_stream_t* stream, const char* data, std::size_t n) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(n));
    int sent = uv_try_write(stream, &buf, 1);
    if (sent == static_cast<int>(n)) return;
    if (sent < 0) sent = 0;
    std::size_t rest = n - static_cast<std::size_t>(sent);
    auto* w = static_cast<PendingWrite*>(std::malloc(sizeof(PendingWrite) + rest));
    std::memcpy(w->data, data + sent, rest);
    uv_buf_t copy = uv_buf_init(w->data, static_cast<unsigned>(rest));
    uv_write(&w->req, stream, &copy, 1, [](uv_write_t* req, int) { std::free(req); });
}

void on_close(uv_handle_t* h) { delete reinterpret_cast<Connection*>(h); }

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    auto* c = reinterpret_cast<Connection*>(stream);
    if (n < 0) return uv_close(reinterpret_cast<uv_handle_t*>(stream), on_close);
    const char* data = buf->base;
    const char* end = data + n;
    while (data < end) {
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', static_cast<std::size_t>(end - data)));
        if (nl == nullptr) {
            c->partial.append(data, end);
            if (c->partial.size() > bench::idle::max_line) uv_close(reinterpret_cast<uv_handle_t*>(stream), on_close);
            return;
        }
        if (c->partial.empty()) {
            write_all(stream, data, static_cast<std::size_t>(nl + 1 - data));
        } else {
            c->partial.append(data, nl + 1);
            write_all(stream, c->partial.data(), c->partial.size());
            std::string().swap(c->partial);
        }
        data = nl + 1;
    }
}

void on_connection(uv_stream_t* listener, int status) {
    if (status != 0) return;
    auto* c = new Connection;
    uv_tcp_init(listener->loop, &c->handle);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
        return;
    }
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), alloc, on_read);
}

void serve(int listener, int control, int reply) {
    bench::idle::raise_nofile();
    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    uv_tcp_open(&server, listener);
    uv_listen(reinterpret_cast<uv_stream_t*>(&server), 4096, on_connection);
    control_reply = reply;
    uv_poll_t poll;
    uv_poll_init(loop, &poll, control);
    uv_poll_start(&poll, UV_READABLE, [](uv_poll_t* p, int, int) {
        if (!bench::idle::answer_control(p->io_watcher.fd, control_reply)) uv_stop(p->loop);
    });
    uv_run(loop, UV_RUN_DEFAULT);
}

}  // namespace

int main(int argc, char** argv) { return bench::idle::run("libuv", argc, argv, serve); }
