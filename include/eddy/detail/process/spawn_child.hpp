// spawn_child: one posix_spawnp call with the pipes and settings of a
// SubprocessOptions. Included by spawn.hpp; see it for the rules.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "spawn.hpp"

namespace eddy::detail {

// Starts argv[0] (searched in PATH as execvp does, with the parent's PATH)
// with `options` (a SubprocessOptions). Returns the pid and the parent's
// pipe ends; throws std::invalid_argument for an empty argv or contradictory
// options, std::system_error with the exec's (or chdir's) errno when the
// program cannot be started. Nothing is left open on failure.
template <class Options>
inline SpawnedChild spawn_child(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty() || argv.front().empty()) throw std::invalid_argument("eddy: Subprocess: empty argv");
  if (options.stderr_pipe && options.stderr_to_stdout) {
    throw std::invalid_argument("eddy: Subprocess: stderr_pipe and stderr_to_stdout exclude each other");
  }
  SpawnPipe in, out, err;
  SpawnSetup setup;
  setup.reset_signals();
  if (options.stdin_pipe) {
    in.open();
    setup.dup_onto(in.fds[0], 0);
  }
  if (options.stdout_pipe) {
    out.open();
    setup.dup_onto(out.fds[1], 1);
  }
  if (options.stderr_pipe) {
    err.open();
    setup.dup_onto(err.fds[1], 2);
  }
  if (options.stderr_to_stdout) setup.dup_onto(1, 2);  // after stdout: its pipe, if any
  if (!options.cwd.empty()) setup.change_directory<Options>(options.cwd);
  std::vector<char*> args = c_strings<Options>(argv);
  std::vector<char*> env;
  if (options.env) env = c_strings<Options>(*options.env);
  SpawnedChild child;
  int error = ::posix_spawnp(&child.pid, args[0], &setup.actions, &setup.attr, args.data(),
                             options.env ? env.data() : environ);
  if (error != 0) {
    std::string where = options.cwd.empty() ? std::string() : " in '" + options.cwd + "'";
    throw std::system_error(error, std::generic_category(), "eddy: Subprocess: cannot run '" + argv[0] + "'" + where);
  }
  // The child has its ends (dup'ed); the parent keeps the others. `in`,
  // `out` and `err` close what is left when they go.
  child.stdin_fd = in.take(1);
  child.stdout_fd = out.take(0);
  child.stderr_fd = err.take(0);
  return child;
}

}  // namespace eddy::detail
