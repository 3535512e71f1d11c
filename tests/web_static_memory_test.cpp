// Application::static_files serves a 1 GiB file without holding it: the
// server (in this process) reads none of it into memory, so a client that
// reads slowly costs no more memory than a fast one; and a client that
// stops reading is closed after send_timeout, its file closed with it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "support/http_test_server.hpp"
#include "support/static_files_helpers.hpp"

using namespace eddy_test;

namespace {

constexpr std::uint64_t gib = 1024ull * 1024 * 1024;

// This process's resident set, in bytes.
std::uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// A sparse file of `size` bytes (no disk blocks): truncate(1)'s way.
void sparse_file(const std::string& path, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
  REQUIRE(::pwrite(fd, "END", 3, static_cast<off_t>(size - 3)) == 3);
  ::close(fd);
}

// The length of the head in `buffer`, once it holds a whole head.
std::size_t head_length(const std::string& buffer) {
  std::size_t end = buffer.find("\r\n\r\n");
  return end == std::string::npos ? 0 : end + 4;
}

}  // namespace

TEST_CASE("a 1 GiB file goes to a slow reader with the server's memory bounded", "[web][static][memory]") {
  TempDir dir;
  REQUIRE(::mkdir(dir.file("root").c_str(), 0755) == 0);
  sparse_file(dir.file("root/huge.bin"), gib);
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { app.static_files("/files", dir.file("root")); });
  Client c(server.port());
  int small = 64 * 1024;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send(get_request("/files/huge.bin"));
  while (head_length(c.buffered()) == 0) REQUIRE(c.receive_some());
  std::string head = c.buffered().substr(0, head_length(c.buffered()));
  CHECK(head.find("Content-Length: 1073741824\r\n") != std::string::npos);
  std::uint64_t received = c.buffered().size() - head.size();
  c.buffered().clear();
  std::uint64_t rss0 = rss_bytes(), peak = rss0;
  // Slowly first: 16 MiB in 64 KiB reads with a pause every 1 MiB, so the
  // server keeps finding the socket full.
  std::string tail;
  char chunk[65536];
  auto read_some = [&] {
    ssize_t n = ::recv(c.fd(), chunk, sizeof chunk, 0);
    REQUIRE(n > 0);
    received += static_cast<std::uint64_t>(n);
    tail.append(chunk + (n > 3 ? n - 3 : 0), chunk + n);
    if (tail.size() > 3) tail.erase(0, tail.size() - 3);
  };
  while (received < 16 * 1024 * 1024) {
    read_some();
    if (received % (1024 * 1024) < sizeof chunk) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      peak = std::max(peak, rss_bytes());
    }
  }
  // Then the rest as fast as it comes, checking the memory now and then.
  std::uint64_t next_check = received;
  while (received < gib) {
    read_some();
    if (received >= next_check) {
      peak = std::max(peak, rss_bytes());
      next_check += 64 * 1024 * 1024;
    }
  }
  CHECK(received == gib);
  CHECK(tail == "END");
  INFO("RSS grew by " << (peak - rss0) / 1024 << " KiB");
  CHECK(peak - rss0 < 64ull * 1024 * 1024);
  // The connection is still good for another request.
  c.send(get_request("/files/huge.bin", "Range: bytes=-3\r\n"));
  CHECK(c.response().body == "END");
}

TEST_CASE("a client that stops reading a large file is closed after send_timeout, the file with it",
          "[web][static][memory]") {
  TempDir dir;
  REQUIRE(::mkdir(dir.file("root").c_str(), 0755) == 0);
  sparse_file(dir.file("root/huge.bin"), gib);
  eddy::HTTPServerOptions options;
  options.send_timeout = std::chrono::milliseconds(300);
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { app.static_files("/files", dir.file("root")); },
                        options);
  { Client warm(server.port()); warm.send(get_request("/files/huge.bin", "Range: bytes=0-0\r\n")); (void)warm.response(); }
  int baseline = wait_fd_count_at_most(0, std::chrono::seconds(0));
  Client c(server.port());
  c.send(get_request("/files/huge.bin"));
  REQUIRE(c.receive_some());
  // Read nothing more: the server's queue stops moving, and the sweep closes
  // the connection within a few send_timeouts. Then the rest drains to EOF.
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::uint64_t drained = 0;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::recv(c.fd(), chunk, sizeof chunk, 0);
    if (n <= 0) break;
    drained += static_cast<std::uint64_t>(n);
  }
  CHECK(drained < gib);  // cut short, not sent whole
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  CHECK(wait_fd_count_at_most(baseline + 1) <= baseline + 1);  // + the client's own socket
}
