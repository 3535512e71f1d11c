// gzip: Accept-Encoding negotiation and compressible types
// (gzip_negotiate.hpp), the codec (gzip.hpp), the server's
// compress_response (curl --compressed, Python's http.client with
// gzip.decompress), and the client's decompress_response (inflated bodies,
// gzip bombs, corrupt and truncated streams).
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <eddy/detail/http/gzip.hpp>
#include <eddy/detail/http/gzip_negotiate.hpp>
#include <eddy/http.hpp>

#include "support/http_client_helpers.hpp"
#include "support/http_test_server.hpp"
#include "support/run_command.hpp"

using eddy::detail::accepts_gzip;
using eddy::detail::compressible_type;

namespace {

std::string gzip(std::string_view s) {
  std::string out;
  eddy::detail::gzip_compress(s, out);
  return out;
}

std::string inflate(std::string_view s, std::uint64_t limit = UINT64_MAX) {
  eddy::detail::GzipInflater in(limit);
  std::string out;
  in.feed(s, out);
  in.finish();
  return out;
}

std::string text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "The quick brown fox jumps over the lazy dog " + std::to_string(s.size()) + ". ";
  s.resize(n);
  return s;
}

std::string shell(const std::string& cmd) { return eddy_test::run_command(cmd).out; }

void gzip_routes(eddy::Application& app) {
  app.route("/text", [](eddy::RequestHandler& h) { h.write(text(5000)); });
  app.route("/json", [](eddy::RequestHandler& h) {
    h.set_header("Content-Type", "application/json");
    h.write("[\"" + text(3000) + "\"]");
  });
  app.route("/small", [](eddy::RequestHandler& h) { h.write(text(1023)); });
  app.route("/edge", [](eddy::RequestHandler& h) { h.write(text(1024)); });
  app.route("/png", [](eddy::RequestHandler& h) {
    h.set_header("Content-Type", "image/png");
    h.write(text(5000));
  });
  app.route("/encoded", [](eddy::RequestHandler& h) {
    h.set_header("Content-Encoding", "br");
    h.write(text(5000));
  });
  app.route("/flushed", [](eddy::RequestHandler& h) -> eddy::Future<void> {
    h.write(text(3000));
    eddy::Future<void> sent = h.flush();
    co_await sent;
    h.write(text(3000));
  });
}

eddy::Application gzip_app() {
  eddy::ApplicationSettings settings;
  settings.compress_response = true;
  settings.etag = false;
  return eddy::Application(settings);
}

}  // namespace

