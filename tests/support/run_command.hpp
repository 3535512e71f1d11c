// Runs a shell command the way the example tests need: everything it prints
// on stdout (redirections in the command decide what else lands there), its
// exit status and how long it took. One runner for every example test, so
// reading, closing and timing are written once.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>


namespace eddy_test {

struct CommandRun {
  std::string out;     // the command's standard output
  int status = -1;     // pclose's wait status; -1 when it could not start
  double seconds = 0;  // wall time from start to exit
  // The exit code when the command exited normally, else -1.
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// Runs `command` under /bin/sh and waits for it; never throws for a failing
// command (the caller checks `status`). No Catch2 macro inside, so a test
// may run it on the executor thread: a command that cannot start gives
// status -1 and no output.
inline CommandRun run_command_anywhere(const std::string& command) {
  auto start = std::chrono::steady_clock::now();
  CommandRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);  // binary-safe
  run.status = ::pclose(pipe);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

// As run_command_anywhere, on the test's thread: fails the test if the
// command cannot start.
inline CommandRun run_command(const std::string& command) {
  CommandRun run = run_command_anywhere(command);
  REQUIRE(run.status != -1);
  return run;
}

// True when `program` is on PATH (a test that needs curl or python3 skips
// without it).
inline bool have_program(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// The example helpers need EDDY_EXAMPLE_DIR, the directory holding the
// example binaries; run_command alone (a test driving curl or python3) does not.
#ifdef EDDY_EXAMPLE_DIR
// The path of an example binary.
inline std::string example_path(const std::string& name) { return std::string(EDDY_EXAMPLE_DIR) + "/" + name; }

// Runs an example with `args` and `redirect` (default: stderr discarded) and
// requires that it exits with status 0.
inline CommandRun run_example(const std::string& name, const std::string& args = "",
                              const std::string& redirect = "2>/dev/null") {
  CommandRun run = run_command(example_path(name) + " " + args + " " + redirect);
  INFO(run.out);
  REQUIRE(run.status == 0);
  return run;
}
#endif  // EDDY_EXAMPLE_DIR

}  // namespace eddy_test
