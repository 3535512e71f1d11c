// The WebSocket examples, end to end over raw sockets: websocket_echo
// echoes and reports the close, chat pushes a posted message down its
// WebSockets and takes messages from them (its long polling is tested in
// examples_http_test.cpp). Port 0, then SIGINT for a clean stop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#ifndef EDDY_EXAMPLE_DIR
#error "EDDY_EXAMPLE_DIR must name the directory holding the example binaries"
#endif

namespace {

// An example run with `args`, its stdout read as it comes.
struct Example {
  pid_t pid = -1;
  int out = -1;
  std::string seen;

  Example(const std::string& name, const char* arg) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string program = std::string(EDDY_EXAMPLE_DIR) + "/" + name;
      ::execl(program.c_str(), program.c_str(), "0", arg, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~Example() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
  const std::string& read_until(const std::string& want) {
    char buf[512];
    while (seen.find(want) == std::string::npos) {
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) break;
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<std::size_t>(n));
    }
    return seen;
  }
  std::uint16_t port() {
    read_until("\n");
    REQUIRE(seen.rfind("listening on port ", 0) == 0);
    return static_cast<std::uint16_t>(std::stoi(seen.substr(18)));
  }
  int interrupt() {
    ::kill(pid, SIGINT);
    int status = 0;
    for (int i = 0; i < 4000; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        read_until("stopped\n");
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
};

// A blocking WebSocket client that masks with a fixed key.
class Socket {
 public:
  explicit Socket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Socket() { ::close(fd_); }
  void send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
  }
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
  s.send("POST " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(form.size()) +
         "\r\n\r\n" + form);
  return s.read_head();
}

}  // namespace

TEST_CASE("websocket_echo echoes text and binary, and reports the close", "[examples][websocket]") {
  for (const char* arg : {"--plain", "--deflate"}) {
    Example server("websocket_echo", arg);
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
    int status = server.interrupt();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}

TEST_CASE("chat pushes new messages down its WebSockets and takes messages from them", "[examples][websocket]") {
  Example server("chat", "--");
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
  int status = server.interrupt();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
