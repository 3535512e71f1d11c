// Subprocess with real programs (/bin/sh, cat, sleep, yes, head, true):
// exit codes and signals, wait_for_exit with and without raise_error, pipes
// as IOStreams (10 MiB through cat, a child killed mid-write, output left in
// a pipe after exit), 1,000 children reaped with no zombie left, send_signal
// after exit, programs that do not exist, cwd and env, close-on-exec and the
// signal state the child starts with, and children reaped by someone else.
// The exit watch runs both ways: pidfd (where the kernel has it) and the
// SIGCHLD fallback (forced by a test hook). Exit watching and pipes run on
// every backend the build offers (backends(): epoll and poll, and kqueue in
// eddy_tests_kqueue).
#include <eddy/netutil.hpp>
#include <eddy/process.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "support/loop_helpers.hpp"
#include "support/process_helpers.hpp"
#include "support/stream_helpers.hpp"
#include "support/temp_dir.hpp"

using namespace eddy_test;
using eddy::CalledProcessError;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;
using eddy::Subprocess;
using eddy::SubprocessOptions;

namespace {

SubprocessOptions piped(bool in, bool out, bool err = false) {
  SubprocessOptions o;
  o.stdin_pipe = in;
  o.stdout_pipe = out;
  o.stderr_pipe = err;
  return o;
}

Future<std::string> output_of(std::vector<std::string> argv, SubprocessOptions options) {
  options.stdout_pipe = true;
  Subprocess child(std::move(argv), options);
  IOStream out = *child.stdout_stream();
  std::string text = co_await out.read_until_close();
  co_await child.wait_for_exit();
  co_return text;
}

// Runs `total` children of /bin/true, `width` at once; returns how many
// exited with 0.
Future<int> run_many(int total, int width) {
  int ok = 0, started = 0;
  std::vector<Future<void>> lanes;
  auto lane = [&]() -> Future<void> {
    while (started < total) {
      ++started;
      Subprocess child({"/bin/true"});
      int code = co_await child.wait_for_exit();
      if (code == 0) ++ok;
    }
  };
  for (int i = 0; i < width; ++i) lanes.push_back(lane());
  for (Future<void>& f : lanes) co_await f;
  co_return ok;
}

}  // namespace

TEST_CASE("wait_for_exit gives the exit status, and raise_error turns non-zero into CalledProcessError",
          "[process][subprocess]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  Subprocess ok({"/bin/sh", "-c", "exit 0"});
  CHECK(wait_for(c.loop, ok.wait_for_exit()) == 0);
  CHECK(ok.returncode() == 0);
  Subprocess three({"/bin/sh", "-c", "exit 3"});
  CHECK(wait_for(c.loop, three.wait_for_exit(false)) == 3);
  CHECK(three.returncode() == 3);
  Future<int> raised = three.wait_for_exit();  // after the exit too
  try {
    wait_for(c.loop, raised);
    FAIL("no CalledProcessError");
  } catch (const CalledProcessError& e) {
    CHECK(e.returncode() == 3);
    CHECK(std::string(e.what()).find("exited with status 3") != std::string::npos);
  }
  CHECK(ok.pid() > 0);
}

TEST_CASE("a child killed by a signal returns -N and send_signal after its exit does nothing",
          "[process][subprocess]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  Subprocess sleeper({"sleep", "30"});
  c.loop.call_later(std::chrono::milliseconds(20), [&] { sleeper.send_signal(SIGTERM); });
  CHECK(wait_for(c.loop, sleeper.wait_for_exit(false)) == -SIGTERM);
  Future<int> raised = sleeper.wait_for_exit(true);
  CHECK_THROWS_AS(wait_for(c.loop, raised), CalledProcessError);
  CHECK(failure_of(raised).find("killed by signal 15") != std::string::npos);
  sleeper.send_signal(SIGKILL);  // reaped: nothing happens, nothing throws
  CHECK(sleeper.returncode() == -SIGTERM);
}

TEST_CASE("a program that does not exist throws std::system_error ENOENT from the constructor",
          "[process][subprocess][errors]") {
  CurrentLoop c;
  try {
    Subprocess missing({"eddy-no-such-program", "arg"});
    FAIL("started a program that does not exist");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
    CHECK(std::string(e.what()).find("eddy-no-such-program") != std::string::npos);
  }
  TempDir dir;
  try {
    SubprocessOptions o;
    o.cwd = dir.file("missing");
    Subprocess nowhere({"/bin/true"}, o);
    FAIL("started in a missing directory");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
  }
  std::string script = dir.file("not-executable");
  std::ofstream(script) << "echo hi\n";
  try {
    Subprocess denied({script});
    FAIL("started a file without execute permission");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == EACCES);
  }
  CHECK_THROWS_AS(Subprocess(std::vector<std::string>{}), std::invalid_argument);
}

