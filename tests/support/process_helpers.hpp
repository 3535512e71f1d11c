// Helpers for the Subprocess tests: a current loop, choosing how children's
// exits are watched (pidfd or the SIGCHLD fallback), and looking at this
// process's children and descriptors through /proc.
#pragma once

#include <eddy/ioloop.hpp>
#include <eddy/process.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "current_loop.hpp"  // CurrentLoop

namespace eddy_test {

enum class ChildWatch { pidfd, sigchld };

// Forces the SIGCHLD fallback for children started while it lives (pidfd
// is the default where the kernel has it).
class WatchMode {
 public:
  explicit WatchMode(ChildWatch mode) : saved_(eddy::detail::force_sigchld_watch()) {
    eddy::detail::force_sigchld_watch() = mode == ChildWatch::sigchld;
  }
  ~WatchMode() { eddy::detail::force_sigchld_watch() = saved_; }
  WatchMode(const WatchMode&) = delete;
  WatchMode& operator=(const WatchMode&) = delete;

 private:
  bool saved_;
};

inline std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2024;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// True while `pid` is a child of this process not yet reaped.
inline bool is_child(int pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// The pids of this process's children that are zombies (exited, not reaped),
// read from /proc/<pid>/stat.
inline std::vector<int> zombie_children() {
  std::vector<int> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  const int self = static_cast<int>(::getpid());
  while (dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    std::size_t close = line.rfind(')');  // the command may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (state == 'Z' && ppid == self) out.push_back(std::atoi(entry->d_name));
  }
  ::closedir(proc);
  return out;
}

// This process's descriptors that a child would inherit (no FD_CLOEXEC).
inline std::set<int> inheritable_fds() {
  std::set<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    int fd = std::atoi(entry->d_name);
    int flags = ::fcntl(fd, F_GETFD);
    if (flags != -1 && (flags & FD_CLOEXEC) == 0) out.insert(fd);
  }
  ::closedir(dir);
  return out;
}

}  // namespace eddy_test
