// The HTTP examples, end to end: hello_web and chat on port 0 (their first
// line names the port), driven over raw sockets, then SIGINT for a clean stop.
#include <poll.h>
#include <sys/socket.h>

#include <string>

#include <catch2/catch.hpp>

#include "support/example_process.hpp"
#include "support/run_command.hpp"

using eddy_test::connect_loopback;
using eddy_test::exchange;
using eddy_test::form_post;

TEST_CASE("hello_web answers Hello, world and stops cleanly on SIGINT", "[examples][http]") {
  eddy_test::ExampleProcess server(eddy_test::example_path("hello_web"), {"0"});
  std::uint16_t port = server.port();
  std::string response = exchange(connect_loopback(port), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(response.find("\r\n\r\nHello, world") != std::string::npos);
  server.stop_cleanly();
  CHECK(server.seen.find("stopped\n") != std::string::npos);
}

TEST_CASE("chat holds a standing request until a message arrives, then answers it", "[examples][http]") {
  eddy_test::ExampleProcess server(eddy_test::example_path("chat"), {"0"});
  std::uint16_t port = server.port();
  std::string page = exchange(connect_loopback(port), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(page.find("/a/message/updates") != std::string::npos);

  int waiter = connect_loopback(port);
  std::string wait_request = form_post("/a/message/updates", "cursor=0");
  eddy_test::send_request(waiter, wait_request);
  pollfd p{waiter, POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // nothing yet: the request stands

  std::string posted = exchange(connect_loopback(port), form_post("/a/message/new", "body=hello+%22room%22"));
  CHECK(posted.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  std::string news = exchange(waiter, "");
  CHECK(news.find("{\"messages\":[{\"id\":1,\"body\":\"hello \\\"room\\\"\"}]}") != std::string::npos);
  // A client that missed the message gets it at once.
  std::string late = exchange(connect_loopback(port), form_post("/a/message/updates", "cursor=0"));
  CHECK(late.find("\"id\":1") != std::string::npos);
  server.stop_cleanly();
}