TEST_CASE("stdout and stderr pipes are IOStreams, and stderr_to_stdout merges them", "[process][subprocess]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Subprocess both({"/bin/sh", "-c", "echo out; echo err >&2"}, piped(false, true, true));
  CHECK(wait_for(c.loop, both.stdout_stream()->read_until_close()) == "out\n");
  CHECK(wait_for(c.loop, both.stderr_stream()->read_until_close()) == "err\n");
  CHECK_FALSE(both.stdin_stream());
  SubprocessOptions merged;
  merged.stderr_to_stdout = true;
  CHECK(wait_for(c.loop, output_of({"/bin/sh", "-c", "echo one; echo two >&2; echo three"}, merged)) ==
        "one\ntwo\nthree\n");
}

TEST_CASE("10 MiB go through cat's stdin and stdout intact", "[process][subprocess][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Subprocess cat({"cat"}, piped(true, true));
  std::string data = pattern(10 * 1024 * 1024);
  IOStream in = *cat.stdin_stream();
  Future<void> written = in.write(data);
  written.add_done_callback([in](const Future<void>&) mutable { in.close(); });  // EOF for cat
  Future<std::string> echoed = cat.stdout_stream()->read_until_close();
  CHECK(wait_for(c.loop, echoed, std::chrono::seconds(60)) == data);
  CHECK(wait_for(c.loop, cat.wait_for_exit()) == 0);
}

TEST_CASE("yes | head gives 1,000 lines and exits 0", "[process][subprocess][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  std::string out = wait_for(c.loop, output_of({"/bin/sh", "-c", "yes | head -n 1000"}, {}));
  CHECK(out.size() == 2000);
  CHECK(out.find_first_not_of("y\n") == std::string::npos);
}

TEST_CASE("a child killed mid-write leaves what it wrote readable and no error", "[process][subprocess][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Subprocess yes({"yes"}, piped(false, true));
  IOStream out = *yes.stdout_stream();
  CHECK(wait_for(c.loop, out.read_bytes(100000)).size() == 100000);
  yes.send_signal(SIGKILL);
  std::string rest = wait_for(c.loop, out.read_until_close());
  CHECK(rest.find_first_not_of("y\n") == std::string::npos);
  CHECK(wait_for(c.loop, yes.wait_for_exit(false)) == -SIGKILL);
}

TEST_CASE("writing to a killed child's stdin fails with broken pipe, not SIGPIPE", "[process][subprocess][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Subprocess sleeper({"sleep", "30"}, piped(true, false));
  IOStream in = *sleeper.stdin_stream();
  Future<void> big = in.write(pattern(1024 * 1024));  // fills the pipe: nobody reads
  sleeper.send_signal(SIGKILL);
  CHECK_THROWS_AS(wait_for(c.loop, big), eddy::StreamClosedError);
  CHECK(failure_of(big).find("broken pipe") != std::string::npos);
  CHECK(wait_for(c.loop, sleeper.wait_for_exit(false)) == -SIGKILL);
}

TEST_CASE("output a child left in its pipe after exiting is all still read", "[process][subprocess][pipe]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  Subprocess writer({"head", "-c", "60000", "/dev/zero"}, piped(false, true));
  CHECK(wait_for(c.loop, writer.wait_for_exit()) == 0);  // exited with its output unread
  CHECK(wait_for(c.loop, writer.stdout_stream()->read_until_close()) == std::string(60000, '\0'));
}

TEST_CASE("1,000 children, 20 at once, are all reaped and leave no zombie", "[process][subprocess][many]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  int ok = c.loop.run_sync([] { return run_many(1000, 20); }, std::chrono::seconds(120));
  CHECK(ok == 1000);
  CHECK(zombie_children().empty());
}

TEST_CASE("the exit callback runs on the loop with the return code, also when set after the exit",
          "[process][subprocess]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  Subprocess child({"/bin/sh", "-c", "exit 7"});
  int before = -1, after = -1;
  child.set_exit_callback([&](int code) { before = code; });
  CHECK(wait_for(c.loop, child.wait_for_exit(false)) == 7);
  spin(c.loop);
  CHECK(before == 7);
  child.set_exit_callback([&](int code) { after = code; });
  CHECK(after == -1);  // never inside the call
  spin(c.loop);
  CHECK(after == 7);
}

