// Connecting: over the Unix socket and TCP, by host name (resolved off the
// loop), with a password; and every way it fails: a bad password (28P01), no
// server (08001), a host that never answers (the timeout), a bad connection
// string, a cancelled attempt.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

namespace {

// A listener whose backlog is full and that never accepts: a connect to it
// neither succeeds nor fails (its SYN is dropped), as a host that is down.
struct BlackHole {
  int listener = -1;
  std::vector<int> fillers;
  int port = 0;
  BlackHole() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener, 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    // Fill the backlog with connections nobody accepts.
    for (int i = 0; i < 8; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers.push_back(fd);
    }
  }
  ~BlackHole() {
    for (int fd : fillers) ::close(fd);
    ::close(listener);
  }
};

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const pg::Error& e) {
    return e.sqlstate() + " " + e.what();
  } catch (const std::exception& e) {
    return std::string("other ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("connect over the Unix socket and over TCP, and query", "[postgres][server][connect]") {
  eddy::IOLoop loop;
  pg::Connection by_socket = pg_connect(loop, pg_server().socket_conninfo());
  pg::Connection by_tcp = pg_connect(loop, pg_server().tcp_conninfo());
  CHECK_FALSE(by_socket.closed());
  CHECK(text(run_query(loop, by_socket, "SELECT 1")) == "1");
  CHECK(text(run_query(loop, by_tcp, "SELECT inet_server_addr()::text")) == "127.0.0.1/32");
}

TEST_CASE("a host name is resolved off the loop and connected to", "[postgres][server][connect]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop, "host=localhost port=" + std::to_string(pg_server().port()) +
                                             " user=eddy dbname=postgres sslmode=disable");
  CHECK(text(run_query(loop, conn, "SELECT current_user")) == "eddy");
}

TEST_CASE("a postgresql:// URI connects", "[postgres][server][connect]") {
  eddy::IOLoop loop;
  pg::Connection conn =
      pg_connect(loop, "postgresql://eddy@127.0.0.1:" + std::to_string(pg_server().port()) + "/postgres");
  CHECK(text(run_query(loop, conn, "SELECT 2")) == "2");
}

TEST_CASE("scram-sha-256: the right password connects, a wrong one fails with 28P01", "[postgres][server][connect]") {
  eddy::IOLoop loop;
  std::string base = "user=eddy_scram dbname=postgres ";
  pg::Connection conn = pg_connect(loop, pg_server().socket_conninfo() + " " + base + "password=eddy-secret");
  CHECK(text(run_query(loop, conn, "SELECT current_user")) == "eddy_scram");
  pg::Connection tcp = pg_connect(loop, pg_server().tcp_conninfo() + " " + base + "password=eddy-secret");
  CHECK_FALSE(tcp.closed());
  std::string e = error_of([&] { pg_connect(loop, pg_server().tcp_conninfo() + " " + base + "password=wrong"); });
  CHECK_THAT(e, Catch::StartsWith("28P01 "));
  CHECK_THAT(e, Catch::Contains("password authentication failed for user \"eddy_scram\""));
}

TEST_CASE("no server listening fails with 08001", "[postgres][server][connect]") {
  eddy::IOLoop loop;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port nobody listens on
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));
  std::string e = error_of([&] { pg_connect(loop, "hostaddr=127.0.0.1 port=" + port + " user=eddy"); });
  ::close(fd);
  CHECK_THAT(e, Catch::StartsWith("08001 "));
  CHECK_THAT(e, Catch::Contains("Connection refused"));
  std::string missing = error_of([&] { pg_connect(loop, "host=/nonexistent-dir port=5432 user=eddy"); });
  CHECK_THAT(missing, Catch::StartsWith("08001 "));
  std::string unknown = error_of([&] { pg_connect(loop, "host=no-such-host.invalid user=eddy"); });
  CHECK_THAT(unknown, Catch::StartsWith("08001 "));
  CHECK_THAT(unknown, Catch::Contains("no-such-host.invalid"));
}

TEST_CASE("a host that never answers fails with TimeoutError after the timeout, the loop running meanwhile",
          "[postgres][server][connect][timeout]") {
  BlackHole hole;
  eddy::IOLoop loop;
  int ticks = 0;
  eddy::PeriodicCallback ticker(loop, [&] { ++ticks; }, 20ms);
  ticker.start();
  auto start = std::chrono::steady_clock::now();
  std::string conninfo = "hostaddr=127.0.0.1 port=" + std::to_string(hole.port) + " user=eddy";
  CHECK_THROWS_AS(loop.run_sync([&] { return pg::Connection::connect(conninfo, 300ms); }, 30s), eddy::TimeoutError);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 20s);
  CHECK(ticks >= 3);  // generous: the loop kept running while connecting
}

TEST_CASE("a malformed connection string fails with invalid_argument", "[postgres][connect][errors]") {
  eddy::IOLoop loop;
  CHECK_THROWS_AS(loop.run_sync([] { return pg::Connection::connect("host='unterminated"); }), std::invalid_argument);
  CHECK_THROWS_AS(loop.run_sync([] { return pg::Connection::connect("nonsense_keyword=1"); }), std::invalid_argument);
}

TEST_CASE("a connect whose waiter gives up (with_timeout) is abandoned with CancelledError",
          "[postgres][server][connect][cancel]") {
  BlackHole hole;
  eddy::IOLoop loop;
  std::string conninfo = "hostaddr=127.0.0.1 port=" + std::to_string(hole.port) + " user=eddy";
  eddy::Future<pg::Connection> attempt;
  CHECK_THROWS_AS(loop.run_sync([&] {
    attempt = pg::Connection::connect(conninfo, 20s);
    return eddy::with_timeout(100ms, attempt);
  }, 30s), eddy::TimeoutError);
  REQUIRE(attempt.done());
  CHECK_THROWS_AS(attempt.result(), eddy::CancelledError);
}
