// HTTPTestServer: an Application and HTTPServer on a loop of their own
// thread, bound to 127.0.0.1 port 0, and a blocking client for the test's
// thread (timeouts on every socket, so a broken server fails a test instead
// of hanging it).
//
//   eddy_test::HTTPTestServer server([](eddy::Application& app) { app.route("/", ...); });
//   eddy_test::Client c(server.port());
//   c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
//   eddy_test::Response r = c.response();
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <eddy/detail/http/http_chunked.hpp>
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>
#include <eddy/http.hpp>

namespace eddy_test {

class HTTPTestServer {
 public:
  using Setup = std::function<void(eddy::Application&, eddy::IOLoop&)>;

  explicit HTTPTestServer(Setup setup, eddy::HTTPServerOptions options = {}) {
    std::promise<std::uint16_t> bound;
    std::future<std::uint16_t> port = bound.get_future();
    thread_ = std::thread([this, setup = std::move(setup), options, bound = std::move(bound)]() mutable {
      eddy::IOLoop loop;
      loop.make_current();
      loop.set_exception_handler([this](std::exception_ptr e) {
        std::lock_guard<std::mutex> lock(mutex_);
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          exceptions_.push_back(ex.what());
        } catch (...) {
          exceptions_.push_back("(not a std::exception)");
        }
      });
      eddy::Application app;
      std::optional<eddy::HTTPServer> server;
      try {
        setup(app, loop);
        server.emplace(app, options);
        loop_ = &loop;
        server_ = &*server;
        bound.set_value(server->listen(0, "127.0.0.1"));
      } catch (...) {
        bound.set_exception(std::current_exception());
        return;
      }
      loop.start();
      server.reset();
      // Let closed connections and handlers finish their callbacks.
      loop.run_sync([]() -> eddy::Future<void> { co_await eddy::sleep(std::chrono::milliseconds(20)); });
      eddy::IOLoop::clear_current();
    });
    try {
      port_ = port.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }
  HTTPTestServer(const HTTPTestServer&) = delete;
  HTTPTestServer& operator=(const HTTPTestServer&) = delete;
  ~HTTPTestServer() {
    loop_->add_callback([loop = loop_] { loop->stop(); });
    thread_.join();
  }

  std::uint16_t port() const noexcept { return port_; }

  // Runs f(server, loop) on the server's loop and waits for it.
  template <class F>
  auto on_loop(F f) {
    using R = decltype(f(*server_, *loop_));
    std::packaged_task<R()> task([&] { return f(*server_, *loop_); });
    std::future<R> done = task.get_future();
    loop_->add_callback([&task] { task(); });
    return done.get();
  }

  std::vector<std::string> exceptions() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exceptions_;
  }

 private:
  std::thread thread_;
  eddy::IOLoop* loop_ = nullptr;
  eddy::HTTPServer* server_ = nullptr;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> exceptions_;
};

struct Response {
  int status = 0;
  std::string version;
  eddy::HTTPHeaders headers;
  std::string body;
  bool chunked = false;
};

// A blocking client socket; every wait gives up after `timeout`.
class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect");
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const noexcept { return fd_; }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // False when the peer closed (or reset) before anything arrived.
  bool receive_some() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) throw std::runtime_error("client: receive timed out");
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // Everything until the server closes.
  std::string read_until_close() {
    while (receive_some()) {
    }
    return std::exchange(buffer_, std::string());
  }
  // True when the server closed the connection (EOF or reset), waiting for it.
  bool closed_by_server() {
    if (!buffer_.empty()) return false;
    return !receive_some();
  }
  std::string& buffered() noexcept { return buffer_; }

  // One response; `head_request`: it has no body whatever it says.
  // std::runtime_error if the server closes first.
  Response response(bool head_request = false) {
    namespace http = eddy::detail::http;
    for (;;) {
      http::ResponseHead head;
      http::ParseResult r = http::parse_response_head(buffer_, head);
      if (r.error()) throw std::runtime_error("client: bad response head: " + std::string(r.reason));
      if (r.complete()) {
        Response out;
        out.status = head.status_code;
        out.version = std::string(http::version_string(head.version_minor));
        for (auto& f : head.headers) out.headers.add(f.name, f.value);
        http::MessageInfo info = http::analyze_response(head, head_request ? "HEAD" : "GET");
        buffer_.erase(0, r.consumed);
        read_body(info, out);
        return out;
      }
      if (!receive_some()) throw std::runtime_error("client: closed before a response: [" + buffer_ + "]");
    }
  }

 private:
  void read_body(const eddy::detail::http::MessageInfo& info, Response& out) {
    namespace http = eddy::detail::http;
    if (info.body == http::BodyKind::content_length) {
      while (buffer_.size() < info.content_length) {
        if (!receive_some()) throw std::runtime_error("client: closed inside a body");
      }
      out.body = buffer_.substr(0, info.content_length);
      buffer_.erase(0, info.content_length);
    } else if (info.body == http::BodyKind::chunked) {
      out.chunked = true;
      http::ChunkedDecoder decoder;
      for (;;) {
        http::ChunkResult c = decoder.decode(buffer_);
        if (c.status == http::ChunkStatus::data) out.body.append(c.data);
        buffer_.erase(0, c.consumed);
        if (c.status == http::ChunkStatus::done) break;
        if (c.status == http::ChunkStatus::error) throw std::runtime_error("client: bad chunked body");
        if (c.status == http::ChunkStatus::incomplete && !receive_some()) throw std::runtime_error("client: closed inside a chunked body");
      }
    } else if (info.body == http::BodyKind::until_close) {
      while (receive_some()) {
      }
      out.body = std::exchange(buffer_, std::string());
    }
  }

  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection; the response.
inline Response fetch(std::uint16_t port, std::string_view request, bool head_request = false) {
  Client c(port);
  c.send(request);
  return c.response(head_request);
}

inline std::string get_request(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

// "/hello" answers "Hello, World!", "/echo" the request body, "/n/<digits>"
// "n=<digits>".
inline void hello_routes(eddy::Application& app, eddy::IOLoop&) {
  app.route("/hello", [](eddy::RequestHandler& h) { h.write("Hello, World!"); });
  app.route("/echo", [](eddy::RequestHandler& h) { h.write(h.request().body); });
  app.route("/n/([0-9]+)", [](eddy::RequestHandler& h) { h.write("n=" + h.path_args()[0]); });
}

}  // namespace eddy_test
