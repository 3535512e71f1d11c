// rediss://: the Redis client over TLS (<eddy/ssl.hpp>, eddy::ssl) against a
// redis-server of the test's own speaking TLS on its port, with
// certificates made at test time (support/test_certs.hpp): commands,
// pipelines and pub/sub over TLS; the CA given as an option, in the URL or in
// a shared SSLContext; an untrusted certificate failing with a clear Error;
// verification turned off. (Every future is bound to a local before
// co_await: see support/redis_loop.hpp.)
#include <eddy/gen.hpp>
#include <eddy/redis.hpp>
#include <eddy/ssl.hpp>

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/redis_loop.hpp"
#include "support/test_certs.hpp"

using eddy::Future;
using eddy::redis::Client;
using eddy::redis::ClientOptions;
using eddy::redis::Error;
using eddy::redis::Message;
using eddy::redis::Reply;
using namespace std::chrono_literals;
using eddy_test::describe;
using eddy_test::failure_of;
using eddy_test::run_redis;

namespace {

// The suite's TLS server: started on first use, stopped at exit.
eddy_test::RedisServer& tls_redis() {
  static std::unique_ptr<eddy_test::RedisServer> server = [] {
    const eddy_test::TestCerts& c = eddy_test::test_certs();
    return std::make_unique<eddy_test::RedisServer>(false, eddy_test::RedisServer::Tls{c.server_cert, c.server_key, c.ca_cert});
  }();
  return *server;
}

std::string tls_url(const std::string& tail = "") {
  return "rediss://127.0.0.1:" + std::to_string(tls_redis().port()) + tail;
}

ClientOptions trusting_test_ca() {
  ClientOptions options;
  options.ca_certs = eddy_test::test_certs().ca_cert;
  return options;
}

template <class T>
Future<eddy_test::Failure> failure(Future<T> future) {
  Future<std::exception_ptr> outcome = failure_of(std::move(future));
  std::exception_ptr error = co_await outcome;
  co_return describe(error);
}

}  // namespace

TEST_CASE("rediss:// runs commands, pipelines and large values over TLS", "[redis][server][tls]") {
  std::string url = tls_url();
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(url, trusting_test_ca());
    Client client = co_await connecting;
    Future<Reply> set = client.command("SET", "tls:greeting", "over TLS");
    Reply ok = co_await set;
    CHECK(ok.as_string() == "OK");
    Future<Reply> get = client.command("GET", "tls:greeting");
    Reply got = co_await get;
    CHECK(got.as_string() == "over TLS");
    std::string big(1024 * 1024, 'x');
    Future<std::vector<Reply>> batch = client.pipeline({{"SET", "tls:big", big}, {"STRLEN", "tls:big"}, {"GET", "tls:big"}});
    std::vector<Reply> replies = co_await batch;
    REQUIRE(replies.size() == 3);
    CHECK(replies[1].as_integer() == 1024 * 1024);
    CHECK(replies[2].as_string() == big);
    std::vector<Future<Reply>> echoes;
    for (int i = 0; i < 200; ++i) echoes.push_back(client.command("ECHO", i));
    for (int i = 0; i < 200; ++i) {
      Reply r = co_await echoes[i];
      CHECK(r.as_string() == std::to_string(i));
    }
  });
}

TEST_CASE("rediss:// takes the CA from the URL or a shared SSLContext, and does pub/sub over RESP3",
          "[redis][server][tls]") {
  std::string url = tls_url("?protocol=3&ssl_ca_certs=" + eddy_test::test_certs().ca_cert);
  std::string plain_url = tls_url();
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(url, 20s);
    Client client = co_await connecting;
    CHECK(client.protocol() == 3);
    ClientOptions options;
    options.ssl_context = eddy::SSLContext::client();
    options.ssl_context->load_verify_locations(eddy_test::test_certs().ca_cert);
    Future<Client> connecting_publisher = Client::connect(plain_url, options);
    Client publisher = co_await connecting_publisher;
    Future<void> subscribed = client.subscribe("tls:news");
    co_await subscribed;
    Future<Reply> published = publisher.command("PUBLISH", "tls:news", "encrypted");
    Reply receivers = co_await published;
    CHECK(receivers.as_integer() == 1);
    Future<Message> next = client.next_message(10s);
    Message m = co_await next;
    CHECK(m.channel == "tls:news");
    CHECK(m.payload == "encrypted");
  });
}

TEST_CASE("rediss:// with a certificate the client does not trust fails with a clear Error",
          "[redis][server][tls]") {
  std::string url = tls_url();
  run_redis([&]() -> Future<void> {
    Future<eddy_test::Failure> untrusted = failure(Client::connect(url, 20s));  // the system store only
    eddy_test::Failure f = co_await untrusted;
    CHECK(f.is_redis_error);
    CHECK(f.kind == Error::Kind::connection);
    INFO(f.what);
    CHECK(f.what.find("eddy: redis: connect to " + url) == 0);
    CHECK(f.what.find("certificate") != std::string::npos);
    ClientOptions missing_ca;
    missing_ca.ca_certs = "/nonexistent/eddy/ca.pem";
    Future<eddy_test::Failure> unloadable = failure(Client::connect(url, missing_ca));
    eddy_test::Failure g = co_await unloadable;
    CHECK(g.kind == Error::Kind::usage);
    CHECK(g.what.find("/nonexistent/eddy/ca.pem") != std::string::npos);
  });
}

TEST_CASE("rediss:// with verification off accepts the server's certificate", "[redis][server][tls]") {
  std::string url = tls_url();
  std::string url_none = tls_url("?ssl_cert_reqs=none");
  run_redis([&]() -> Future<void> {
    ClientOptions options;
    options.validate_cert = false;
    Future<Client> connecting = Client::connect(url, options);
    Client client = co_await connecting;
    Future<Reply> ping = client.command("PING");
    Reply pong = co_await ping;
    CHECK(pong.as_string() == "PONG");
    Future<Client> connecting_none = Client::connect(url_none, 20s);
    Client other = co_await connecting_none;
    Future<Reply> echo = other.command("ECHO", "unverified");
    Reply echoed = co_await echo;
    CHECK(echoed.as_string() == "unverified");
  });
}

TEST_CASE("a command cancelled over TLS keeps the replies in order", "[redis][server][tls][cancel]") {
  std::string url = tls_url();
  run_redis([&]() -> Future<void> {
    Future<Client> connecting = Client::connect(url, trusting_test_ca());
    Client client = co_await connecting;
    Future<Reply> slow = client.command("DEBUG", "SLEEP", "0.2");
    Future<eddy_test::Failure> impatient = failure(eddy::with_timeout(30ms, slow));
    eddy_test::Failure f = co_await impatient;
    CHECK(f.is_timeout);
    Future<Reply> echo = client.command("ECHO", "after");
    Reply after = co_await echo;
    CHECK(after.as_string() == "after");
  });
}
