// What a stream holds in memory: the receive buffer's rules (one scratch
// buffer per thread, only unconsumed bytes kept per stream, sized to them,
// freed when drained), checked on ReadBuffer alone and through IOStream.
#include <eddy/iostream.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;
using eddy::detail::ReadBuffer;

namespace {

std::string numbered_lines(std::size_t count, std::size_t width) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    std::string line = std::to_string(i);
    line.resize(width - 1, static_cast<char>('a' + i % 26));
    out += line + "\n";
  }
  return out;
}

// Feeds `data` into a ReadBuffer as recvs of the given sizes would.
void receive(ReadBuffer& buffer, const std::string& data, std::size_t& at, std::size_t most) {
  std::size_t room = 0;
  char* into = buffer.prepare(room);
  std::size_t n = std::min({room, most, data.size() - at});
  std::memcpy(into, data.data() + at, n);
  buffer.commit(n);
  at += n;
}

}  // namespace

TEST_CASE("a buffer that drains holds no memory, and the scratch is never kept", "[iostream][memory]") {
  ReadBuffer buffer;
  std::string data = numbered_lines(10, 10);
  std::size_t at = 0;
  receive(buffer, data, at, data.size());
  CHECK(buffer.capacity() == 0);  // the bytes are still in the thread's scratch
  CHECK(buffer.take(10) == data.substr(0, 10));
  buffer.settle();
  CHECK(buffer.size() == 90);
  CHECK(buffer.capacity() == 90);  // sized to what is left
  CHECK(buffer.take(90) == data.substr(10));
  CHECK(buffer.capacity() == 0);
  CHECK(buffer.empty());
}

TEST_CASE("bytes a read did not consume survive the next recv in order", "[iostream][memory]") {
  // Random recv sizes against random takes, compared with the bytes sent:
  // exercises the scratch, the append and the direct-recv paths together.
  std::string data = numbered_lines(20000, 37);
  ReadBuffer buffer;
  std::string got;
  std::size_t at = 0;
  std::uint32_t x = 7;
  auto next = [&x](std::uint32_t bound) {
    x = x * 1103515245u + 12345u;
    return (x >> 8) % bound;
  };
  while (got.size() < data.size()) {
    if (at < data.size() && (buffer.empty() || next(3) != 0)) {
      std::size_t most = next(4) == 0 ? ReadBuffer::chunk : 1 + next(3000);
      receive(buffer, data, at, most);
    }
    std::size_t n = std::min<std::size_t>(buffer.size(), next(5) == 0 ? 40000 : next(200));
    got += buffer.take(n);
    if (next(2) == 0) continue;  // leave the bytes in the scratch for the next recv
    buffer.settle();
    if (buffer.empty()) {
      REQUIRE(buffer.capacity() == 0);
    } else if (n > 0 && buffer.capacity() > ReadBuffer::shrink_floor) {
      REQUIRE(buffer.size() * 4 > buffer.capacity());  // shrunk to fit after a take
    }
  }
  CHECK(got == data);
}

TEST_CASE("an idle stream holds no receive buffer", "[iostream][memory]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  CHECK(b.read_buffer_capacity() == 0);
  Future<std::string> line = b.read_until("\n", 64 * 1024);
  CHECK(b.read_buffer_capacity() == 0);  // a pending read with nothing buffered
  a.write("hello\n");
  CHECK(wait_for(c.loop, line) == "hello\n");
  CHECK(b.read_buffer_capacity() == 0);
  // Waiting for the next line, with nothing received yet: still nothing.
  Future<std::string> next = b.read_until("\n", 64 * 1024);
  spin(c.loop, 5ms);
  CHECK(b.read_buffer_capacity() == 0);
  a.write("again\n");
  CHECK(wait_for(c.loop, next) == "again\n");
  CHECK(b.read_buffer_capacity() == 0);
}

TEST_CASE("bytes not consumed by a read survive to the next read, in memory sized to them", "[iostream][memory]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  a.write("one\ntwo\nthr");
  CHECK(wait_for(c.loop, b.read_until("\n")) == "one\n");
  CHECK(b.read_buffer_size() == 7);
  CHECK(b.read_buffer_capacity() == 7);
  CHECK(wait_for(c.loop, b.read_until("\n")) == "two\n");
  Future<std::string> third = b.read_until("\n");
  a.write("ee\n");
  CHECK(wait_for(c.loop, third) == "three\n");
  CHECK(b.read_buffer_capacity() == 0);
}

TEST_CASE("a drained big buffer is returned, and a burst leaves only what was not consumed",
          "[iostream][memory]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  std::string data = numbered_lines(1u << 15, 32);  // 1 MiB
  Future<std::string> all = b.read_bytes(data.size() - 10);
  a.write(data);
  std::string got = wait_for(c.loop, all);
  CHECK(got == data.substr(0, data.size() - 10));
  if (b.read_buffer_size() < 10) spin(c.loop, 20ms);
  std::string rest = wait_for(c.loop, b.read_bytes(10, true));
  // Whatever was held after the big read, it was shrunk to fit, then freed.
  CHECK(b.read_buffer_capacity() <= ReadBuffer::shrink_floor);
  while (rest.size() < 10) rest += wait_for(c.loop, b.read_bytes(10 - rest.size(), true));
  CHECK(rest == data.substr(data.size() - 10));
  CHECK(b.read_buffer_capacity() == 0);
}

TEST_CASE("pipelined lines in one burst are read one at a time and the buffer shrinks as they go",
          "[iostream][memory]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  std::string data = numbered_lines(4000, 100);
  a.write(data);
  std::size_t most_held = 0;
  for (std::size_t i = 0; i < 4000; ++i) {
    std::string line = wait_for(c.loop, b.read_until("\n", 64 * 1024));
    REQUIRE(line == data.substr(i * 100, 100));
    most_held = std::max(most_held, b.read_buffer_capacity());
    if (b.read_buffer_capacity() > ReadBuffer::shrink_floor) {
      CHECK(b.read_buffer_size() * 4 > b.read_buffer_capacity());
    }
  }
  CHECK(b.read_buffer_capacity() == 0);
  CHECK(most_held <= 2 * ReadBuffer::chunk);
}

TEST_CASE("a line split across many small packets is assembled whole", "[iostream][memory]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  std::string line(50000, 'x');
  line += "\n";
  std::thread sender([&] {
    for (std::size_t i = 0; i < line.size(); i += 997) {
      send_raw(p.client, line.substr(i, 997));
      if (i % (997 * 8) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::string got = wait_for(c.loop, b.read_until("\n", 64 * 1024));
  sender.join();
  CHECK(got == line);
  CHECK(b.read_buffer_capacity() == 0);
  ::close(p.client);
}