TEST_CASE("Accept-Encoding takes gzip by name or by *, unless its q is zero", "[web][gzip]") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("deflate, GZIP;q=0.5"));
  CHECK(accepts_gzip("x-gzip"));
  CHECK(accepts_gzip("br;q=1.0, *;q=0.1"));
  CHECK(accepts_gzip("gzip;q=1, identity;q=0"));
  CHECK(accepts_gzip("gzip ; q=0.001"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(accepts_gzip("gzip;q=0, *"));
  CHECK_FALSE(accepts_gzip("*;q=0"));
  CHECK_FALSE(accepts_gzip("identity;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=2"));
  CHECK_FALSE(accepts_gzip("gzip;q=abc"));
  CHECK_FALSE(accepts_gzip("gzipx, xgzip"));
}

TEST_CASE("text, JSON, JavaScript, XML and SVG types are compressible; others are not", "[web][gzip]") {
  for (const char* t : {"text/html; charset=UTF-8", "text/plain", "TEXT/CSS", "application/json",
                        "application/javascript", "application/xml", "image/svg+xml", "application/ld+json",
                        "application/atom+xml"}) {
    INFO(t);
    CHECK(compressible_type(t));
  }
  for (const char* t : {"image/png", "application/octet-stream", "video/mp4", "text/", "application/zip", ""}) {
    INFO(t);
    CHECK_FALSE(compressible_type(t));
  }
}

TEST_CASE("gzip round-trips, and the inflater refuses corrupt, truncated, trailing and oversized input",
          "[web][gzip]") {
  REQUIRE(eddy::detail::gzip_available());
  std::string body = text(100000);
  std::string packed = gzip(body);
  CHECK(packed.size() < body.size() / 4);
  CHECK(inflate(packed) == body);
  CHECK(inflate(gzip("")).empty());
  // In pieces of one byte.
  eddy::detail::GzipInflater pieces(UINT64_MAX);
  std::string out;
  for (char c : packed) pieces.feed(std::string_view(&c, 1), out);
  pieces.finish();
  CHECK(out == body);
  std::string corrupt = packed;
  corrupt[packed.size() / 2] ^= 0x55;
  CHECK_THROWS_AS(inflate(corrupt), eddy::GzipError);
  CHECK_THROWS_AS(inflate(packed.substr(0, packed.size() - 5)), eddy::GzipError);
  CHECK_THROWS_AS(inflate(packed + "junk"), eddy::GzipError);
  CHECK_THROWS_AS(inflate("not gzip at all"), eddy::GzipError);
  CHECK(inflate(packed, body.size()) == body);
  CHECK_THROWS_AS(inflate(packed, body.size() - 1), eddy::GzipError);
}

TEST_CASE("compress_response gzips a compressible body of 1,024 bytes and up for a client that accepts it",
          "[web][gzip][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app = gzip_app();
    gzip_routes(app);
  });
  auto get = [&](const std::string& path, const std::string& extra = "Accept-Encoding: gzip\r\n") {
    return eddy_test::fetch(server.port(), eddy_test::get_request(path, extra));
  };
  eddy_test::Response r = get("/text");
  CHECK(r.headers.get("Content-Encoding") == "gzip");
  CHECK(r.headers.get("Vary") == "Accept-Encoding");
  CHECK(r.headers.get("Content-Length") == std::to_string(r.body.size()));
  CHECK(inflate(r.body) == text(5000));
  CHECK(inflate(get("/json").body).size() == 3004);
  CHECK(get("/edge").headers.get("Content-Encoding") == "gzip");
  // Not compressed: too small, not accepted, not compressible, already encoded, streamed, HEAD.
  eddy_test::Response small = get("/small");
  CHECK_FALSE(small.headers.contains("Content-Encoding"));
  CHECK(small.headers.get("Vary") == "Accept-Encoding");
  eddy_test::Response plain = get("/text", "");
  CHECK_FALSE(plain.headers.contains("Content-Encoding"));
  CHECK(plain.headers.get("Vary") == "Accept-Encoding");
  CHECK(plain.body == text(5000));
  CHECK_FALSE(get("/text", "Accept-Encoding: gzip;q=0, identity\r\n").headers.contains("Content-Encoding"));
  eddy_test::Response png = get("/png");
  CHECK_FALSE(png.headers.contains("Content-Encoding"));
  CHECK_FALSE(png.headers.contains("Vary"));
  CHECK(get("/encoded").headers.get("Content-Encoding") == "br");
  eddy_test::Response flushed = get("/flushed");
  CHECK_FALSE(flushed.headers.contains("Content-Encoding"));
  CHECK(flushed.body.size() == 6000);
  eddy_test::Response head =
      eddy_test::fetch(server.port(), "HEAD /text HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", true);
  CHECK_FALSE(head.headers.contains("Content-Encoding"));
  CHECK(server.exceptions().empty());
}

TEST_CASE("without compress_response nothing is gzipped", "[web][gzip][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { gzip_routes(app); });
  eddy_test::Response r = eddy_test::fetch(server.port(), eddy_test::get_request("/text", "Accept-Encoding: gzip\r\n"));
  CHECK_FALSE(r.headers.contains("Content-Encoding"));
  CHECK_FALSE(r.headers.contains("Vary"));
}

TEST_CASE("curl --compressed and Python's http.client read compressed responses", "[web][gzip][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app = gzip_app();
    gzip_routes(app);
  });
  std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  CHECK(shell("curl -s -S --max-time 20 --compressed " + url + "/text") == text(5000));
  std::string headers = shell("curl -s -S --max-time 20 --compressed -o /dev/null -D - " + url + "/text");
  CHECK(headers.find("Content-Encoding: gzip") != std::string::npos);
  std::string py =
      "python3 -c \"import http.client,gzip,sys; c=http.client.HTTPConnection('127.0.0.1'," +
      std::to_string(server.port()) +
      ",timeout=20); c.request('GET','/json',headers={'Accept-Encoding':'gzip'}); r=c.getresponse(); "
      "b=r.read(); sys.stdout.write(r.getheader('Content-Encoding')+' '+str(len(gzip.decompress(b))))\"";
  CHECK(shell(py) == "gzip 3004");
}

