// The floor of the WebSocket benchmarks: a server on bare epoll that does
// only what the workloads need (the handshake, unmasking, echo, a prebuilt
// broadcast frame, one send per frame) with no library in between. What a
// server can spend per message beyond this is its own overhead; what this
// spends is the kernel's (and a little parsing). Not a WebSocket server for
// any other use: no limits, no UTF-8 checks, no closing handshake.
//
//   websocket_floor            prints "port N"
#include <eddy/detail/websocket/frame.hpp>
#include <eddy/detail/websocket/handshake.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace ws = eddy::detail::ws;

namespace {

struct Conn {
  std::string in;
  bool open = false;
};

std::unordered_map<int, Conn> conns;
volatile std::sig_atomic_t stop, report_heap;

void send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent <= 0) return;  // a benchmark client never lets the buffer fill
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
}

void handshake(int fd, Conn& c) {
  std::size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) return;
  std::size_t at = c.in.find("Sec-WebSocket-Key: ");
  std::string key = c.in.substr(at + 19, 24);
  std::string answer;
  ws::switching_protocols(answer, key, "", "");
  send_all(fd, answer.data(), answer.size());
  c.in.erase(0, end + 4);
  c.open = true;
}

void frames(int fd, Conn& c, const std::string& broadcast) {
  ws::FrameRules rules;
  std::size_t used = 0;
  for (;;) {
    ws::FrameParse f = ws::parse_frame(std::string_view(c.in).substr(used), rules);
    if (f.status != ws::FrameStatus::complete) break;
    char* payload = c.in.data() + used + f.header.header_size;
    std::size_t n = f.payload.size();
    ws::apply_mask(payload, n, f.header.mask);
    if (n == 9 && std::memcmp(payload, "broadcast", 9) == 0) {
      for (auto& [other, oc] : conns) {
        if (oc.open) send_all(other, broadcast.data(), broadcast.size());
      }
    } else {
      char header[ws::max_header_size];
      std::size_t h = ws::write_frame_header(header, true, false, f.header.opcode, n, nullptr);
      // Header and payload in one send, as a careful server does.
      std::memmove(payload - h, header, h);
      send_all(fd, payload - h, h + n);
    }
    used += f.header.header_size + n;
  }
  c.in.erase(0, used);
}

}  // namespace

int main() {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listener, 1024);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("port %u\n", static_cast<unsigned>(ntohs(addr.sin_port)));
  std::fflush(stdout);
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGUSR1, [](int) { report_heap = 1; });
  std::string broadcast(2, '\0');
  ws::write_frame_header(broadcast.data(), true, false, ws::Opcode::text, 100, nullptr);
  broadcast += std::string(100, 'B');
  int ep = epoll_create1(0);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &e);
  std::vector<epoll_event> events(1024);
  char buf[65536];
  while (!stop) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (report_heap) {
      report_heap = 0;
      std::printf("heap %zu\n", mallinfo2().uordblks);
      std::fflush(stdout);
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listener) {
        int c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (c < 0) continue;
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        e.data.fd = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
        conns[c];
        continue;
      }
      ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
        continue;
      }
      Conn& c = conns[fd];
      c.in.append(buf, static_cast<std::size_t>(got));
      if (!c.open) handshake(fd, c);
      if (c.open) frames(fd, c, broadcast);
    }
  }
}
