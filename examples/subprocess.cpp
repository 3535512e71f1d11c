// Running other programs without blocking the loop. Two commands each take
// a second ("sleep 1; echo ..."). Run with std::system, a blocking call,
// the loop waits for each in turn: 2 s. Run as eddy::Subprocess, the loop
// starts both and waits for neither: their output arrives on the loop
// through pipes and both finish after 1 s.
//
//   subprocess --blocking   started tea, tea is ready, started toast, toast is ready (2 s)
//   subprocess              started tea, started toast, tea is ready, toast is ready (1 s)
//
// Build: g++ -std=c++20 -Iinclude examples/subprocess.cpp -pthread
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// The wrong way: std::system blocks the loop until the command exits.
void blocking(const char* what) {
  std::printf("started %s\n", what);
  std::fflush(stdout);
  std::string command = std::string("sleep 1; echo '") + what + " is ready'";
  [[maybe_unused]] int status = std::system(command.c_str());  // its echo shares our stdout
  std::fflush(stdout);
}

// The right way: the child runs while the loop does other work; its output
// comes back through a pipe, read with a coroutine.
eddy::Future<std::string> on_the_loop(const char* what) {
  eddy::SubprocessOptions options;
  options.stdout_pipe = true;
  std::vector<std::string> argv{"/bin/sh", "-c", std::string("sleep 1; echo '") + what + " is ready'"};
  eddy::Subprocess child(argv, options);
  std::printf("started %s\n", what);
  std::fflush(stdout);
  eddy::IOStream out = *child.stdout_stream();
  std::string line = co_await out.read_until_close();
  co_await child.wait_for_exit();  // throws CalledProcessError if it failed
  co_return line;
}

eddy::Future<void> both() {
  // Both start before either is awaited, so they run at the same time.
  eddy::Future<std::string> tea = on_the_loop("tea");
  eddy::Future<std::string> toast = on_the_loop("toast");
  std::string tea_line = co_await tea;
  std::fputs(tea_line.c_str(), stdout);
  std::string toast_line = co_await toast;
  std::fputs(toast_line.c_str(), stdout);
}

int main(int argc, char** argv) {
  eddy::IOLoop loop;
  auto start = std::chrono::steady_clock::now();
  if (argc > 1 && std::strcmp(argv[1], "--blocking") == 0) {
    loop.add_callback([] { blocking("tea"); });
    loop.add_callback([&] {
      blocking("toast");
      loop.stop();
    });
    loop.start();
  } else {
    loop.run_sync(both);
  }
  std::fprintf(stderr, "took %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}
