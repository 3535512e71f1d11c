// AsyncHTTPClient's redirects: methods and bodies per status, max_redirects,
// Authorization across origins.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <eddy/detail/http/url.hpp>
#include <eddy/http.hpp>

#include "support/http_client_helpers.hpp"
#include "support/http_client_servers.hpp"
#include "support/http_test_server.hpp"

using namespace std::chrono_literals;
using eddy_test::ScriptConn;
using eddy_test::ScriptedServer;
using eddy_test::answer_all;
using eddy_test::fetch_once;
using eddy_test::hello;
using eddy_test::what_of;

// ---- redirects ----------------------------------------------------------------------

namespace {

// Answers per path: /from/<code> redirects to Location "/to", /to answers
// with the method and body it got.
ScriptedServer::Script redirector(ScriptedServer** self) {
  return [self](ScriptConn& c) {
    while (true) {
      std::string r = c.read_request();
      if (r.empty()) return;
      (*self)->note_request(r);
      std::string line = r.substr(0, r.find("\r\n"));
      std::string method = line.substr(0, line.find(' '));
      std::string target = line.substr(line.find(' ') + 1);
      target = target.substr(0, target.find(' '));
      std::string body = r.substr(r.find("\r\n\r\n") + 4);
      if (target.rfind("/from/", 0) == 0) {
        std::string code = target.substr(6, 3);
        std::string location = target.size() > 9 ? target.substr(10) : "/to";
        c.send("HTTP/1.1 " + code + " Moved\r\nLocation: " + location + "\r\nContent-Length: 5\r\n\r\nmoved");
      } else if (target.rfind("/loop", 0) == 0) {
        c.send("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
      } else {
        std::string answer = method + " " + body;
        c.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) + "\r\n\r\n" + answer);
      }
    }
  };
}

}  // namespace

TEST_CASE("redirects are followed; 303 and 301/302 after POST become a GET without a body, 307/308 keep both",
          "[http][client][redirect]") {
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  for (auto [code, method, expect] : std::vector<std::tuple<int, std::string, std::string>>{
           {301, "GET", "GET "}, {302, "POST", "GET "}, {303, "POST", "GET "}, {303, "PUT", "GET "},
           {301, "POST", "GET "}, {307, "POST", "POST data"}, {308, "PUT", "PUT data"}}) {
    INFO(code << " " << method);
    eddy::HTTPRequest request(server.url("/from/" + std::to_string(code)), method);
    if (method != "GET") request.body = "data";
    eddy::HTTPResponse r = fetch_once(request);
    CHECK(r.code == 200);
    CHECK(r.body == expect);
    CHECK(r.effective_url == server.url("/to"));
  }
  // A relative Location resolves against the URL it answered.
  CHECK(fetch_once(server.url("/from/302/../to?x")).effective_url == server.url("/to?x"));
}

TEST_CASE("exceeding max_redirects fails with HTTPClientError carrying the last 3xx", "[http][client][redirect]") {
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  eddy::HTTPRequest request(server.url("/loop"));
  request.max_redirects = 3;
  try {
    fetch_once(request);
    FAIL("no exception");
  } catch (const eddy::HTTPClientError& e) {
    CHECK(e.code() == 302);
    REQUIRE(e.response() != nullptr);
    CHECK(e.response()->headers.get("Location") == "/loop");
  }
  CHECK(server.requests().size() == 4);
  request.follow_redirects = false;
  CHECK(fetch_once(request, false).code == 302);
}

TEST_CASE("Authorization is dropped when a redirect leaves the origin, kept within it", "[http][client][redirect]") {
  ScriptedServer* other_self = nullptr;
  ScriptedServer other(redirector(&other_self));
  other_self = &other;
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  eddy::HTTPRequest away(server.url("/from/302/" + other.url("/to")));
  away.headers.add("Authorization", "Bearer secret");
  CHECK(fetch_once(away).effective_url == other.url("/to"));
  REQUIRE(other.requests().size() == 1);
  CHECK_THAT(other.requests()[0], !Catch::Contains("Authorization"));
  CHECK_THAT(server.requests()[0], Catch::Contains("Authorization: Bearer secret"));
  eddy::HTTPRequest home(server.url("/from/302"));
  home.auth_username = "u";
  fetch_once(home);
  REQUIRE(server.requests().size() == 3);
  CHECK_THAT(server.requests()[2], Catch::Contains("Authorization: Basic"));
}
