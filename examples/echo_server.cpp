// A line-echo server: one coroutine per connection, thousands of them on one
// thread, because no read or write ever blocks the loop. Prints the port it
// listens on (0, the default, picks a free one) and stops cleanly on Ctrl-C
// (SIGINT) or SIGTERM.
//
//   echo_server [port] [address]      address defaults to 127.0.0.1
//
// Build: g++ -std=c++20 -Iinclude examples/echo_server.cpp -pthread
#include <eddy/eddy.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

// Echoes each line back until the client goes away. A line longer than 64 KiB
// fails the read and closes the connection: memory stays bounded.
eddy::Future<void> echo(eddy::IOStream stream, std::string address) {
  std::printf("%s connected\n", address.c_str());
  try {
    for (;;) {
      std::string line = co_await stream.read_until("\n", 64 * 1024);
      co_await stream.write(line);
    }
  } catch (const eddy::StreamClosedError& e) {
    std::printf("%s gone (%s)\n", address.c_str(), e.what());
  }
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 0);
  std::string address = argc > 2 ? argv[2] : "127.0.0.1";

  eddy::IOLoop loop;  // the first loop built becomes IOLoop::current(): listen() and the streams use it
  eddy::TCPServer server(echo);
  std::uint16_t bound = server.listen(port, address);
  std::printf("listening on port %u\n", static_cast<unsigned>(bound));
  std::fflush(stdout);

  auto stop = [&](int signum) {
    std::printf("%s: stopping\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();  // no new connections
    loop.stop();
  };
  loop.add_signal_handler(SIGINT, stop);
  loop.add_signal_handler(SIGTERM, stop);
  loop.start();
  loop.remove_signal_handler(SIGINT);
  loop.remove_signal_handler(SIGTERM);
  std::puts("stopped");
}
