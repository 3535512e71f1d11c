// The UDP echo workload on libuv (see udp_workload.hpp), in libuv's idiom:
// uv_udp_recv_start with a 64 KiB buffer from the allocation callback,
// uv_udp_try_send for the replies (uv_udp_send, with a copy, only if the
// kernel refuses for now); each client flow is a uv_udp_connect'ed handle.
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "udp/udp_workload.hpp"

namespace {

char read_buffer[65536];

void alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(read_buffer, sizeof read_buffer); }

struct PendingSend {
    uv_udp_send_t req;
    char data[1];
};

void send_datagram(uv_udp_t* handle, const char* data, std::size_t n, const sockaddr* to) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(n));
    int sent = uv_udp_try_send(handle, &buf, 1, to);
    if (sent >= 0) return;
    auto* s = static_cast<PendingSend*>(std::malloc(sizeof(PendingSend) + n));
    std::memcpy(s->data, data, n);
    uv_buf_t copy = uv_buf_init(s->data, static_cast<unsigned>(n));
    uv_udp_send(&s->req, handle, &copy, 1, to, [](uv_udp_send_t* req, int) { std::free(req); });
}

// ---- server ----
void on_server_recv(uv_udp_t* handle, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
    if (n < 0) return uv_stop(uv_default_loop());
    if (from == nullptr) return;  // nothing more for now
    if (std::size_t(n) == sizeof bench::udp_stop - 1 && std::memcmp(buf->base, bench::udp_stop, std::size_t(n)) == 0) {
        return uv_stop(uv_default_loop());
    }
    send_datagram(handle, buf->base, std::size_t(n), from);
}

void serve(int port_fd) {
    uv_udp_t server;
    uv_udp_init(uv_default_loop(), &server);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    bench::udp_check(uv_udp_bind(&server, reinterpret_cast<sockaddr*>(&addr), 0) == 0, "uv_udp_bind");
    sockaddr_in bound{};
    int len = sizeof bound;
    uv_udp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
    bench::tell_port(port_fd, ntohs(bound.sin_port));
    uv_udp_recv_start(&server, alloc, on_server_recv);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

// ---- client ----
std::string message(bench::udp_message, 'x');
std::size_t running;

struct Flow {
    uv_udp_t handle;
    std::uint64_t left;    // echoes still to come
    std::uint64_t unsent;  // datagrams still to send
};

void on_client_recv(uv_udp_t* handle, ssize_t n, const uv_buf_t*, const sockaddr* from, unsigned) {
    if (n < 0) return uv_stop(uv_default_loop());
    if (from == nullptr && n == 0) return;
    auto* flow = reinterpret_cast<Flow*>(handle);
    if (--flow->left > 0) {
        if (flow->unsent == 0) return;
        --flow->unsent;
        return send_datagram(handle, message.data(), message.size(), nullptr);
    }
    uv_udp_recv_stop(handle);
    if (--running == 0) uv_stop(uv_default_loop());
}

}  // namespace

int main(int argc, char** argv) {
    bench::UdpParams p = bench::udp_params(argc, argv);
    std::uint16_t port = 0;
    pid_t server = bench::fork_udp_server(serve, port);
    running = p.flows;
    std::vector<std::unique_ptr<Flow>> flows;
    sockaddr_in to{};
    uv_ip4_addr("127.0.0.1", port, &to);
    for (std::size_t i = 0; i < p.flows; ++i) {
        auto flow = std::make_unique<Flow>();
        flow->left = bench::trips_per_flow(p);
        flow->unsent = flow->left;
        uv_udp_init(uv_default_loop(), &flow->handle);
        bench::udp_check(uv_udp_connect(&flow->handle, reinterpret_cast<sockaddr*>(&to)) == 0, "uv_udp_connect");
        flows.push_back(std::move(flow));
    }
    bench::Stopwatch watch;
    for (auto& flow : flows) {
        uv_udp_recv_start(&flow->handle, alloc, on_client_recv);
        for (std::uint64_t i = 0; i < p.window && flow->unsent > 0; ++i, --flow->unsent) {
            send_datagram(&flow->handle, message.data(), message.size(), nullptr);
        }
    }
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    double server_cpu = bench::stop_udp_server(server, port);
    bench::report_udp("libuv", p, watch, server_cpu);
}
