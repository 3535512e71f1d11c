// examples/redis_chat end to end: two server processes on one Redis share a
// chat room. A browser waiting on one is woken by a message posted to the
// other; a third process started later sees the history. Driven over raw
// sockets, then SIGINT for a clean stop.
#include <poll.h>

#include <string>

#include <catch2/catch.hpp>

#include "support/example_process.hpp"
#include "support/redis_loop.hpp"

#ifndef EDDY_REDIS_CHAT
#error "EDDY_REDIS_CHAT must name the redis_chat example binary"
#endif

namespace {

using eddy_test::connect_loopback;
using eddy_test::exchange;
using eddy_test::form_post;

// One redis_chat process on port 0, sharing the room kept at `redis_url`.
struct ChatServer : eddy_test::ExampleProcess {
  explicit ChatServer(const std::string& redis_url) : ExampleProcess(EDDY_REDIS_CHAT, {"0", redis_url}) {}
};

// A fresh database for the room, so the ids start at 1.
void flush_database(const std::string& url) {
  eddy_test::run_redis([&]() -> eddy::Future<void> {
    eddy::Future<eddy::redis::Client> connecting = eddy::redis::Client::connect(url);
    eddy::redis::Client client = co_await connecting;
    eddy::Future<eddy::redis::Reply> flushed = client.command("FLUSHDB");
    co_await flushed;
  });
}

}  // namespace

TEST_CASE("redis_chat: two processes share one room through Redis pub/sub", "[redis][server][examples]") {
  std::string url = eddy_test::shared_redis().url("", "/7");
  flush_database(url);
  ChatServer a(url);
  ChatServer b(url);
  std::uint16_t port_a = a.port();
  std::uint16_t port_b = b.port();

  int waiter = connect_loopback(port_b);
  eddy_test::send_request(waiter, form_post("/a/message/updates", "cursor=0"));
  pollfd p{waiter, POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // nothing yet: the request stands on B

  std::string posted = exchange(connect_loopback(port_a), form_post("/a/message/new", "body=hello+%22room%22"));
  CHECK(posted.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  std::string news = exchange(waiter, "");
  CHECK(news.find("{\"messages\":[{\"id\":1,\"body\":\"hello \\\"room\\\"\"}]}") != std::string::npos);

  // A process started later reads the room's history from Redis.
  ChatServer c(url);
  std::uint16_t port_c = c.port();
  std::string late = exchange(connect_loopback(port_c), form_post("/a/message/updates", "cursor=0"));
  CHECK(late.find("\"id\":1,\"body\":\"hello \\\"room\\\"\"") != std::string::npos);

  for (ChatServer* s : {&a, &b, &c}) s->stop_cleanly();
}
