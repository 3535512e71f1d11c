// Cookies: the Cookie header read as browsers send it, Set-Cookie written
// strictly, several per response, secure (signed) cookies, and real
// clients: curl's cookie jar and Python's http.client with http.cookies.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/http_test_server.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;
using namespace std::chrono_literals;

TEST_CASE("find_cookie reads a browser's Cookie header: blanks, quotes, first of two, bad pieces skipped",
          "[web][cookies]") {
  using eddy::detail::find_cookie;
  CHECK(find_cookie("a=1; b=2", "b") == "2");
  CHECK(find_cookie("a=1;b=2;c=3", "c") == "3");
  CHECK(find_cookie("  a = 1 ;\tb=two words ", "b") == "two words");
  CHECK(find_cookie("a=1; a=2", "a") == "1");
  CHECK(find_cookie("junk; =x; b=; c=3", "b") == "");
  CHECK(find_cookie("junk; =x; b=; c=3", "c") == "3");
  CHECK(find_cookie("a=x=y", "a") == "x=y");
  CHECK(find_cookie("q=\"quoted value\"", "q") == "quoted value");
  CHECK(find_cookie("q=\"a\\054b\\\"c\\\\\"", "q") == "a,b\"c\\");  // Python's http.cookies quoting
  CHECK(find_cookie("A=1", "a") == std::nullopt);                   // names are case-sensitive
  CHECK(find_cookie("", "a") == std::nullopt);
  CHECK(find_cookie("a=1", "") == std::nullopt);
}

TEST_CASE("format_set_cookie writes the attributes and refuses what a cookie cannot hold", "[web][cookies]") {
  using eddy::detail::format_set_cookie;
  auto epoch = std::chrono::system_clock::time_point();
  CHECK(format_set_cookie("a", "1", {}, epoch) == "a=1; Path=/; HttpOnly; SameSite=Lax");
  eddy::CookieOptions o;
  o.domain = "example.com";
  o.path = "/app";
  o.max_age = 90s;
  o.secure = true;
  o.http_only = false;
  o.same_site = "Strict";
  CHECK(format_set_cookie("sid", "x", o, epoch) ==
        "sid=x; Path=/app; Domain=example.com; Max-Age=90; Expires=Thu, 01 Jan 1970 00:01:30 GMT; Secure; "
        "SameSite=Strict");
  o = {};
  o.path = "";
  o.same_site = "";
  o.max_age = -5s;
  CHECK(format_set_cookie("a", "", o, epoch) == "a=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly");
  for (std::string_view name : {"", "a b", "a;b", "a=b", "caf\xC3\xA9", "a\r"}) {
    INFO(name);
    CHECK_THROWS_AS(format_set_cookie(name, "v", {}, epoch), std::invalid_argument);
  }
  for (std::string_view value : {"a b", "a;b", "a,b", "a\"b", "a\\b", "a\nb", "caf\xC3\xA9", "\"unterminated"}) {
    INFO(value);
    CHECK_THROWS_AS(format_set_cookie("n", value, {}, epoch), std::invalid_argument);
  }
  CHECK(format_set_cookie("n", "\"quoted\"", {}, epoch).substr(0, 10) == "n=\"quoted\"");
  o = {};
  o.same_site = "lax";
  CHECK_THROWS_AS(format_set_cookie("n", "v", o, epoch), std::invalid_argument);
  o = {};
  o.path = "/a;b";
  CHECK_THROWS_AS(format_set_cookie("n", "v", o, epoch), std::invalid_argument);
  o = {};
  o.domain = "a b";
  CHECK_THROWS_AS(format_set_cookie("n", "v", o, epoch), std::invalid_argument);
}

TEST_CASE("set_cookie sends one Set-Cookie per cookie; the same cookie set twice keeps the last",
          "[web][cookies]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/set", [](eddy::RequestHandler& h) {
      h.set_cookie("a", "1");
      h.set_cookie("b", "2");
      h.set_cookie("a", "3");
      eddy::CookieOptions other_path;
      other_path.path = "/x";
      h.set_cookie("a", "4", other_path);
      h.clear_cookie("gone");
    });
    app.route("/bad", [](eddy::RequestHandler& h) {
      try {
        h.set_cookie("n", "has space");
      } catch (const std::invalid_argument&) {
        h.write("refused");
      }
    });
    app.route("/get", [](eddy::RequestHandler& h) {
      h.write(h.get_cookie("a").value_or("none") + "|" + h.get_cookie("b").value_or("none"));
    });
  });
  eddy_test::Response r = fetch(server.port(), get_request("/set"));
  std::vector<std::string> set = r.headers.get_list("Set-Cookie");
  REQUIRE(set.size() == 4);
  CHECK(set[0] == "a=3; Path=/; HttpOnly; SameSite=Lax");
  CHECK(set[1] == "b=2; Path=/; HttpOnly; SameSite=Lax");
  CHECK(set[2] == "a=4; Path=/x; HttpOnly; SameSite=Lax");
  CHECK(set[3] == "gone=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
  CHECK(fetch(server.port(), get_request("/bad")).body == "refused");
  CHECK(fetch(server.port(), get_request("/get", "Cookie: b=x; a=y\r\n")).body == "y|x");
  CHECK(fetch(server.port(), get_request("/get", "Cookie: b=x\r\nCookie: a=z\r\n")).body == "z|x");
  CHECK(fetch(server.port(), get_request("/get")).body == "none|none");
}

