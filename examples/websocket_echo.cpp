// A WebSocket echo server: every message comes back as it was sent, text or
// binary. One coroutine per connection reads a message and writes it back;
// awaiting the write is the back-pressure (a client that stops reading
// stops its own echo, not the server).
//
//   websocket_echo [port] [--deflate]      then, with Python's websockets:
//   python3 -m websockets ws://127.0.0.1:8888/echo
//
// GET / serves a page that echoes through the browser's WebSocket. With
// --deflate, messages are compressed (permessage-deflate) when the client
// offers it. Prints the port it listens on (0 picks a free one), one line
// per connection that ends, and stops cleanly on SIGINT or SIGTERM.
//
// Build: g++ -std=c++20 -Iinclude examples/websocket_echo.cpp -pthread
#include <eddy/websocket.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace {

const char* const page = R"HTML(<!DOCTYPE html>
<html><head><title>eddy echo</title></head><body>
<form id="f"><input id="m" autocomplete="off"><button>Send</button></form><pre id="log"></pre>
<script>
const ws = new WebSocket(`ws://${location.host}/echo`);
ws.onmessage = e => { log.textContent += `echo: ${e.data}\n`; };
f.onsubmit = e => { e.preventDefault(); ws.send(m.value); m.value = ''; };
</script></body></html>
)HTML";

eddy::Future<void> echo(eddy::WebSocket ws) {
  int count = 0;
  for (;;) {
    std::optional<eddy::WebSocketMessage> message = co_await ws.read_message();
    if (!message) break;  // the client closed (or left)
    eddy::Future<void> written = ws.write_message(message->data, message->binary);
    co_await written;
    ++count;
  }
  std::printf("connection closed after %d messages (code %d)\n", count, ws.close_code().value_or(1006));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 8888;
  eddy::WebSocketOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--deflate") == 0) {
      options.compression = true;
    } else if (argv[i][0] != '-') {
      port = static_cast<std::uint16_t>(std::strtoul(argv[i], nullptr, 10));
    }
  }
  eddy::IOLoop loop;
  loop.make_current();

  eddy::Application app;
  app.route("/", {"GET"}, [](eddy::RequestHandler& h) { h.write(page); });
  app.websocket("/echo", echo, options);
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
