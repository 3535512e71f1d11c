// TCP ping-pong on libuv (see support/tcp_workload.hpp), in libuv's idiom:
// uv_read_start with a 64 KiB buffer from the allocation callback, and
// uv_try_write for the echo (uv_write, with a copy, only if the kernel is
// full). Each client keeps one 5-byte message in flight.
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "support/tcp_workload.hpp"

namespace {

char read_buffer[65536];

void alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(read_buffer, sizeof read_buffer); }

struct PendingWrite {
    uv_write_t req;
    char data[1];
};

// Writes now if the kernel takes it all; otherwise queues a copy of the rest.
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

// ---- server ----
std::size_t server_conns, accepted, open_conns;

void on_server_close(uv_handle_t* h) {
    delete reinterpret_cast<uv_tcp_t*>(h);
    if (--open_conns == 0 && accepted == server_conns) uv_stop(uv_default_loop());
}

void on_server_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    if (n > 0) return write_all(stream, buf->base, static_cast<std::size_t>(n));
    if (n < 0) uv_close(reinterpret_cast<uv_handle_t*>(stream), on_server_close);
}

void on_connection(uv_stream_t* listener, int status) {
    bench::check(status == 0, "connection");
    auto* client = new uv_tcp_t;
    uv_tcp_init(listener->loop, client);
    bench::check(uv_accept(listener, reinterpret_cast<uv_stream_t*>(client)) == 0, "accept");
    uv_tcp_nodelay(client, 1);
    ++accepted;
    ++open_conns;
    uv_read_start(reinterpret_cast<uv_stream_t*>(client), alloc, on_server_read);
}

void serve(int listen_fd, std::size_t conns) {
    server_conns = conns;
    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t listener;
    uv_tcp_init(loop, &listener);
    bench::check(uv_tcp_open(&listener, listen_fd) == 0, "uv_tcp_open");
    bench::check(uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 1024, on_connection) == 0, "uv_listen");
    uv_run(loop, UV_RUN_DEFAULT);
}

// ---- client ----
struct Client {
    uv_tcp_t handle;
    std::uint64_t left;
    std::size_t have;
};
std::size_t active;

void send_ping(Client& c) { write_all(reinterpret_cast<uv_stream_t*>(&c.handle), "hello", bench::pingpong_message); }

void on_client_read(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
    bench::check(n >= 0, "client read");
    auto& c = *static_cast<Client*>(stream->data);
    c.have += static_cast<std::size_t>(n);
    if (c.have < bench::pingpong_message) return;
    c.have -= bench::pingpong_message;
    if (--c.left > 0) return send_ping(c);
    uv_read_stop(stream);
    if (--active == 0) uv_stop(stream->loop);
}

}  // namespace

int main(int argc, char** argv) {
    bench::PingpongParams params = bench::pingpong_params(argc, argv);
    std::size_t conns = params.conns;
    std::uint64_t per_conn = params.per_conn;

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) { serve(fd, conns); });

    uv_loop_t* loop = uv_default_loop();
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t i = 0; i < conns; ++i) {
        int fd = bench::connect_pingpong_client(listener.port);
        clients.push_back(std::make_unique<Client>());
        Client& c = *clients.back();
        c.left = per_conn;
        c.have = 0;
        uv_tcp_init(loop, &c.handle);
        uv_tcp_open(&c.handle, fd);
        c.handle.data = &c;
    }
    active = conns;
    bench::Stopwatch watch;
    for (auto& c : clients) {
        uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), alloc, on_client_read);
        send_ping(*c);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    for (auto& c : clients) uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    double server_cpu = bench::reap_server(server);
    bench::report_pingpong("libuv", conns, params.trips(), wall, cpu + server_cpu);
}
