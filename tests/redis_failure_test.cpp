// How the Redis client fails: a server killed mid-command, connects that are
// refused, time out or cannot start, servers that break RESP or hang up, and
// replies past the limits. Every failure is an Error of the right kind; no
// command is left hanging.
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>
#include <eddy/tcpserver.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::ClientOptions;
using eddy::redis::Error;
using eddy::redis::Reply;
using namespace std::chrono_literals;
using eddy_test::describe;
using eddy_test::failure_of;
using eddy_test::run_redis;
using eddy_test::shared_redis;

namespace {

Future<eddy_test::Failure> failure(Future<std::exception_ptr> outcome) {
  std::exception_ptr error = co_await outcome;
  co_return describe(error);
}
template <class T>
Future<eddy_test::Failure> failure(Future<T> future) {
  return failure(failure_of(std::move(future)));
}

// A TCP socket that listens on a free port and never accepts: a connect
// succeeds (the kernel's backlog) and then nothing ever answers.
struct SilentListener {
  int fd = -1;
  std::uint16_t port = 0;
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  std::string url(const std::string& query = "") const { return "redis://127.0.0.1:" + std::to_string(port) + query; }
};

// A port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
  SilentListener probe;
  return probe.port;  // closed when probe goes
}

// A fake server that answers every connection with `script`, once it has
// read `wait_for` bytes (0: at once), then closes if asked.
struct FakeServer {
  eddy::TCPServer server;
  std::uint16_t port = 0;
  FakeServer(std::string script, std::size_t wait_for, bool hang_up)
      : server([script, wait_for, hang_up](eddy::IOStream stream, std::string) -> Future<void> {
          if (wait_for > 0) {
            Future<std::string> request = stream.read_bytes(wait_for);
            co_await request;
          }
          Future<void> written = stream.write(script);
          co_await written;
          if (hang_up) stream.close();
          Future<void> linger = eddy::sleep(5s);  // keep the stream while the client reads
          co_await linger;
        }) {
    port = server.listen(0, "127.0.0.1");
  }
  ~FakeServer() { server.stop(); }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

TEST_CASE("a server killed mid-command fails every pending command with Error", "[redis][server][failure]") {
  eddy_test::RedisServer own;
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(own.url());
    Client client = co_await connecting;
    Future<Reply> warm = client.command("PING");
    co_await warm;
    Future<eddy_test::Failure> blocked = failure(client.command("BLPOP", "failure:list", 10));
    Future<eddy_test::Failure> queued = failure(client.command("GET", "failure:key"));
    Future<void> settle = eddy::sleep(50ms);  // both are on the wire, BLPOP blocks
    co_await settle;
    own.kill();
    eddy_test::Failure f = co_await blocked;
    CHECK(f.kind == Error::Kind::connection);
    CHECK(f.what.rfind("eddy: redis: connection lost", 0) == 0);
    eddy_test::Failure g = co_await queued;
    CHECK(g.kind == Error::Kind::connection);
    CHECK(client.closed());
    Future<eddy_test::Failure> later = failure(client.command("PING"));
    eddy_test::Failure h = co_await later;
    CHECK(h.what == f.what);
  });
}

TEST_CASE("a refused connect fails with Error naming the URL", "[redis][failure]") {
  std::string url = "redis://127.0.0.1:" + std::to_string(closed_port());
  run_redis([&]() -> Future<void> {
    Future<eddy_test::Failure> refused = failure(Client::connect(url));
    eddy_test::Failure f = co_await refused;
    CHECK(f.kind == Error::Kind::connection);
    CHECK(f.what.rfind("eddy: redis: connect to " + url + ": ", 0) == 0);
    CHECK(f.what.find("refused") != std::string::npos);
  });
}

TEST_CASE("a connect that gets no answer times out with Error", "[redis][failure]") {
  SilentListener silent;
  run_redis([&]() -> Future<void> {
    ClientOptions options;
    options.connect_timeout = 200ms;
    auto start = eddy::Clock::now();
    Future<eddy_test::Failure> timed_out = failure(Client::connect(silent.url("?protocol=3"), options));
    eddy_test::Failure f = co_await timed_out;
    CHECK(f.kind == Error::Kind::timeout);
    CHECK(f.what.find("timed out after 0.2") != std::string::npos);
    CHECK(eddy::Clock::now() - start >= 200ms);
    Future<eddy_test::Failure> quick = failure(Client::connect(silent.url("?protocol=3"), 1ms));
    eddy_test::Failure g = co_await quick;
    CHECK(g.kind == Error::Kind::timeout);
  });
}

