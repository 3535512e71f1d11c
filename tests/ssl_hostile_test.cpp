// Hostile clients on a TLS port: garbage, plain HTTP, half a ClientHello
// (stalled, or followed by a close), a reset in the middle of a record, a
// client that leaves without close_notify. Each is closed without a crash
// or a leak, with at most one log line per hostile connection (none for a
// client that says nothing, or that leaves after a complete exchange), and
// the server goes on serving. And 2,000 Python clients held at once.
#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/raw_tls_client.hpp"
#include "support/tls_helpers.hpp"
#include "support/tls_peers.hpp"

using namespace std::chrono_literals;

namespace {

// A TLS line-echo server with a short handshake timeout, counting what its
// connections went through.
struct HostileBench {
  eddy::IOLoop loop;
  eddy_test::LogCounter log;
  std::shared_ptr<int> open = std::make_shared<int>(0);
  std::shared_ptr<int> most_open = std::make_shared<int>(0);
  std::shared_ptr<std::vector<std::string>> endings = std::make_shared<std::vector<std::string>>();
  std::optional<eddy::TCPServer> server;
  std::uint16_t port = 0;

  explicit HostileBench(eddy::Clock::duration handshake_timeout = 300ms) {
    loop.make_current();
    log.install(loop);
    eddy::SSLContext ctx = eddy_test::server_context();
    ctx.set_handshake_timeout(handshake_timeout);
    server.emplace([open = open, most = most_open, endings = endings](eddy::IOStream stream,
                                                                      std::string) -> eddy::Future<void> {
      if (++*open > *most) *most = *open;
      try {
        for (;;) {
          std::string line = co_await stream.read_until("\n", 1024);
          co_await stream.write(line);
        }
      } catch (const eddy::StreamClosedError& e) {
        endings->push_back(e.what());
      }
      --*open;
    });
    server->set_ssl_context(ctx);
    port = server->listen(0, "127.0.0.1");
  }

  // Runs `client` on a thread while the loop serves; then lets the loop run
  // until `settled()` (the server noticed what the client did) or 20 s pass.
  void run(const std::function<void()>& client, const std::function<bool()>& settled = [] { return true; }) {
    std::atomic<bool> finished{false};
    std::thread thread([&] {
      client();
      finished = true;
    });
    eddy::PeriodicCallback poll(loop, [&] {
      if (finished && settled()) loop.stop();
    }, 5ms);
    poll.start();
    eddy::Timeout guard = loop.call_later(20s, [&] { loop.stop(); });
    loop.start();
    poll.stop();
    loop.remove_timeout(guard);
    thread.join();
    CHECK(finished);
  }
};

}  // namespace

