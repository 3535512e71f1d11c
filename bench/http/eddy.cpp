// The HTTP benchmark server on eddy (C++20), through the contract API only:
// an Application with one route, GET /plaintext -> "Hello, World!" as
// text/plain, on 127.0.0.1. argv[1] port (0: a free one, printed as
// "PORT <n>"). Runs until killed (bench/http-bench sends SIGTERM).
#include <eddy/http.hpp>

#include "support/http_common.hpp"

int main(int argc, char** argv) {
    eddy::IOLoop loop;
    loop.make_current();
    eddy::Application app;
    app.route("/plaintext", [](eddy::RequestHandler& h) {
        h.set_header("Content-Type", "text/plain");
        h.write(bench_http::body);
    });
    eddy::HTTPServer server(app);
    std::uint16_t port = server.listen(bench_http::port_arg(argc, argv), "127.0.0.1");
    bench_http::announce(port);
    loop.add_signal_handler(SIGTERM, [&loop](int) { loop.stop(); });
    loop.start();
}
