// eddy's WebSocket server for bench/websocket/run: echoes every message; a
// text message "broadcast" makes it send one 100-byte message to every
// connection (framed once: PreparedWebSocketMessage). Prints "port N".
//
//   websocket_eddy [--style class|coro] [--deflate]
//
// --style class (the default): a WebSocketHandler, on_message writes the
// echo (no future awaited, none allocated when the kernel takes the frame).
// --style coro: one coroutine per connection, read_message / write_message
// awaited in turn (Tornado 6's idiom).
#include <eddy/websocket.hpp>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

const std::string payload100(100, 'B');

// Every open connection, for the broadcast.
std::vector<eddy::WebSocket> everyone;

void forget(const eddy::WebSocket& ws) {
  for (std::size_t i = 0; i < everyone.size(); ++i) {
    if (everyone[i] == ws) {
      everyone[i] = std::move(everyone.back());
      everyone.pop_back();
      return;
    }
  }
}

void broadcast() {
  eddy::PreparedWebSocketMessage message(payload100);
  eddy::websocket_broadcast(everyone, message);
}

struct Echo : eddy::WebSocketHandler {
  void open() override { everyone.push_back(connection()); }
  void on_message(const eddy::WebSocketMessage& m) override {
    if (!m.binary && m.data == "broadcast") return broadcast();
    eddy::Future<void> written = write_message(m.data, m.binary);
    if (written.done()) (void)written.exception();
  }
  void on_close() override { forget(connection()); }
};

eddy::Future<void> echo(eddy::WebSocket ws) {
  everyone.push_back(ws);
  for (;;) {
    std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
    if (!m) break;
    if (!m->binary && m->data == "broadcast") {
      broadcast();
      continue;
    }
    eddy::Future<void> written = ws.write_message(m->data, m->binary);
    co_await written;
  }
  forget(ws);
}

}  // namespace

int main(int argc, char** argv) {
  bool coro = false;
  eddy::WebSocketOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--deflate") == 0) options.compression = true;
    if (std::strcmp(argv[i], "coro") == 0) coro = true;
  }
  eddy::IOLoop loop;
  loop.make_current();
  eddy::Application app;
  if (coro) {
    app.websocket("/", echo, options);
  } else {
    app.websocket<Echo>("/", options);
  }
  eddy::HTTPServer server(app);
  std::printf("port %u\n", static_cast<unsigned>(server.listen(0, "127.0.0.1")));
  std::fflush(stdout);
  // SIGUSR1: the heap in use, for the idle-memory workload.
  loop.add_signal_handler(SIGUSR1, [](int) {
    struct mallinfo2 mi = mallinfo2();
    std::printf("heap %zu\n", mi.uordblks);
    std::fflush(stdout);
  });
  auto stop = [&](int) { loop.stop(); };
  loop.add_signal_handler(SIGTERM, stop);
  loop.add_signal_handler(SIGINT, stop);
  loop.start();
  // Connections closed with the loop: the class handlers' handles first.
  loop.remove_signal_handler(SIGTERM);
  loop.remove_signal_handler(SIGINT);
  loop.remove_signal_handler(SIGUSR1);
  everyone.clear();
}
