// IOStream::write_file: a file range queued among the writes, sent from the
// file as the socket takes it (sendfile; a bounded pread fallback), its
// descriptor closed on every path. Run on every backend.
#include <eddy/iostream.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"
#include "support/temp_dir.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOStream;

namespace {

// Bytes that differ at every offset within a 251-byte period (a prime, so
// a misplaced range never lines up by chance).
std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i % 251);
  return out;
}

// Writes `data` to a fresh file in `dir`; a read-only descriptor of it.
int file_with(const TempDir& dir, const std::string& name, const std::string& data) {
  std::string path = dir.file(name);
  int w = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(w >= 0);
  REQUIRE(::write(w, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(w);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  return fd;
}

bool fd_closed(int fd) { return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF; }

}  // namespace

TEST_CASE("write_file sends its range after the bytes written before it and before those written after",
          "[iostream][file]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop current(backend);
  TempDir dir;
  std::string data = pattern(16 * 1024 * 1024 + 17);  // larger than a socket takes at once
  int file = file_with(dir, "f", data);
  TcpPair pair = loopback_pair();
  std::string received;
  std::thread reader;
  {
    IOStream stream(pair.server);
    (void)stream.write("head:");
    Future<void> sent = stream.write_file(file, 1000, data.size() - 2000);
    Future<void> tail = stream.write(":tail");
    CHECK(stream.write_buffer_size() > 0);  // nobody reads yet: the socket is full
    reader = std::thread([&] { received = recv_until_close(pair.client); });
    wait_for(current.loop, tail);
    CHECK(sent.done());
    CHECK(stream.write_buffer_size() == 0);
    stream.close();
  }
  reader.join();
  ::close(pair.client);
  CHECK(fd_closed(file));
  REQUIRE(received.size() == data.size() - 2000 + 10);
  CHECK(received.substr(0, 5) == "head:");
  CHECK(received.substr(5, data.size() - 2000) == data.substr(1000, data.size() - 2000));
  CHECK(received.substr(received.size() - 5) == ":tail");
}

TEST_CASE("a small file range goes out at once and its descriptor is closed", "[iostream][file]") {
  CurrentLoop current;
  TempDir dir;
  int file = file_with(dir, "small", "0123456789");
  SocketPair pair;
  IOStream stream(pair.left());
  pair.fds[0] = -1;  // the stream owns it
  Future<void> sent = stream.write_file(file, 2, 5);
  CHECK(sent.done());
  CHECK(fd_closed(file));
  char buf[16] = {};
  REQUIRE(::recv(pair.right(), buf, sizeof buf, 0) == 5);
  CHECK(std::string(buf, 5) == "23456");
  // An empty range is an empty write: in order, resolved, the file closed.
  int other = file_with(dir, "other", "x");
  CHECK(stream.write_file(other, 0, 0).done());
  CHECK(fd_closed(other));
}

TEST_CASE("a stream that closes with a file range queued closes the file and fails the write", "[iostream][file]") {
  CurrentLoop current;
  TempDir dir;
  std::string data = pattern(8 * 1024 * 1024);
  int file = file_with(dir, "f", data);
  TcpPair pair = loopback_pair();
  IOStream stream(pair.server);
  Future<void> sent = stream.write_file(file, 0, data.size());
  REQUIRE_FALSE(sent.done());  // nobody reads: the socket fills
  CHECK(stream.write_buffer_size() > 0);
  CHECK_FALSE(fd_closed(file));
  close_with_reset(pair.client);
  CHECK_THROWS_AS(wait_for(current.loop, sent), eddy::StreamClosedError);
  CHECK(fd_closed(file));
}

TEST_CASE("write_file on a closed stream fails and still closes the file", "[iostream][file]") {
  CurrentLoop current;
  TempDir dir;
  int file = file_with(dir, "f", "abc");
  SocketPair pair;
  IOStream stream(pair.left());
  pair.fds[0] = -1;
  CHECK_THROWS_AS(stream.write_file(-1, 0, 1).result(), std::invalid_argument);
  stream.close();
  Future<void> sent = stream.write_file(file, 0, 3);
  REQUIRE(sent.done());
  CHECK_THROWS_AS(sent.result(), eddy::StreamClosedError);
  CHECK(fd_closed(file));
}

TEST_CASE("a file shorter than its range closes the stream (EIO) instead of leaving the peer waiting",
          "[iostream][file]") {
  CurrentLoop current;
  TempDir dir;
  int file = file_with(dir, "short", "only ten b");
  SocketPair pair;
  IOStream stream(pair.left());
  pair.fds[0] = -1;
  Future<void> sent = stream.write_file(file, 0, 100);
  CHECK_THROWS_AS(wait_for(current.loop, sent), eddy::StreamClosedError);
  try {
    std::rethrow_exception(sent.exception());
  } catch (const eddy::StreamClosedError& e) {
    CHECK(e.error() == EIO);
  }
  CHECK(stream.closed());
  CHECK(fd_closed(file));
}

TEST_CASE("write_file's head goes just before its range, under one future, queued or not", "[iostream][file]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop current(backend);
  TempDir dir;
  std::string data = pattern(2 * 1024 * 1024);
  TcpPair pair = loopback_pair();
  std::string received;
  std::thread reader;
  {
    IOStream stream(pair.server);
    // Sent at once (nothing queued), then again behind a large queued write.
    Future<void> first = stream.write_file(file_with(dir, "a", data), 0, 1000, "HEAD1:");
    Future<void> filler = stream.write(std::string(8 * 1024 * 1024, 'f'));
    Future<void> second = stream.write_file(file_with(dir, "b", data), 500, data.size() - 500, ":HEAD2:");
    Future<void> empty = stream.write_file(file_with(dir, "c", data), 0, 0, ":HEAD3");
    CHECK_FALSE(second.done());
    reader = std::thread([&] { received = recv_until_close(pair.client); });
    wait_for(current.loop, empty);
    CHECK(first.done());
    CHECK(filler.done());
    CHECK(second.done());
    stream.close();
  }
  reader.join();
  ::close(pair.client);
  std::string expected = "HEAD1:" + data.substr(0, 1000) + std::string(8 * 1024 * 1024, 'f') + ":HEAD2:" +
                         data.substr(500) + ":HEAD3";
  REQUIRE(received.size() == expected.size());
  CHECK(received == expected);
}

TEST_CASE("write_file to a peer that left fails with EPIPE and never raises SIGPIPE", "[iostream][file]") {
  // SIGPIPE's default action would end this test binary: passing is the check.
  CurrentLoop current;
  TempDir dir;
  SocketPair pair;
  IOStream stream(pair.left());
  pair.fds[0] = -1;
  pair.close_side(1);  // the peer is gone: a write to an AF_UNIX socket now fails with EPIPE
  int file = file_with(dir, "f", pattern(100000));
  Future<void> sent = stream.write_file(file, 0, 100000, "head");
  CHECK_THROWS_AS(wait_for(current.loop, sent), eddy::StreamClosedError);
  CHECK(fd_closed(file));
  // Without a head, sendfile is the first call to meet the closed peer.
  SocketPair other;
  IOStream second(other.left());
  other.fds[0] = -1;
  other.close_side(1);
  int file2 = file_with(dir, "g", pattern(100000));
  Future<void> sent2 = second.write_file(file2, 0, 100000);
  CHECK_THROWS_AS(wait_for(current.loop, sent2), eddy::StreamClosedError);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  CHECK_FALSE(sigismember(&pending, SIGPIPE));
}
