// The load client of the WebSocket benchmarks (bench/websocket/run): one
// process, one epoll loop, raw frames, so that every server is driven the
// same way and the client's own cost is small and equal for all of them.
//
//   client PORT echo CONNECTIONS SIZE MESSAGES [--binary] [--deflate]
//       every connection keeps one SIZE-byte message in flight and waits for
//       its echo, until MESSAGES echoes arrived in all
//   client PORT idle CONNECTIONS [--deflate]
//       every connection sends one 20-byte message, reads its echo and stays
//       open until stdin closes
//   client PORT broadcast CONNECTIONS ROUNDS
//       the first connection asks ROUNDS times for a broadcast ("broadcast"),
//       each answered by one 100-byte message to every connection; the next
//       round starts when every connection got the last one
//
// Protocol with the runner: once every connection is open (and, for idle,
// has had its echo), the client prints "READY" and waits for a line on
// stdin; then it runs the measured phase and prints "DONE" and a RESULT
// line. With --deflate it offers permessage-deflate (as a browser: no
// client_no_context_takeover) and sends its messages compressed when agreed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Conn {
  int fd = -1;
  std::string in;
  std::string out;       // bytes not yet sent
  bool open = false;     // handshake done
  bool deflate = false;  // agreed
  std::uint64_t received = 0;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "client: %s\n", why.c_str());
  std::exit(1);
}

std::string frame(const std::string& payload, bool binary, bool compressed) {
  std::string out(1, static_cast<char>(0x80 | (compressed ? 0x40 : 0) | (binary ? 0x2 : 0x1)));
  std::size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  const unsigned char key[4] = {0x1f, 0x2e, 0x3d, 0x4c};
  out.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>(payload[i] ^ key[i & 3]);
  return out;
}

std::string deflate_message(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(text.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - 4);
  deflateEnd(&z);
  return out;
}

// The payload length of the first whole frame in `in` (its total size in
// `size`), or false.
bool whole_frame(std::string_view in, std::size_t& size) {
  if (in.size() < 2) return false;
  std::uint64_t n = static_cast<unsigned char>(in[1]) & 0x7F;
  std::size_t header = 2;
  if (n == 126) {
    if (in.size() < 4) return false;
    n = static_cast<unsigned char>(in[2]) << 8 | static_cast<unsigned char>(in[3]);
    header = 4;
  } else if (n == 127) {
    if (in.size() < 10) return false;
    n = 0;
    for (int i = 2; i < 10; ++i) n = n << 8 | static_cast<unsigned char>(in[i]);
    header = 10;
  }
  if (in.size() < header + n) return false;
  size = header + static_cast<std::size_t>(n);
  return true;
}

class Load {
 public:
  // Opens the connections in batches of 100, each batch's handshakes done
  // before the next, so that no server's listen backlog overflows.
  Load(int port, int connections, bool deflate) : conns_(static_cast<std::size_t>(connections)) {
    epoll_ = epoll_create1(0);
    std::size_t done = 0;
    for (std::size_t first = 0; first < conns_.size(); first += 100) {
      std::size_t last = std::min(conns_.size(), first + 100);
      for (std::size_t i = first; i < last; ++i) open_one(conns_[i], port, deflate);
      while (done < last) done += poll_once([](Conn&, std::size_t) {});
    }
  }