TEST_CASE("the client sends Accept-Encoding: gzip and inflates the body, renaming Content-Encoding",
          "[http][client][gzip][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app = gzip_app();
    gzip_routes(app);
    app.route("/ae", [](eddy::RequestHandler& h) { h.write(h.request().headers.get("Accept-Encoding", "-")); });
  });
  std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  eddy::HTTPResponse r = eddy_test::fetch_once(url + "/text");
  CHECK(r.body == text(5000));
  CHECK_FALSE(r.headers.contains("Content-Encoding"));
  CHECK(r.headers.get("X-Consumed-Content-Encoding") == "gzip");
  CHECK(r.headers.get("Content-Length") == "5000");
  CHECK(eddy_test::fetch_once(url + "/ae").body == "gzip");
  eddy::HTTPRequest raw(url + "/text");
  raw.decompress_response = false;
  eddy::HTTPResponse rr = eddy_test::fetch_once(raw);
  CHECK(rr.headers.get("Content-Encoding", "") == "");  // not offered, so not sent
  CHECK(rr.body == text(5000));
  eddy::HTTPRequest own(url + "/text");
  own.headers.set("Accept-Encoding", "gzip");
  own.decompress_response = false;
  eddy::HTTPResponse ro = eddy_test::fetch_once(own);
  CHECK(ro.headers.get("Content-Encoding") == "gzip");
  CHECK(inflate(ro.body) == text(5000));
  std::string streamed;
  eddy::HTTPRequest s(url + "/json");
  s.streaming_callback = [&](std::string_view piece) { streamed.append(piece); };
  eddy_test::fetch_once(s);
  CHECK(streamed.size() == 3004);
}

TEST_CASE("a gzip bomb, a corrupt and a truncated gzip body fail the fetch with a clear error",
          "[http][client][gzip][server]") {
  // 1 GiB of zeros, gzipped by Python in pieces (about 1 MiB).
  std::string bomb = shell(
      "python3 -c \"import zlib,sys; c=zlib.compressobj(9,zlib.DEFLATED,31); z=bytes(1<<20); "
      "sys.stdout.buffer.write(b''.join([c.compress(z) for _ in range(1024)])+c.flush())\"");
  REQUIRE(bomb.size() > 1000);
  std::string good = gzip(text(5000));
  std::string corrupt = good;
  corrupt[good.size() / 2] ^= 0x55;
  eddy_test::HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    auto raw = [](std::string body) {
      return [body](eddy::RequestHandler& h) {
        h.set_header("Content-Type", "application/octet-stream");
        h.set_header("Content-Encoding", "gzip");
        h.write(body);
      };
    };
    app.route("/bomb", raw(bomb));
    app.route("/corrupt", raw(corrupt));
    app.route("/truncated", raw(good.substr(0, good.size() - 6)));
    app.route("/good", raw(good));
  });
  std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  CHECK(eddy_test::fetch_once(url + "/good").body == text(5000));
  std::string what = eddy_test::what_of([&] { eddy_test::fetch_once(url + "/bomb"); });
  CHECK(what.find("inflates past max_body_size") != std::string::npos);
  eddy::AsyncHTTPClientOptions small;
  small.max_body_size = 4999;
  what = eddy_test::what_of([&] { eddy_test::fetch_once(eddy::HTTPRequest(url + "/good"), true, small); });
  CHECK(what.find("inflates past max_body_size") != std::string::npos);
  CHECK(eddy_test::what_of([&] { eddy_test::fetch_once(url + "/corrupt"); }).find("gzip: corrupt") !=
        std::string::npos);
  CHECK(eddy_test::what_of([&] { eddy_test::fetch_once(url + "/truncated"); }).find("truncated") !=
        std::string::npos);
}
