// Connects to an echo server, sends each line of stdin, prints each echo.
// Reading stdin blocks, so it runs on the executor (run_in_executor); the
// loop stays free for the socket meanwhile.
//
//   echo_client port [host]           host defaults to 127.0.0.1
//
// Build: g++ -std=c++20 -Iinclude examples/echo_client.cpp -pthread
#include <eddy/eddy.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

// One line of stdin, or nothing at end of input. Runs on a worker thread.
std::optional<std::string> read_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}

eddy::Future<void> run(std::string host, std::uint16_t port) {
  eddy::IOStream stream = co_await eddy::TCPClient().connect(host, port);
  eddy::IOLoop& loop = eddy::IOLoop::current();
  for (;;) {
    std::optional<std::string> line = co_await loop.run_in_executor(read_line);
    if (!line) break;
    co_await stream.write(*line + "\n");
    std::string echo = co_await stream.read_until("\n");
    std::fputs(echo.c_str(), stdout);
    std::fflush(stdout);
  }
  stream.close();
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: echo_client port [host]\n");
    return 2;
  }
  auto port = static_cast<std::uint16_t>(std::strtoul(argv[1], nullptr, 10));
  std::string host = argc > 2 ? argv[2] : "127.0.0.1";
  eddy::IOLoop loop;
  try {
    loop.run_sync([&] { return run(host, port); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
  }
}