  // Sends `bytes` on `c` (what the kernel does not take waits for EPOLLOUT).
  void send(Conn& c, const std::string& bytes) {
    if (c.out.empty()) {
      ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) n = 0;
      if (static_cast<std::size_t>(n) == bytes.size()) return;
      c.out.assign(bytes, static_cast<std::size_t>(n), std::string::npos);
      watch(c, EPOLLIN | EPOLLOUT);
    } else {
      c.out += bytes;
    }
  }

  // One epoll wait; calls on_frame(conn, frame size) for each whole frame
  // (after the handshake). Returns how many handshakes completed.
  template <class F>
  std::size_t poll_once(F&& on_frame) {
    epoll_event events[256];
    int n = epoll_wait(epoll_, events, 256, 10000);
    if (n == 0) die("no progress for 10 s");
    std::size_t opened = 0;
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[events[i].data.u64];
      if (events[i].events & EPOLLOUT) flush(c);
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) opened += read(c, on_frame);
    }
    return opened;
  }

  std::vector<Conn>& conns() { return conns_; }

 private:
  void open_one(Conn& c, int port, bool deflate) {
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0) die("socket: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect: " + std::string(std::strerror(errno)));
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(c.fd, F_SETFL, O_NONBLOCK);
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &e);
    std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (deflate) request += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    send(c, request + "\r\n");
  }
  void watch(Conn& c, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &e);
  }
  void flush(Conn& c) {
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    if (c.out.empty()) watch(c, EPOLLIN);
  }
  template <class F>
  std::size_t read(Conn& c, F& on_frame) {
    char buf[65536];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) die("the server closed a connection");
    if (n < 0) return 0;
    c.in.append(buf, static_cast<std::size_t>(n));
    std::size_t opened = 0;
    if (!c.open) {
      std::size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) return 0;
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) die("handshake refused: " + c.in.substr(0, 40));
      c.deflate = c.in.substr(0, end).find("permessage-deflate") != std::string::npos;
      c.in.erase(0, end + 4);
      c.open = true;
      opened = 1;
    }
    std::size_t size = 0, used = 0;
    // A message is whole at its last frame (servers may fragment: Beast
    // does, at 4 KiB by default).
    while (whole_frame(std::string_view(c.in).substr(used), size)) {
      bool fin = (static_cast<unsigned char>(c.in[used]) & 0x80) != 0;
      used += size;
      if (!fin) continue;
      ++c.received;
      on_frame(c, size);
    }
    c.in.erase(0, used);
    return opened;
  }

  int epoll_ = -1;
  std::vector<Conn> conns_;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void wait_for_go() {
  std::printf("READY\n");
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);
}

int echo(Load& load, std::size_t size, std::uint64_t total, bool binary) {
  std::string payload(size, 'e');
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string plain = frame(payload, binary, false);
  std::string packed = frame(deflate_message(payload), binary, true);
  wait_for_go();
  double start = now();
  std::uint64_t echoed = 0, sent = 0;
  for (Conn& c : load.conns()) {
    load.send(c, c.deflate ? packed : plain);
    ++sent;
  }
  while (echoed < total) {
    load.poll_once([&](Conn& c, std::size_t) {
      ++echoed;
      if (sent < total) {
        load.send(c, c.deflate ? packed : plain);
        ++sent;
      }
    });
  }
  double seconds = now() - start;
  std::printf("DONE\nRESULT messages=%llu seconds=%.6f\n", static_cast<unsigned long long>(echoed), seconds);
  return 0;
}

int idle(Load& load) {
  std::string plain = frame("twenty bytes, idle..", false, false);
  std::string packed = frame(deflate_message("twenty bytes, idle.."), false, true);
  for (Conn& c : load.conns()) load.send(c, c.deflate ? packed : plain);
  std::uint64_t echoed = 0;
  while (echoed < load.conns().size()) load.poll_once([&](Conn&, std::size_t) { ++echoed; });
  wait_for_go();  // the runner measures the server's memory now
  std::printf("DONE\nRESULT connections=%zu\n", load.conns().size());
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);  // until told to go
  return 0;
}

int broadcast(Load& load, int rounds) {
  std::string ask = frame("broadcast", false, false);
  wait_for_go();
  double start = now();
  std::uint64_t delivered = 0, want = load.conns().size();
  for (int r = 0; r < rounds; ++r) {
    load.send(load.conns()[0], ask);
    std::uint64_t got = 0;
    while (got < want) load.poll_once([&](Conn&, std::size_t) { ++got; });
    delivered += got;
  }
  double seconds = now() - start;
  std::printf("DONE\nRESULT deliveries=%llu seconds=%.6f\n", static_cast<unsigned long long>(delivered), seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) die("usage: client PORT echo|idle|broadcast ...");
  int port = std::atoi(argv[1]);
  std::string mode = argv[2];
  bool deflate = false, binary = false;
  for (int i = 3; i < argc; ++i) {
    deflate = deflate || std::strcmp(argv[i], "--deflate") == 0;
    binary = binary || std::strcmp(argv[i], "--binary") == 0;
  }
  Load load(port, std::atoi(argv[3]), deflate);
  if (mode == "echo" && argc >= 6) return echo(load, std::strtoul(argv[4], nullptr, 10), std::strtoull(argv[5], nullptr, 10), binary);
  if (mode == "idle") return idle(load);
  if (mode == "broadcast" && argc >= 5) return broadcast(load, std::atoi(argv[4]));
  die("bad arguments");
}
