// The HTTP benchmark server on cpp-httplib (header-only): GET /plaintext
// answering "Hello, World!" as text/plain, on 127.0.0.1. cpp-httplib's
// server is thread-per-connection: a keep-alive connection holds one thread
// of its pool for as long as it is open, so the pool is sized above the
// benchmark's 64 connections (with its default of 8 threads, 56 of them
// would wait). Keep-alive is unlimited in requests, as for the other servers.
// argv[1] port (0: a free one, printed as "PORT <n>"). Runs until killed.
#include <httplib.h>

#include "support/http_common.hpp"

int main(int argc, char** argv) {
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(72); };
    server.set_keep_alive_max_count(1u << 30);
    server.set_keep_alive_timeout(3600);
    server.set_tcp_nodelay(true);  // as every other server here; without it, c1 stalls on delayed ACKs
    server.Get("/plaintext", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(bench_http::body, "text/plain");
    });
    std::uint16_t port = bench_http::port_arg(argc, argv);
    int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
    if (bound <= 0) return 1;
    bench_http::announce(static_cast<std::uint16_t>(bound));
    server.listen_after_bind();
}
