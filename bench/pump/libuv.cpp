// TCP pump on libuv (see support/tcp_workload.hpp): the server writes 8 KiB
// chunks with uv_try_write while the kernel takes them whole and falls back
// to uv_write (resuming from its callback) when it pushes back; the client
// reads with uv_read_start into a 64 KiB buffer.
#include <uv.h>

#include <string>

#include "support/tcp_workload.hpp"

namespace {

char read_buffer[65536];
std::string chunk(bench::pump_chunk, 'p');
std::uint64_t chunks_left;
uv_tcp_t peer;
uv_write_t write_req;

void pump();

void on_written(uv_write_t*, int status) {
    bench::check(status == 0, "uv_write");
    --chunks_left;
    pump();
}

void pump() {
    auto* stream = reinterpret_cast<uv_stream_t*>(&peer);
    while (chunks_left > 0) {
        uv_buf_t buf = uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size()));
        int sent = uv_try_write(stream, &buf, 1);
        if (sent == static_cast<int>(chunk.size())) {
            --chunks_left;
            continue;
        }
        if (sent < 0) sent = 0;
        uv_buf_t rest = uv_buf_init(chunk.data() + sent, static_cast<unsigned>(chunk.size()) - static_cast<unsigned>(sent));
        uv_write(&write_req, stream, &rest, 1, on_written);
        return;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&peer), nullptr);
}

void on_connection(uv_stream_t* listener, int status) {
    bench::check(status == 0, "connection");
    uv_tcp_init(listener->loop, &peer);
    bench::check(uv_accept(listener, reinterpret_cast<uv_stream_t*>(&peer)) == 0, "accept");
    uv_close(reinterpret_cast<uv_handle_t*>(listener), nullptr);
    pump();
}

std::uint64_t bytes_left;

void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
    bench::check(n >= 0, "read");
    bytes_left -= static_cast<std::uint64_t>(n);
    if (bytes_left > 0) return;
    // libuv goes on reading within this wake-up; the server's FIN may already
    // be there, and an EOF after the last byte is not a failure.
    uv_read_stop(stream);
    uv_stop(stream->loop);
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t chunks = bench::arg_or(argc, argv, 1, 500'000);

    bench::Listener listener;
    pid_t server = bench::fork_server(listener, [&](int fd) {
        chunks_left = chunks;
        uv_loop_t* loop = uv_default_loop();
        uv_tcp_t l;
        uv_tcp_init(loop, &l);
        bench::check(uv_tcp_open(&l, fd) == 0, "uv_tcp_open");
        bench::check(uv_listen(reinterpret_cast<uv_stream_t*>(&l), 1024, on_connection) == 0, "uv_listen");
        uv_run(loop, UV_RUN_DEFAULT);
    });

    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t client;
    uv_tcp_init(loop, &client);
    uv_tcp_open(&client, bench::connect_loopback(listener.port));
    bytes_left = chunks * bench::pump_chunk;
    bench::Stopwatch watch;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&client),
                  [](uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(read_buffer, sizeof read_buffer); },
                  on_read);
    uv_run(loop, UV_RUN_DEFAULT);
    double wall = watch.wall_ns(), cpu = watch.cpu_used_ns();
    uv_close(reinterpret_cast<uv_handle_t*>(&client), nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    double server_cpu = bench::reap_server(server);
    bench::report_pump("libuv", chunks, wall, cpu + server_cpu);
}
