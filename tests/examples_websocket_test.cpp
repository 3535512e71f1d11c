// The WebSocket examples, end to end over raw sockets: websocket_echo
// echoes and reports the close, chat pushes a posted message down its
// WebSockets and takes messages from them (its long polling is tested in
// examples_http_test.cpp). Port 0, then SIGINT for a clean stop.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/example_process.hpp"
#include "support/run_command.hpp"

namespace {

// A blocking WebSocket client that masks with a fixed key.
class Socket {
 public:
  explicit Socket(std::uint16_t port) : fd_(eddy_test::connect_loopback(port)) {}
  ~Socket() { ::close(fd_); }
  void send(const std::string& data) { eddy_test::send_request(fd_, data); }
  // The 101's head, or whatever came instead.
  std::string upgrade(const std::string& target) {
    send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return read_head();
  }
  // A response head.
  std::string read_head() {
    while (buffer_.find("\r\n\r\n") == std::string::npos) more();
    std::size_t end = buffer_.find("\r\n\r\n") + 4;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end);
    return head;
  }
  void send_text(const std::string& text, int opcode = 0x81) {
    std::string frame(1, static_cast<char>(opcode));
    frame += static_cast<char>(0x80 | text.size());  // short messages only
    const char key[4] = {1, 2, 3, 4};
    frame.append(key, 4);
    for (std::size_t i = 0; i < text.size(); ++i) frame += static_cast<char>(text[i] ^ key[i % 4]);
    send(frame);
  }
  // The next frame from the server: (opcode, payload).
  std::pair<int, std::string> frame() {
    while (buffer_.size() < 2) more();
    std::size_t n = static_cast<unsigned char>(buffer_[1]) & 0x7F, header = 2;
    if (n == 126) {
      while (buffer_.size() < 4) more();
      n = static_cast<std::size_t>(static_cast<unsigned char>(buffer_[2]) << 8 | static_cast<unsigned char>(buffer_[3]));
      header = 4;
    }
    while (buffer_.size() < header + n) more();
    int opcode = buffer_[0] & 0x0F;
    std::string payload = buffer_.substr(header, n);
    buffer_.erase(0, header + n);
    return {opcode, payload};
  }

 private:
  void more() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
  int fd_ = -1;
  std::string buffer_;
};

std::string post(std::uint16_t port, const std::string& target, const std::string& form) {
  Socket s(port);
  s.send(eddy_test::form_post(target, form));
  return s.read_head();
}

}  // namespace

TEST_CASE("websocket_echo echoes text and binary, and reports the close", "[examples][websocket]") {
  for (const char* arg : {"--plain", "--deflate"}) {
    eddy_test::ExampleProcess server(eddy_test::example_path("websocket_echo"), {"0", arg});
    std::uint16_t port = server.port();
    {
      Socket ws(port);
      REQUIRE(ws.upgrade("/echo").rfind("HTTP/1.1 101 ", 0) == 0);
      ws.send_text("hello, echo");
      REQUIRE(ws.frame() == std::pair<int, std::string>(1, "hello, echo"));
      ws.send_text(std::string("\x00\x01\x02", 3), 0x82);
      REQUIRE(ws.frame() == std::pair<int, std::string>(2, std::string("\x00\x01\x02", 3)));
      ws.send_text("\x03\xe8", 0x88);  // close 1000
      REQUIRE(ws.frame().first == 8);
    }
    CHECK(server.read_until("closed after 2 messages (code 1000)").find("closed after 2 messages (code 1000)") !=
          std::string::npos);
    server.stop_cleanly();
  }
}

TEST_CASE("chat pushes new messages down its WebSockets and takes messages from them", "[examples][websocket]") {
  eddy_test::ExampleProcess server(eddy_test::example_path("chat"), {"0", "--"});
  std::uint16_t port = server.port();
  Socket alice(port), bob(port);
  REQUIRE(alice.upgrade("/a/message/socket?cursor=0").rfind("HTTP/1.1 101 ", 0) == 0);
  REQUIRE(bob.upgrade("/a/message/socket?cursor=0").rfind("HTTP/1.1 101 ", 0) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both registered
  // A message posted over HTTP reaches both sockets.
  REQUIRE(post(port, "/a/message/new", "body=hi+all").rfind("HTTP/1.1 200 OK", 0) == 0);
  std::string first = "{\"messages\":[{\"id\":1,\"body\":\"hi all\"}]}";
  REQUIRE(alice.frame().second == first);
  REQUIRE(bob.frame().second == first);
  // A message sent on one socket reaches the other (and its sender).
  alice.send_text("from alice");
  std::string second = "{\"messages\":[{\"id\":2,\"body\":\"from alice\"}]}";
  REQUIRE(bob.frame().second == second);
  REQUIRE(alice.frame().second == second);
  // A late socket gets the backlog after its cursor at once.
  Socket carol(port);
  REQUIRE(carol.upgrade("/a/message/socket?cursor=1").rfind("HTTP/1.1 101 ", 0) == 0);
  REQUIRE(carol.frame().second == second);
  server.stop_cleanly();
}
