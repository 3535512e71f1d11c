// The HTTP benchmark server on eddy (C++20), through the contract API only:
// an Application with one route, GET /plaintext -> "Hello, World!" as
// text/plain, on 127.0.0.1. argv[1] port (0: a free one, printed as
// "PORT <n>"); argv[2] "noetag" turns the default ETag off
// (ApplicationSettings::etag = false: bench/http-bench's eddy-noetag row,
// which shows what the ETag costs). Runs until killed (bench/http-bench
// sends SIGTERM).
#include <cstring>

#include <eddy/http.hpp>

#include "support/http_common.hpp"

int main(int argc, char** argv) {
    eddy::IOLoop loop;
    loop.make_current();
    eddy::Application app;
    if (argc > 2 && std::strcmp(argv[2], "noetag") == 0) app.settings().etag = false;
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
