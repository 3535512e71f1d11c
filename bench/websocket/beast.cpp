// Boost.Beast's WebSocket server for bench/websocket/run, written in Beast's
// own idiom (its websocket_server_async example for the echo, its chat
// example's per-session queue for the broadcast): one thread, one
// io_context, no strand (one thread needs none), no auto-fragmenting. Echoes every message; a text message "broadcast" makes it
// send one 100-byte message to every session. Prints "port N".
//
//   websocket_beast [--deflate]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool deflate = false;
const auto payload100 = std::make_shared<const std::string>(100, 'B');

class Session;
std::unordered_set<Session*> sessions;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : ws_(std::move(socket)) {}

  void run() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    if (deflate) {
      websocket::permessage_deflate pmd;
      pmd.server_enable = true;
      ws_.set_option(pmd);
    }
    ws_.read_message_max(16 * 1024 * 1024);
    // One frame per message, as the other servers send (Beast's default
    // fragments at 4 KiB, a write each).
    ws_.auto_fragment(false);
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, shared_from_this()));
  }

  // Queues a broadcast message (one write in flight at a time, as Beast requires).
  void send(const std::shared_ptr<const std::string>& message) {
    queue_.push_back(message);
    if (queue_.size() > 1 || writing_echo_) return;
    write_next();
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    sessions.insert(this);
    read();
  }
  void read() { ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this())); }
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      sessions.erase(this);
      return;
    }
    if (ws_.got_text() && buffer_.size() == 9 && beast::buffers_to_string(buffer_.data()) == "broadcast") {
      buffer_.consume(buffer_.size());
      for (Session* s : sessions) s->send(payload100);
      return read();
    }
    writing_echo_ = true;
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(), beast::bind_front_handler(&Session::on_echo, shared_from_this()));
  }
  void on_echo(beast::error_code ec, std::size_t) {
    writing_echo_ = false;
    if (ec) return;
    buffer_.consume(buffer_.size());
    if (!queue_.empty()) write_next();
    read();
  }
  void write_next() {
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front()), beast::bind_front_handler(&Session::on_sent, shared_from_this()));
  }
  void on_sent(beast::error_code ec, std::size_t) {
    if (ec) return;
    queue_.erase(queue_.begin());
    if (!queue_.empty()) write_next();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::vector<std::shared_ptr<const std::string>> queue_;
  bool writing_echo_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(net::io_context& ioc) : ioc_(ioc), acceptor_(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {}
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(ioc_, beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->run();
    }
    accept();
  }
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) deflate = deflate || std::strcmp(argv[i], "--deflate") == 0;
  net::io_context ioc{1};
  auto listener = std::make_shared<Listener>(ioc);
  listener->accept();
  std::printf("port %u\n", static_cast<unsigned>(listener->port()));
  std::fflush(stdout);
  net::signal_set signals(ioc, SIGTERM, SIGINT, SIGUSR1);
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code, int sig) {
    if (sig == SIGUSR1) {
      std::printf("heap %zu\n", mallinfo2().uordblks);
      std::fflush(stdout);
      signals.async_wait(on_signal);
      return;
    }
    ioc.stop();
  };
  signals.async_wait(on_signal);
  ioc.run();
}
