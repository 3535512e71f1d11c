// Redis URLs: what each part means, and a clear Error for every malformed one.
#include <eddy/detail/redis/redis_url.hpp>

#include <string>

#include <catch2/catch.hpp>

using eddy::redis::Error;
using eddy::detail::redis::Endpoint;
using eddy::detail::redis::parse_redis_url;

namespace {

std::string bad_url(const std::string& url) {
  try {
    parse_redis_url(url);
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::usage);
    return e.what();
  }
  FAIL("no error for " << url);
  return {};
}

}  // namespace

TEST_CASE("a redis:// URL gives host, port, credentials and database", "[redis][url]") {
  Endpoint e = parse_redis_url("redis://localhost");
  CHECK(e.kind == Endpoint::Kind::tcp);
  CHECK(e.host == "localhost");
  CHECK(e.port == 6379);
  CHECK(e.db == 0);
  CHECK_FALSE(e.has_password);
  CHECK(e.protocol == 0);

  e = parse_redis_url("redis://alice:s%40cret@10.0.0.1:7000/3");
  CHECK(e.host == "10.0.0.1");
  CHECK(e.port == 7000);
  CHECK(e.username == "alice");
  CHECK(e.password == "s@cret");
  CHECK(e.db == 3);
  CHECK(e.display == "redis://alice:***@10.0.0.1:7000/3");

  e = parse_redis_url("redis://:pw@[::1]:6380/?protocol=3&name=worker%201");
  CHECK(e.host == "::1");
  CHECK(e.port == 6380);
  CHECK(e.username.empty());
  CHECK(e.password == "pw");
  CHECK(e.protocol == 3);
  CHECK(e.client_name == "worker 1");
  CHECK(parse_redis_url("redis://h/").db == 0);
  CHECK(parse_redis_url("redis://h?db=5").db == 5);
}

TEST_CASE("a unix:// URL gives the socket path, credentials and database", "[redis][url]") {
  Endpoint e = parse_redis_url("unix:///run/redis/redis.sock");
  CHECK(e.kind == Endpoint::Kind::unix_socket);
  CHECK(e.path == "/run/redis/redis.sock");
  e = parse_redis_url("unix://:secret@/tmp/r.sock?db=2&protocol=3");
  CHECK(e.path == "/tmp/r.sock");
  CHECK(e.password == "secret");
  CHECK(e.db == 2);
  CHECK(e.protocol == 3);
  CHECK(e.display == "unix://:***@/tmp/r.sock?db=2&protocol=3");
}

TEST_CASE("a rediss:// URL parses (connect refuses it until TLS lands)", "[redis][url]") {
  Endpoint e = parse_redis_url("rediss://cache.example.com:6380/1");
  CHECK(e.kind == Endpoint::Kind::tls);
  CHECK(e.host == "cache.example.com");
  CHECK(e.port == 6380);
  CHECK(e.db == 1);
}

TEST_CASE("a malformed URL is an Error that names it, password masked", "[redis][url]") {
  CHECK(bad_url("localhost:6379") == "eddy: redis: bad URL \"localhost:6379\": no scheme (redis://, rediss:// or unix://)");
  CHECK(bad_url("http://h") == "eddy: redis: bad URL \"http://h\": unknown scheme \"http\" (redis, rediss or unix)");
  CHECK(bad_url("redis://") == "eddy: redis: bad URL \"redis://\": no host");
  CHECK(bad_url("redis://h:0") == "eddy: redis: bad URL \"redis://h:0\": port \"0\" is not in 1-65535");
  CHECK(bad_url("redis://h:65536").find("not in 1-65535") != std::string::npos);
  CHECK(bad_url("redis://h:") .find("not in 1-65535") != std::string::npos);
  CHECK(bad_url("redis://h:x").find("not in 1-65535") != std::string::npos);
  CHECK(bad_url("redis://h/x") == "eddy: redis: bad URL \"redis://h/x\": database \"x\" is not a number");
  CHECK(bad_url("redis://h/-1").find("is not a number") != std::string::npos);
  CHECK(bad_url("redis://h/1?db=2").find("given twice") != std::string::npos);
  CHECK(bad_url("redis://h?protocol=4").find("protocol must be 2 or 3") != std::string::npos);
  CHECK(bad_url("redis://h?timeout=1").find("unknown query parameter \"timeout\"") != std::string::npos);
  CHECK(bad_url("redis://pw@h").find("a userinfo needs ':'") != std::string::npos);
  CHECK(bad_url("redis://:p%zz@h") == "eddy: redis: bad URL \"redis://:***@h\": bad percent escape");
  CHECK(bad_url("redis://h x").find("control character or space") != std::string::npos);
  CHECK(bad_url("redis://[::1").find("unclosed '['") != std::string::npos);
  CHECK(bad_url("redis://h#frag").find("fragment") != std::string::npos);
  CHECK(bad_url("unix://host/tmp/s").find("has no host") != std::string::npos);
  CHECK(bad_url("unix://").find("no socket path") != std::string::npos);
}

TEST_CASE("a rediss:// URL takes redis-py's ssl_cert_reqs and ssl_ca_certs", "[redis][url][tls]") {
  Endpoint e = parse_redis_url("rediss://cache.internal:6380");
  CHECK(e.kind == Endpoint::Kind::tls);
  CHECK(e.validate_cert);
  CHECK(e.ca_certs.empty());
  e = parse_redis_url("rediss://h?ssl_cert_reqs=none&ssl_ca_certs=%2Fetc%2Fredis%2Fca.pem");
  CHECK_FALSE(e.validate_cert);
  CHECK(e.ca_certs == "/etc/redis/ca.pem");
  CHECK(parse_redis_url("rediss://h?ssl_cert_reqs=required").validate_cert);
  CHECK(bad_url("rediss://h?ssl_cert_reqs=maybe").find("ssl_cert_reqs must be none or required") != std::string::npos);
  CHECK(bad_url("redis://h?ssl_cert_reqs=none").find("ssl_cert_reqs is for rediss:// only") != std::string::npos);
  CHECK(bad_url("unix:///s?ssl_ca_certs=x").find("ssl_ca_certs is for rediss:// only") != std::string::npos);
}
