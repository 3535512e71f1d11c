// Helpers for the static-files tests: a directory of known files, a shell
// runner for curl, and counting this process's open descriptors.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "run_command.hpp"
#include "temp_dir.hpp"

namespace eddy_test {

// Bytes that differ at every offset within a 251-byte period.
inline std::string static_pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('!' + i % 251 % 90);
  return out;
}

inline void write_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// The command's standard output.
inline std::string shell(const std::string& command) { return run_command(command).out; }

// How many descriptors this process has open.
inline int open_fd_count() {
  int count = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++count;
  }
  ::closedir(d);
  return count - 1;  // the directory's own
}

// Waits (bounded) until at most `limit` descriptors are open; the count.
inline int wait_fd_count_at_most(int limit, std::chrono::seconds patience = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  int n = open_fd_count();
  while (n > limit && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    n = open_fd_count();
  }
  return n;
}

// A root with: small.txt (13 bytes), page.html, data.json, big.bin (1 MiB +
// 7, patterned), sub/inner.css, an empty file, and a symlink inside.
struct StaticRootFixture {
  TempDir dir;
  std::string root = dir.file("root");
  std::string big = static_pattern(1024 * 1024 + 7);
  StaticRootFixture() {
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    REQUIRE(::mkdir((root + "/sub").c_str(), 0755) == 0);
    write_file(root + "/small.txt", "hello, static");
    write_file(root + "/page.html", "<p>page</p>");
    write_file(root + "/data.json", "{\"a\":1}");
    write_file(root + "/big.bin", big);
    write_file(root + "/sub/inner.css", "p{}");
    write_file(root + "/empty.txt", "");
    REQUIRE(::symlink("small.txt", (root + "/link.txt").c_str()) == 0);
  }
};

}  // namespace eddy_test
