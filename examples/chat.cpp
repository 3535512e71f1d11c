// Tornado's chat demo, in eddy, real-time: a browser opens a WebSocket,
// /a/message/socket, and every new message is pushed down all of them at
// once. Without WebSocket (an old proxy, a script), it falls back to
// Tornado's long polling: a standing request, POST /a/message/updates,
// answered only when a message arrives. POST /a/message/new, or a message
// sent on a WebSocket, adds one. One thread holds thousands of either kind
// of connection, because a waiting handler is a suspended coroutine, not a
// blocked thread.
//
// A new message is framed once for all the WebSockets (a
// PreparedWebSocketMessage, written with websocket_broadcast), however many
// there are.
//
//   chat [port]        then open http://127.0.0.1:8888/ in two browsers
//
//   python3 -m websockets ws://127.0.0.1:8888/a/message/socket         (pushed)
//   curl -d 'cursor=0' http://127.0.0.1:8888/a/message/updates     (waits)
//   curl -d 'body=hi' http://127.0.0.1:8888/a/message/new          (wakes both)
//
// Prints the port it listens on (0 picks a free one) and stops cleanly on
// Ctrl-C (SIGINT) or SIGTERM.
//
// Build: g++ -std=c++20 -Iinclude examples/chat.cpp -pthread
#include <eddy/http.hpp>
#include <eddy/locks.hpp>
#include <eddy/websocket.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace {

const char* const page = R"HTML(<!DOCTYPE html>
<html><head><title>eddy chat</title></head><body>
<div id="inbox"></div>
<form id="f"><input id="m" autocomplete="off"><button>Post</button></form>
<script>
let cursor = 0, socket = null;
function show(messages) {
  for (const m of messages) {
    if (m.id <= cursor) continue;
    cursor = m.id;
    const p = document.createElement('p'); p.textContent = m.body; inbox.appendChild(p);
  }
}
async function poll() {  // the fallback: long polling
  for (;;) {
    const r = await fetch('/a/message/updates', {method: 'POST', body: new URLSearchParams({cursor})});
    show((await r.json()).messages);
  }
}
function connect() {
  const ws = new WebSocket(`ws://${location.host}/a/message/socket?cursor=${cursor}`);
  ws.onopen = () => { socket = ws; };
  ws.onmessage = e => show(JSON.parse(e.data).messages);
  ws.onclose = () => { if (socket) { socket = null; connect(); } else { poll(); } };  // never opened: poll
}
f.onsubmit = e => {
  e.preventDefault();
  if (socket) socket.send(m.value);
  else fetch('/a/message/new', {method: 'POST', body: new URLSearchParams({body: m.value})});
  m.value = '';
};
if (window.WebSocket) connect(); else poll();
</script></body></html>
)HTML";

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The room: the last 200 messages, a Condition every waiting poll sleeps on,
// and the open WebSockets, to which each new message is pushed.
struct MessageBuffer {
  struct Message {
    long id;
    std::string body;
  };
  std::deque<Message> cache;
  long next_id = 1;
  eddy::Condition arrived;
  std::vector<eddy::WebSocket> sockets;

  void add(std::string body) {
    cache.push_back(Message{next_id++, std::move(body)});
    if (cache.size() > 200) cache.pop_front();
    arrived.notify_all();
    // Framed once, written to every socket (a slow reader past
    // max_write_buffer_size is closed, not waited for).
    eddy::PreparedWebSocketMessage news(since(cache.back().id - 1));
    eddy::websocket_broadcast(sockets, news);
  }
  // The messages after `cursor`, as {"messages": [...]}, or "" if none.
  std::string since(long cursor) const {
    std::string items;
    for (const Message& m : cache) {
      if (m.id <= cursor) continue;
      if (!items.empty()) items += ',';
      items += "{\"id\":" + std::to_string(m.id) + ",\"body\":" + json_string(m.body) + "}";
    }
    return items.empty() ? "" : "{\"messages\":[" + items + "]}";
  }
};

}  // namespace

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8888);
  eddy::IOLoop loop;  // the first loop built becomes IOLoop::current(), where the server listens
  MessageBuffer room;

  eddy::Application app;
  app.route("/", {"GET"}, [](eddy::RequestHandler& h) { h.write(page); });
  app.route("/a/message/new", {"POST"}, [&room](eddy::RequestHandler& h) {
    room.add(h.get_argument("body"));
    h.set_header("Content-Type", "application/json");
    h.write("{}");
  });
  // The standing request: answered at once if the client missed messages,
  // else when the next one arrives. A client that leaves is simply answered
  // into the void: its writes are no-ops.
  app.route("/a/message/updates", {"POST"}, [&room](eddy::RequestHandler& h) -> eddy::Future<void> {
    long cursor = std::stol(h.get_argument("cursor", "0"));
    std::string news = room.since(cursor);
    while (news.empty()) {
      co_await room.arrived.wait();
      news = room.since(cursor);
    }
    h.set_header("Content-Type", "application/json");
    h.write(news);
  });

  // The real-time path: the backlog after the client's cursor, then every new
  // message pushed as it arrives; what the client sends is posted.
  app.websocket("/a/message/socket", [&room](eddy::WebSocket ws) -> eddy::Future<void> {
    eddy::HTTPArguments args = eddy::parse_query(ws.request()->query);
    const std::vector<std::string>* cursor = args.find("cursor");
    std::string backlog = room.since(cursor != nullptr ? std::strtol(cursor->back().c_str(), nullptr, 10) : 0);
    if (!backlog.empty()) {
      eddy::Future<void> sent = ws.write_message(backlog);
      try {
        co_await sent;
      } catch (const eddy::StreamClosedError&) {
        co_return;  // the client left already
      }
    }
    room.sockets.push_back(ws);
    for (;;) {
      std::optional<eddy::WebSocketMessage> message = co_await ws.read_message();
      if (!message) break;
      room.add(std::move(message->data));
    }
    std::erase(room.sockets, ws);
  });

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
