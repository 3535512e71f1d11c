// Tornado's long-polling chat (examples/chat.cpp) with Redis behind it, so
// that any number of server processes share one chat room. A new message
// gets its id from INCR, goes into the list chat:log (the last 200) and is
// published on the channel "chat"; every process subscribes to that channel
// and wakes the browsers waiting on it. A process that starts later reads
// the room's history from chat:log.
//
//   redis_chat [port] [redis-url]      defaults: 8888, redis://127.0.0.1:6379
//   redis_chat 8001 & redis_chat 8002 &    then post on one, read on the other:
//
//   curl -d 'cursor=0' http://127.0.0.1:8002/a/message/updates     (waits)
//   curl -d 'body=hi' http://127.0.0.1:8001/a/message/new          (wakes it)
//
// Two connections per process: one subscribed (a RESP2 subscriber takes no
// other command), one for commands. Prints the port it listens on (0 picks
// a free one) and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
//
// Build: g++ -std=c++20 -Iinclude examples/redis_chat.cpp -pthread
#include <eddy/http.hpp>
#include <eddy/locks.hpp>
#include <eddy/redis.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace {

const char* const page = R"HTML(<!DOCTYPE html>
<html><head><title>eddy chat (Redis)</title></head><body>
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

// This process's view of the room: the last 200 messages by id (from the
// history and the channel, in whatever order they come), and a Condition
// every waiting poll sleeps on.
struct Room {
  std::map<long, std::string> messages;
  eddy::Condition arrived;

  // "<id>:<body>", as chat:log and the channel carry a message.
  void add(std::string_view entry) {
    std::size_t colon = entry.find(':');
    if (colon == std::string_view::npos) return;
    long id = std::strtol(std::string(entry.substr(0, colon)).c_str(), nullptr, 10);
    if (!messages.emplace(id, std::string(entry.substr(colon + 1))).second) return;
    if (messages.size() > 200) messages.erase(messages.begin());
    arrived.notify_all();
  }
  // The messages after `cursor`, as {"messages": [...]}, or "" if none.
  std::string since(long cursor) const {
    std::string items;
    for (auto it = messages.upper_bound(cursor); it != messages.end(); ++it) {
      if (!items.empty()) items += ',';
      items += "{\"id\":" + std::to_string(it->first) + ",\"body\":" + json_string(it->second) + "}";
    }
    return items.empty() ? "" : "{\"messages\":[" + items + "]}";
  }
};

// Subscribes, then reads the history (so nothing falls between the two),
// then hands every published message to the room until the connection closes.
eddy::Future<void> follow(eddy::redis::Client subscriber, eddy::redis::Client commands, Room& room) {
  eddy::Future<void> subscribed = subscriber.subscribe("chat");
  co_await subscribed;
  eddy::Future<eddy::redis::Reply> history = commands.command("LRANGE", "chat:log", -200, -1);
  eddy::redis::Reply entries = co_await history;
  for (const eddy::redis::Reply& entry : entries.elements()) room.add(entry.as_string());
  for (;;) {
    eddy::Future<eddy::redis::Message> next = subscriber.next_message();
    eddy::redis::Message message = co_await next;
    room.add(message.payload);
  }
}

// INCR for a room-wide id, then the log and the channel in one pipeline.
eddy::Future<void> post(eddy::redis::Client commands, std::string body) {
  eddy::Future<eddy::redis::Reply> next_id = commands.command("INCR", "chat:id");
  eddy::redis::Reply id = co_await next_id;
  std::string entry = std::to_string(id.as_integer()) + ":" + body;
  eddy::Future<std::vector<eddy::redis::Reply>> stored = commands.pipeline(
      {{"RPUSH", "chat:log", entry}, {"LTRIM", "chat:log", "-200", "-1"}, {"PUBLISH", "chat", entry}});
  co_await stored;
}

eddy::Future<void> serve(std::uint16_t port, std::string url, eddy::HTTPServer*& server_out) {
  eddy::Future<eddy::redis::Client> connecting = eddy::redis::Client::connect(url);
  eddy::redis::Client commands = co_await connecting;
  eddy::Future<eddy::redis::Client> connecting_subscriber = eddy::redis::Client::connect(url);
  eddy::redis::Client subscriber = co_await connecting_subscriber;
  Room room;
  eddy::Future<void> following = follow(subscriber, commands, room);

  eddy::Application app;
  app.route("/", {"GET"}, [](eddy::RequestHandler& h) { h.write(page); });
  app.route("/a/message/new", {"POST"}, [&commands](eddy::RequestHandler& h) -> eddy::Future<void> {
    eddy::Future<void> posted = post(commands, h.get_argument("body"));
    co_await posted;
    h.set_header("Content-Type", "application/json");
    h.write("{}");
  });
  app.route("/a/message/updates", {"POST"}, [&room](eddy::RequestHandler& h) -> eddy::Future<void> {
    long cursor = std::stol(h.get_argument("cursor", "0"));
    std::string news = room.since(cursor);
    while (news.empty()) {
      eddy::Future<bool> woken = room.arrived.wait();
      co_await woken;
      news = room.since(cursor);
    }
    h.set_header("Content-Type", "application/json");
    h.write(news);
  });

  eddy::HTTPServer server(app);
  server_out = &server;
  std::printf("listening on port %u\n", static_cast<unsigned>(server.listen(port, "127.0.0.1")));
  std::fflush(stdout);
  // Runs until the subscription's connection fails (or the loop stops).
  try {
    co_await following;
  } catch (...) {
    server_out = nullptr;
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8888);
  std::string url = argc > 2 ? argv[2] : "redis://127.0.0.1:6379";
  eddy::IOLoop loop;
  loop.make_current();
  eddy::HTTPServer* server = nullptr;
  eddy::Future<void> done = serve(port, url, server);
  auto stop = [&](int) {
    if (server != nullptr) server->stop();
    loop.stop();
  };
  loop.add_signal_handler(SIGINT, stop);
  loop.add_signal_handler(SIGTERM, stop);
  int status = 0;
  loop.add_future(done, [&](eddy::Future<void> f) {  // only when Redis fails
    try {
      f.result();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "redis_chat: %s\n", e.what());
      status = 1;
    }
    loop.stop();
  });
  loop.start();
  loop.remove_signal_handler(SIGINT);
  loop.remove_signal_handler(SIGTERM);
  std::puts("stopped");
  return status;
}