TEST_CASE("connect fails with Error for a missing socket, rediss:// and a bad URL", "[redis][failure]") {
  run_redis([&]() -> Future<void> {
    Future<eddy_test::Failure> missing = failure(Client::connect("unix:///nonexistent/eddy/redis.sock"));
    eddy_test::Failure f = co_await missing;
    CHECK(f.kind == Error::Kind::connection);
    CHECK(f.what.find("No such file or directory") != std::string::npos);
    Future<eddy_test::Failure> tls = failure(Client::connect("rediss://127.0.0.1:6380"));
    eddy_test::Failure g = co_await tls;
    CHECK(g.kind == Error::Kind::usage);
    // This binary does not include <eddy/ssl.hpp>: the error says what to do.
    CHECK(g.what == "eddy: redis: rediss://127.0.0.1:6380: rediss:// needs TLS: include <eddy/ssl.hpp> and link "
                    "eddy::ssl (OpenSSL)");
    Future<Client> bad = Client::connect("redis://host:port");
    CHECK(bad.done());
    Future<eddy_test::Failure> bad_url = failure(bad);
    eddy_test::Failure h = co_await bad_url;
    CHECK(h.kind == Error::Kind::usage);
    CHECK(h.what == "eddy: redis: bad URL \"redis://host:port\": port \"port\" is not in 1-65535");
    std::string too_long = "unix:///" + std::string(200, 'x');
    Future<eddy_test::Failure> long_path = failure(Client::connect(too_long));
    eddy_test::Failure i = co_await long_path;
    CHECK(i.what.find("File name too long") != std::string::npos);
  });
}

TEST_CASE("a server that breaks RESP fails pending commands with a protocol Error", "[redis][failure]") {
  run_redis([&]() -> Future<void> {
    FakeServer garbage("+OK\r\n?garbage\r\n", 1, false);
    Future<Client> connecting = Client::connect(garbage.url());
    Client client = co_await connecting;
    Future<Reply> first = client.command("PING");
    Future<eddy_test::Failure> second = failure(client.command("PING"));
    Reply ok = co_await first;  // the good reply before the garbage still arrives
    CHECK(ok.as_string() == "OK");
    eddy_test::Failure f = co_await second;
    CHECK(f.kind == Error::Kind::protocol);
    CHECK(f.what == "eddy: redis: protocol error: unknown type byte");
    CHECK(client.closed());
  });
}

TEST_CASE("a reply nobody asked for is a protocol error that closes the connection", "[redis][failure]") {
  run_redis([&]() -> Future<void> {
    FakeServer chatty("+UNASKED\r\n", 0, false);
    Future<Client> connecting = Client::connect(chatty.url());
    Client client = co_await connecting;
    Future<void> settle = eddy::sleep(100ms);
    co_await settle;
    CHECK(client.closed());
    Future<eddy_test::Failure> after = failure(client.command("PING"));
    eddy_test::Failure f = co_await after;
    CHECK(f.what == "eddy: redis: protocol error: a reply arrived that no command asked for");
  });
}

TEST_CASE("a server hanging up mid-reply fails the command with Error", "[redis][failure]") {
  run_redis([&]() -> Future<void> {
    FakeServer cut("$10\r\nabc", 1, true);
    Future<Client> connecting = Client::connect(cut.url());
    Client client = co_await connecting;
    Future<eddy_test::Failure> get = failure(client.command("GET", "k"));
    eddy_test::Failure f = co_await get;
    CHECK(f.kind == Error::Kind::connection);
    CHECK(f.what.rfind("eddy: redis: connection lost", 0) == 0);
  });
}

TEST_CASE("QUIT is answered, then the next command fails: the server closed", "[redis][server][failure]") {
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(shared_redis().url());
    Client client = co_await connecting;
    Future<Reply> quit = client.command("QUIT");
    Reply ok = co_await quit;
    CHECK(ok.as_string() == "OK");
    Future<void> settle = eddy::sleep(100ms);
    co_await settle;
    Future<eddy_test::Failure> after = failure(client.command("PING"));
    eddy_test::Failure f = co_await after;
    CHECK(f.kind == Error::Kind::connection);
  });
}

TEST_CASE("a reply past the limits closes the connection with a protocol Error", "[redis][server][failure]") {
  run_redis([&]() -> Future<void> {
    Future<Client> setup_connect = Client::connect(shared_redis().url());
    Client setup = co_await setup_connect;
    std::string value(1000, 'v');
    Future<Reply> set = setup.command("SET", "failure:big", value);
    co_await set;
    ClientOptions options;
    options.limits.max_bulk_length = 999;
    Future<Client> connecting = Client::connect(shared_redis().url(), options);
    Client client = co_await connecting;
    Future<eddy_test::Failure> get = failure(client.command("GET", "failure:big"));
    eddy_test::Failure f = co_await get;
    CHECK(f.kind == Error::Kind::protocol);
    CHECK(f.what == "eddy: redis: protocol error: string longer than max_bulk_length");
  });
}
