// The TLS benchmark server on eddy: the plaintext benchmark server
// (bench/eddy_http.cpp: GET /plaintext -> "Hello, World!") with
// HTTPServerOptions::ssl set, through the contract API only.
//
//   tls_server_eddy PORT CERT KEY      (PORT 0: a free one, printed as "PORT <n>")
//
// Runs until SIGTERM. bench/tls/run starts it pinned to CPU 0.
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <csignal>

#include "../support/http_common.hpp"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s PORT CERT KEY\n", argv[0]);
        return 2;
    }
    eddy::IOLoop loop;
    loop.make_current();
    eddy::Application app;
    app.route("/plaintext", [](eddy::RequestHandler& h) {
        h.set_header("Content-Type", "text/plain");
        h.write(bench_http::body);
    });
    eddy::HTTPServerOptions options;
    options.ssl = eddy::SSLContext::server(argv[2], argv[3]);
    eddy::HTTPServer server(app, options);
    std::uint16_t port = server.listen(bench_http::port_arg(argc, argv), "127.0.0.1");
    bench_http::announce(port);
    loop.add_signal_handler(SIGTERM, [&loop](int) { loop.stop(); });
    loop.start();
}
