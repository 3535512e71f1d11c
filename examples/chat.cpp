// Tornado's long-polling chat demo, in eddy. Every browser holds a standing
// request, POST /a/message/updates, that is answered only when a message
// arrives; POST /a/message/new adds one and answers everybody waiting. One
// thread holds thousands of such requests, because a waiting handler is a
// suspended coroutine, not a blocked thread.
//
//   chat [port]        then open http://127.0.0.1:8888/ in two browsers
//
//   curl -d 'cursor=0' http://127.0.0.1:8888/a/message/updates     (waits)
//   curl -d 'body=hi' http://127.0.0.1:8888/a/message/new          (wakes it)
//
// Prints the port it listens on (0 picks a free one) and stops cleanly on
// Ctrl-C (SIGINT) or SIGTERM.
//
// Build: g++ -std=c++20 -Iinclude examples/chat.cpp -pthread
#include <eddy/http.hpp>
#include <eddy/locks.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace {

const char* const page = R"HTML(<!DOCTYPE html>
<html><head><title>eddy chat</title></head><body>
<div id="inbox"></div>
<form id="f"><input id="m" autocomplete="off"><button>Post</button></form>
<script>
let cursor = 0;
async function poll() {
  for (;;) {
    const r = await fetch('/a/message/updates', {method: 'POST', body: new URLSearchParams({cursor})});
    for (const m of (await r.json()).messages) {
      cursor = m.id;
      const p = document.createElement('p'); p.textContent = m.body; inbox.appendChild(p);
    }
  }
}
f.onsubmit = e => { e.preventDefault(); fetch('/a/message/new', {method: 'POST', body: new URLSearchParams({body: m.value})}); m.value = ''; };
poll();
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

// The room: the last 200 messages, and a Condition every waiting poll sleeps on.
struct MessageBuffer {
  struct Message {
    long id;
    std::string body;
  };
  std::deque<Message> cache;
  long next_id = 1;
  eddy::Condition arrived;

  void add(std::string body) {
    cache.push_back(Message{next_id++, std::move(body)});
    if (cache.size() > 200) cache.pop_front();
    arrived.notify_all();
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
