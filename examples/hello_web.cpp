// Tornado's hello world, in eddy: one route, one handler, one loop.
//
//   hello_web [port]                     then: curl http://127.0.0.1:8888/
//   hello_web [port] --tls CERT KEY      HTTPS: curl --cacert ca.pem https://localhost:8888/
//
// Prints the port it listens on (0 picks a free one) and stops cleanly on
// Ctrl-C (SIGINT) or SIGTERM. With --tls (a PEM certificate chain and its
// key) it serves HTTPS: HTTPServerOptions::ssl is all it takes.
//
// Build: g++ -std=c++20 -Iinclude examples/hello_web.cpp -pthread
// with --tls: add -DEDDY_EXAMPLE_TLS=1 -lssl -lcrypto (CMake does when it finds OpenSSL)
#include <eddy/http.hpp>
#if defined(EDDY_EXAMPLE_TLS)
#include <eddy/ssl.hpp>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8888);
  eddy::HTTPServerOptions options;
  bool tls = argc > 4 && std::strcmp(argv[2], "--tls") == 0;
  if (tls) {
#if defined(EDDY_EXAMPLE_TLS)
    options.ssl = eddy::SSLContext::server(argv[3], argv[4]);
#else
    std::fprintf(stderr, "hello_web: built without TLS (OpenSSL)\n");
    return 2;
#endif
  }

  eddy::IOLoop loop;  // the first loop built becomes IOLoop::current(), where the server listens

  eddy::Application app;
  app.route("/", [](eddy::RequestHandler& handler) { handler.write("Hello, world"); });

  eddy::HTTPServer server(app, options);
  std::printf("listening on port %u%s\n", static_cast<unsigned>(server.listen(port, "127.0.0.1")), tls ? " (https)" : "");
  std::fflush(stdout);

  auto stop = [&](int) {
    server.stop();
    loop.stop();
  };
  loop.add_signal_handler(SIGINT, stop);
  loop.add_signal_handler(SIGTERM, stop);
  loop.start();
  loop.remove_signal_handler(SIGINT);
  loop.remove_signal_handler(SIGTERM);
  std::puts("stopped");
}
