// ApplicationSettings: how an Application is configured beyond its routes,
// and how a handler reaches the settings of the Application serving it.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "support/http_test_server.hpp"

using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;

TEST_CASE("ApplicationSettings defaults are Tornado's: etag on, no compression, no log, no error hook",
          "[web][settings]") {
  eddy::ApplicationSettings s;
  CHECK(s.cookie_secret.empty());
  CHECK_FALSE(s.compress_response);
  CHECK(s.etag);
  CHECK_FALSE(s.log_function);
  CHECK_FALSE(s.write_error);
  eddy::Application app;
  CHECK(app.settings().etag);
  eddy::ApplicationSettings chosen;
  chosen.cookie_secret = "k";
  chosen.etag = false;
  eddy::Application with(std::move(chosen));
  CHECK(with.settings().cookie_secret == "k");
  CHECK_FALSE(with.settings().etag);
}

TEST_CASE("a handler sees the settings of the Application serving it", "[web][settings]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.settings().cookie_secret = "the secret";
    app.route("/s", [](eddy::RequestHandler& h) { h.write(h.settings().cookie_secret); });
  });
  CHECK(fetch(server.port(), get_request("/s")).body == "the secret");
}