TEST_CASE("garbage, plain HTTP and half a ClientHello are closed with one log line each; service goes on",
          "[ssl][hostile]") {
  HostileBench bench;
  std::string echoed;
  bench.run([&] {
    int garbage = eddy_test::connect_raw(bench.port);
    eddy_test::send_raw(garbage, std::string(300, '\x7f'));
    eddy_test::drain_raw(garbage);  // returns once the server closed it
    ::close(garbage);
    int http = eddy_test::connect_raw(bench.port);
    eddy_test::send_raw(http, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    eddy_test::drain_raw(http);
    ::close(http);
    std::string hello = eddy_test::client_hello_bytes();
    int half = eddy_test::connect_raw(bench.port);
    eddy_test::send_raw(half, hello.substr(0, hello.size() / 2));
    ::shutdown(half, SHUT_WR);
    eddy_test::drain_raw(half);
    ::close(half);
    eddy_test::RawTLSClient good(bench.port);
    good.write("still here\n");
    echoed = good.read_some();
  }, [&] { return bench.log.count() >= 3; });
  CHECK(echoed == "still here\n");
  INFO(bench.log.all());
  REQUIRE(bench.log.count() == 3);
  CHECK_THAT((*bench.log.lines)[1], Catch::Contains("http request"));
  CHECK_THAT((*bench.log.lines)[2], Catch::Contains("during the handshake"));
}

TEST_CASE("a handshake stalled half-way is closed at the handshake timeout, with one log line",
          "[ssl][hostile][timeout]") {
  HostileBench bench;
  double waited = 0;
  bench.run([&] {
    std::string hello = eddy_test::client_hello_bytes();
    int stalled = eddy_test::connect_raw(bench.port);
    auto start = std::chrono::steady_clock::now();
    eddy_test::send_raw(stalled, hello.substr(0, 40));
    eddy_test::drain_raw(stalled);  // the server closes it after 300 ms
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ::close(stalled);
  }, [&] { return bench.log.count() >= 1; });
  CHECK(waited < 9.0);  // closed by the timeout, not by drain_raw's own 10 s
  REQUIRE(bench.log.count() == 1);
  CHECK_THAT((*bench.log.lines)[0], Catch::Contains("timed out"));
}

TEST_CASE("a client that connects and leaves without a byte is not logged", "[ssl][hostile]") {
  HostileBench bench;
  bench.run([&] {
    for (int i = 0; i < 5; ++i) ::close(eddy_test::connect_raw(bench.port));
    eddy_test::RawTLSClient good(bench.port);  // served after them: they were all handled
    good.write("ok\n");
    good.read_some();
  });
  CHECK(bench.log.count() == 0);
}

TEST_CASE("a peer that resets mid-record ends its stream with connection reset; nothing is logged",
          "[ssl][hostile]") {
  HostileBench bench;
  bench.run([&] {
    eddy_test::RawTLSClient client(bench.port);
    client.write("first\n");
    client.read_some();
    client.reset_mid_record();
  }, [&] { return !bench.endings->empty(); });
  REQUIRE(bench.endings->size() == 1);
  CHECK_THAT(bench.endings->front(), Catch::Contains("reset"));
  CHECK(bench.log.count() == 0);
}

TEST_CASE("a client that leaves without close_notify after a complete exchange is not logged", "[ssl][hostile]") {
  HostileBench bench;
  bench.run([&] {
    eddy_test::RawTLSClient client(bench.port);
    client.write("done\n");
    client.read_some();
    client.drop();
  }, [&] { return !bench.endings->empty(); });
  REQUIRE(bench.endings->size() == 1);
  CHECK_THAT(bench.endings->front(), Catch::Contains("without close_notify"));
  CHECK(bench.log.count() == 0);
}

TEST_CASE("a TLS echo server holds 2,000 connections from Python clients at once", "[ssl][load]") {
  HostileBench bench(10s);  // the default: 100 handshakes at once take a while on a loaded machine
  const int clients = 2000;
  std::string out;
  bool ok = false;
  bench.run([&] {
    out = eddy_test::run_python(
        "import asyncio, ssl, sys\n"
        "port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])\n"
        "ctx = ssl.create_default_context(cafile=ca)\n"
        "async def main():\n"
        "    gate = asyncio.Semaphore(100)\n"
        "    everyone = asyncio.Event()\n"
        "    opened = []\n"
        "    async def one(i):\n"
        "        async with gate:\n"
        "            r, w = await asyncio.open_connection('127.0.0.1', port, ssl=ctx, server_hostname='localhost')\n"
        "            w.write(b'hi %d\\n' % i)\n"
        "            await w.drain()\n"
        "            line = await r.readline()\n"
        "        opened.append(i)\n"
        "        if len(opened) == n: everyone.set()\n"
        "        await everyone.wait()\n"
        "        w.close()\n"
        "        return line == b'hi %d\\n' % i\n"
        "    results = await asyncio.gather(*(one(i) for i in range(n)))\n"
        "    print('echoed', sum(results))\n"
        "asyncio.run(main())\n",
        std::to_string(bench.port) + " " + eddy_test::test_certs().ca_cert + " " + std::to_string(clients), &ok);
  }, [&] { return *bench.open == 0; });
  INFO(out);
  CHECK(ok);
  CHECK_THAT(out, Catch::Contains("echoed " + std::to_string(clients)));
  CHECK(*bench.most_open == clients);
  CHECK(bench.log.count() == 0);
}