namespace {

// A server with a login flow on signed cookies.
void secure_routes(eddy::Application& app, eddy::IOLoop&) {
  app.settings().cookie_secret = "a long and random secret, in real life";
  app.route("/login", [](eddy::RequestHandler& h) { h.set_secure_cookie("user", h.get_argument("name")); });
  app.route("/whoami", [](eddy::RequestHandler& h) {
    std::optional<std::string> user = h.get_secure_cookie("user");
    h.write(user ? *user : "anonymous");
  });
  app.route("/fresh", [](eddy::RequestHandler& h) {
    h.write(h.get_secure_cookie("user", std::chrono::seconds(-10)).value_or("expired"));
  });
}

std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

}  // namespace

TEST_CASE("a secure cookie reads back; tampered, expired or renamed it reads as nullopt", "[web][cookies]") {
  HTTPTestServer server(secure_routes);
  eddy_test::Response r = fetch(server.port(), get_request("/login?name=alice+%E2%98%83"));
  std::string set = r.headers.get("Set-Cookie");
  CHECK(set.find("; Max-Age=2592000; Expires=") != std::string::npos);  // 30 days, as Tornado
  std::string pair = cookie_pair(set);
  CHECK(fetch(server.port(), get_request("/whoami", "Cookie: " + pair + "\r\n")).body == "alice \xE2\x98\x83");
  CHECK(fetch(server.port(), get_request("/fresh", "Cookie: " + pair + "\r\n")).body == "expired");
  std::string tampered = pair;
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';
  CHECK(fetch(server.port(), get_request("/whoami", "Cookie: " + tampered + "\r\n")).body == "anonymous");
  std::string renamed = "other" + pair.substr(4);
  CHECK(fetch(server.port(), get_request("/whoami", "Cookie: user=x; " + renamed + "\r\n")).body == "anonymous");
}

TEST_CASE("secure cookies without a cookie_secret throw std::logic_error", "[web][cookies]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/set", [](eddy::RequestHandler& h) {
      try {
        h.set_secure_cookie("u", "v");
      } catch (const std::logic_error&) {
        h.write("set refused|");
      }
      try {
        (void)h.get_secure_cookie("u");
      } catch (const std::logic_error&) {
        h.write("get refused");
      }
    });
  });
  CHECK(fetch(server.port(), get_request("/set", "Cookie: u=v\r\n")).body == "set refused|get refused");
}

TEST_CASE("curl keeps a secure login cookie in its jar and sends it back", "[web][cookies][curl]") {
  HTTPTestServer server(secure_routes);
  eddy_test::TempDir dir;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::string jar = dir.file("jar.txt");
  eddy_test::CommandRun login = eddy_test::run_command("curl -sS -c " + jar + " '" + base + "/login?name=bob' 2>&1");
  REQUIRE(login.exit_code() == 0);
  eddy_test::CommandRun me = eddy_test::run_command("curl -sS -b " + jar + " " + base + "/whoami 2>&1");
  REQUIRE(me.exit_code() == 0);
  CHECK(me.out == "bob");
  eddy_test::CommandRun nobody = eddy_test::run_command("curl -sS " + base + "/whoami 2>&1");
  CHECK(nobody.out == "anonymous");
}

TEST_CASE("Python's http.client and http.cookies read eddy's cookies and send them back", "[web][cookies][python]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/set", [](eddy::RequestHandler& h) {
      h.set_cookie("plain", "v1");
      h.set_cookie("token", eddy::url_escape("a b;c"));
    });
    app.route("/echo", [](eddy::RequestHandler& h) {
      h.write(h.get_cookie("plain").value_or("-") + "|" + eddy::url_unescape(h.get_cookie("token").value_or("-")) +
              "|" + h.get_cookie("spaced").value_or("-"));
    });
  });
  std::string script =
      "import http.client, http.cookies\n"
      "c = http.client.HTTPConnection('127.0.0.1', " + std::to_string(server.port()) + ")\n"
      "c.request('GET', '/set'); r = c.getresponse(); r.read()\n"
      "jar = http.cookies.SimpleCookie()\n"
      "for v in r.headers.get_all('Set-Cookie'): jar.load(v)\n"
      "print(jar['plain']['httponly'], jar['plain']['samesite'], jar['plain']['path'])\n"
      "jar['spaced'] = 'x, y'\n"
      "hdr = '; '.join(m.OutputString(attrs=[]) for m in jar.values())\n"
      "c.request('GET', '/echo', headers={'Cookie': hdr}); print(c.getresponse().read().decode())\n";
  eddy_test::TempDir dir;
  std::string file = dir.file("client.py");
  {
    FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(script.c_str(), f);
    std::fclose(f);
  }
  eddy_test::CommandRun run = eddy_test::run_command("/usr/bin/python3 " + file + " 2>&1");
  INFO(run.out);
  REQUIRE(run.exit_code() == 0);
  CHECK(run.out == "True Lax /\nv1|a b;c|x, y\n");
}
