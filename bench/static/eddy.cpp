// The static-file benchmark server on eddy (C++20), through the contract API
// only: Application::static_files("/", argv[2]) on 127.0.0.1. argv[1] port
// (0: a free one, printed as "PORT <n>"). Runs until killed (bench/static-bench
// sends SIGTERM).
#include <eddy/http.hpp>

#include "support/http_common.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: eddy_static PORT DIRECTORY\n");
        return 2;
    }
    eddy::IOLoop loop;
    loop.make_current();
    eddy::Application app;
    app.static_files("/", argv[2]);
    eddy::HTTPServer server(app);
    std::uint16_t port = server.listen(bench_http::port_arg(argc, argv), "127.0.0.1");
    bench_http::announce(port);
    loop.add_signal_handler(SIGTERM, [&loop](int) { loop.stop(); });
    loop.start();
}
