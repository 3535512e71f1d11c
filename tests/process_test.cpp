// fork_processes, Tornado's multi-process model. Every fork here happens in a
// child of the test process, so the test binary itself never becomes a
// fork_processes parent, and every wait is bounded.
#include <eddy/process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "support/stream_helpers.hpp"

using namespace eddy_test;

namespace {

// Everything written to fd until every writer closed it (bounded).
std::string read_all(int fd) {
  std::string out;
  char buf[64];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("fork_processes forks n children that return their index, and the parent exits 0 after them",
          "[process]") {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(out[0]);
    int index = eddy::fork_processes(3);  // the intermediate parent exits inside
    char c = static_cast<char>('0' + index);
    if (eddy::task_id() != index || ::write(out[1], &c, 1) != 1) ::_exit(1);
    ::_exit(0);
  }
  ::close(out[1]);
  std::string indices = read_all(out[0]);
  ::close(out[0]);
  int status = wait_child(pid);
  std::sort(indices.begin(), indices.end());
  CHECK(indices == "012");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("fork_processes restarts a child that fails, under the same index", "[process]") {
  char marker[] = "/tmp/eddy_fork_processes_XXXXXX";
  int marker_fd = ::mkstemp(marker);
  REQUIRE(marker_fd >= 0);
  ::close(marker_fd);
  ::unlink(marker);  // child 0's first run creates it and fails; its restart finds it and succeeds
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(out[0]);
    ::close(2);  // keep the parent's restart notice out of the test log
    int index = eddy::fork_processes(2);
    char c = static_cast<char>('0' + index);
    if (::write(out[1], &c, 1) != 1) ::_exit(1);
    if (index == 0) {
      int fd = ::open(marker, O_CREAT | O_EXCL | O_WRONLY, 0600);
      if (fd >= 0) {
        ::close(fd);
        ::_exit(3);  // first run: fail
      }
    }
    ::_exit(0);
  }
  ::close(out[1]);
  std::string indices = read_all(out[0]);
  ::close(out[0]);
  int status = wait_child(pid);
  ::unlink(marker);
  std::sort(indices.begin(), indices.end());
  CHECK(indices == "001");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("fork_processes refuses to run with a loop already current", "[process]") {
  eddy::IOLoop loop;
  loop.make_current();
  CHECK_THROWS_AS(eddy::fork_processes(2), std::logic_error);
}
