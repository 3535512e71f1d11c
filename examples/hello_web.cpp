// Tornado's hello world, in eddy: one route, one handler, one loop.
//
//   hello_web [port]        then: curl http://127.0.0.1:8888/
//
// Prints the port it listens on (0 picks a free one) and stops cleanly on
// Ctrl-C (SIGINT) or SIGTERM.
//
// Build: g++ -std=c++20 -Iinclude examples/hello_web.cpp -pthread
#include <eddy/http.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8888);

  eddy::IOLoop loop;  // the first loop built becomes IOLoop::current(), where the server listens

  eddy::Application app;
  app.route("/", [](eddy::RequestHandler& handler) { handler.write("Hello, world"); });

  eddy::HTTPServer server(app);
  std::printf("listening on port %u\n", static_cast<unsigned>(server.listen(port, "127.0.0.1")));
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
