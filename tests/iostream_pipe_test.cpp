// IOStream over pipes (Tornado's PipeIOStream): the same reads, writes,
// back-pressure and teardown as over sockets, on every backend. A pipe is
// not a socket, so the stream uses read/writev there, and a write to a pipe
// whose reader is gone must fail with StreamClosedError without SIGPIPE.
// Written with futures (no coroutines) so the suite also runs as C++17.
#include <eddy/iostream.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;

namespace {

// A pipe made non-blocking on neither end; closed on destruction unless an
// end was handed to a stream (release).
struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int take_read() { return std::exchange(read_end, -1); }
  int take_write() { return std::exchange(write_end, -1); }
  void close_write() { ::close(take_write()); }
  void close_read() { ::close(take_read()); }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 77;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

void write_raw(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

bool sigpipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

}  // namespace

TEST_CASE("read_until and read_bytes work on the read end of a pipe", "[iostream][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream in(p.take_read());
  write_raw(p.write_end, "first line\nsecond");
  CHECK(wait_for(c.loop, in.read_until("\n")) == "first line\n");
  Future<std::string> rest = in.read_bytes(10);
  c.loop.call_later(5ms, [&] { write_raw(p.write_end, " half"); });
  CHECK(wait_for(c.loop, rest) == "second hal");
}

TEST_CASE("a pipe stream writes to a pipe stream with back-pressure and nothing lost", "[iostream][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream out(p.take_write());
  IOStream in(p.take_read());
  std::string data = pattern(3 * 1024 * 1024 + 17);  // far beyond the pipe's 64 KiB
  Future<void> written = out.write(data);
  CHECK_FALSE(written.done());  // the pipe filled: the rest waits in the queue
  Future<std::string> read = in.read_bytes(data.size());
  CHECK(wait_for(c.loop, read) == data);
  wait_for(c.loop, written);
  CHECK(out.write_buffer_size() == 0);
}

TEST_CASE("read_until_close gets everything a pipe writer wrote before it closed", "[iostream][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream in(p.take_read());
  bool closed = false;
  in.set_close_callback([&] { closed = true; });
  std::string data = pattern(60000);
  write_raw(p.write_end, data);
  p.close_write();
  spin(c.loop);  // the idle stream sees the hang-up and keeps what is in the pipe
  CHECK(in.closed());
  CHECK(closed);
  CHECK(wait_for(c.loop, in.read_until_close()) == data);
}

TEST_CASE("a pending read on a pipe fails with StreamClosedError when the writer closes", "[iostream][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream in(p.take_read());
  Future<std::string> read = in.read_until("\n");
  c.loop.call_later(5ms, [&] {
    write_raw(p.write_end, "no newline");
    p.close_write();
  });
  CHECK_THROWS_AS(wait_for(c.loop, read), eddy::StreamClosedError);
  CHECK(failure_of(read).find("peer closed") != std::string::npos);
  CHECK(in.read_buffer_size() == 10);  // what came is still there
}

TEST_CASE("writing to a pipe whose reader is gone fails with broken pipe and raises no SIGPIPE",
          "[iostream][pipe][errors]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream out(p.take_write());
  p.close_read();
  // SIGPIPE's default action kills the process: surviving is the test.
  Future<void> written = out.write("nobody reads this");
  CHECK_THROWS_AS(wait_for(c.loop, written), eddy::StreamClosedError);
  CHECK(failure_of(written).find("broken pipe") != std::string::npos);
  CHECK(out.closed());
  CHECK_FALSE(sigpipe_pending());
}

TEST_CASE("a queued write fails with broken pipe when the reader closes mid-transfer", "[iostream][pipe][errors]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream out(p.take_write());
  Future<void> written = out.write(pattern(1024 * 1024));
  REQUIRE_FALSE(written.done());
  c.loop.call_later(5ms, [&] { p.close_read(); });
  CHECK_THROWS_AS(wait_for(c.loop, written), eddy::StreamClosedError);
  CHECK(failure_of(written).find("broken pipe") != std::string::npos);
}

TEST_CASE("an idle write end notices its reader going and runs the close callback", "[iostream][pipe][errors]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Pipe p;
  IOStream out(p.take_write());
  bool closed = false;
  out.set_close_callback([&] { closed = true; });
  p.close_read();
  spin(c.loop);
  CHECK(closed);
  REQUIRE(out.error());  // rethrowing a null exception_ptr is undefined
  try {
    std::rethrow_exception(out.error());
  } catch (const eddy::StreamClosedError& e) {
    CHECK(e.error() == EPIPE);
  }
}

TEST_CASE("a SIGPIPE pending before a failed pipe write stays pending", "[iostream][pipe][errors]") {
  CurrentLoop c(eddy::Backend::automatic);
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ::pthread_kill(::pthread_self(), SIGPIPE);  // the application's own, held pending
  Pipe p;
  IOStream out(p.take_write());
  p.close_read();
  Future<void> written = out.write("x");
  CHECK_THROWS_AS(wait_for(c.loop, written), eddy::StreamClosedError);
  CHECK(sigpipe_pending());  // not swallowed by the stream
  timespec zero{};
  ::sigtimedwait(&pipe_only, nullptr, &zero);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}