TEST_CASE("a Subprocess dropped before its child exits still has it reaped", "[process][subprocess]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  int pid = 0;
  {
    Subprocess child({"sleep", "0.1"});
    pid = child.pid();
  }
  for (int i = 0; i < 200 && is_child(pid); ++i) spin(c.loop, std::chrono::milliseconds(20));
  CHECK_FALSE(is_child(pid));
}

TEST_CASE("cwd and env reach the child", "[process][subprocess]") {
  CurrentLoop c;
  TempDir dir;
  SubprocessOptions o;
  o.cwd = dir.path();
  o.env = std::vector<std::string>{"EDDY_GREETING=hello there", "PATH=/usr/bin:/bin"};
  std::string out = wait_for(c.loop, output_of({"/bin/sh", "-c", "pwd; echo \"$EDDY_GREETING\"; echo \"${HOME-unset}\""}, o));
  char real[4096];
  REQUIRE(::realpath(dir.path().c_str(), real) != nullptr);
  CHECK(out == std::string(real) + "\nhello there\nunset\n");
}

TEST_CASE("the child inherits no fd eddy owns and starts with no blocked or ignored signal",
          "[process][subprocess]") {
  CurrentLoop c;
  eddy::UDPSocket udp = eddy::UDPSocket::bind(0, "127.0.0.1");
  Subprocess other({"sleep", "5"}, piped(true, true, true));
  std::set<int> parent_inheritable = inheritable_fds();
  std::string listing = wait_for(c.loop, output_of({"/bin/sh", "-c", "ls /proc/$$/fd"}, {}));
  std::set<int> child_fds;
  std::istringstream in(listing);
  for (int fd; in >> fd;) child_fds.insert(fd);
  for (int fd : child_fds) {
    INFO("fd " << fd << " reached the child");
    CHECK((fd <= 2 || parent_inheritable.count(fd) == 1));
  }
  CHECK(child_fds.count(udp.fd()) == 0);
  CHECK(child_fds.count(other.stdout_stream()->fd()) == 0);

  sigset_t blocked, old;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &blocked, &old);
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR2, &ignore, &previous);
  std::string status = wait_for(c.loop, output_of({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}, {}));
  ::sigaction(SIGUSR2, &previous, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // glibc's posix_spawn leaves its two internal signals (32 and 33, which
  // sigfillset leaves out) ignored; every other signal is at its default.
  std::size_t ign = status.find("SigIgn:\t");
  REQUIRE(ign != std::string::npos);
  unsigned long long ignored = std::stoull(status.substr(ign + 8, 16), nullptr, 16);
  CHECK(status.rfind("SigBlk:\t0000000000000000\n", 0) == 0);
  CHECK((ignored & ~0x180000000ull) == 0);
  other.send_signal(SIGKILL);
  wait_for(c.loop, other.wait_for_exit(false));
}

TEST_CASE("a child reaped by someone else fails wait_for_exit with ECHILD instead of hanging",
          "[process][subprocess][errors]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  Subprocess child({"/bin/sh", "-c", "sleep 0.1; exit 4"});  // still running when the watch looks first
  int status = 0;
  REQUIRE(::waitpid(child.pid(), &status, 0) == child.pid());  // someone else's waitpid
  Future<int> exit = child.wait_for_exit();
  CHECK_THROWS_AS(wait_for(c.loop, exit), std::system_error);
  CHECK(error_code_of(exit.exception()) == ECHILD);
  CHECK(failure_of(exit).find("reaped by someone else") != std::string::npos);
  CHECK_FALSE(child.returncode());
  child.send_signal(SIGTERM);  // the pid may be anyone's now: nothing is sent
}

TEST_CASE("with SIGCHLD ignored, wait_for_exit returns or fails with a clear message, never hangs",
          "[process][subprocess][errors]") {
  auto watch = GENERATE(ChildWatch::pidfd, ChildWatch::sigchld);
  auto backend = GENERATE(from_range(backends()));
  WatchMode mode(watch);
  CurrentLoop c(backend);
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ignore, &previous);
  Subprocess child({"/bin/sh", "-c", "exit 5"});
  Future<int> exit = child.wait_for_exit(false);
  c.loop.call_later(std::chrono::seconds(10), [&] { c.loop.stop(); });
  exit.add_done_callback([&](const Future<int>&) { c.loop.stop(); });
  c.loop.start();
  ::sigaction(SIGCHLD, &previous, nullptr);
  REQUIRE(exit.done());
  if (exit.exception()) {
    CHECK(error_code_of(exit.exception()) == ECHILD);
    CHECK(failure_of(exit).find("SIG_IGN") != std::string::npos);
  } else {
    CHECK(exit.result() == 5);
  }
}
