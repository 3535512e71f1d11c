// The web_app example, end to end, driven by curl as a user would drive it:
// started on port 0 (its first line names the URL), a cookie jar for the
// login, the JSON API and its JSON errors, an upload, the static folder and
// its 304, the access log on its stdout; then SIGINT for a clean stop.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "support/example_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace {

// The example, started on a free port; url() is the base it printed.
struct WebApp {
  eddy_test::ExampleProcess process{eddy_test::example_path("web_app"), {"0"}};
  std::string base;

  WebApp() {
    const std::string prefix = "listening on http://127.0.0.1:";
    std::size_t at = process.read_until("/\n").find(prefix);
    INFO(process.seen);
    REQUIRE(at != std::string::npos);
    base = "http://127.0.0.1:" + std::to_string(std::stoi(process.seen.substr(at + prefix.size()))) + "/";
  }
};

// One curl run: the status and what curl wrote (the body, and the head too
// when `args` asks for it with -D -).
struct Reply {
  int status = 0;
  std::string body;
};

Reply curl(const std::string& args) {
  eddy_test::CommandRun run = eddy_test::run_command("curl -sS --max-time 20 -w '\\n%{http_code}' " + args);
  INFO("curl " << args << "\n" << run.out);
  REQUIRE(run.exit_code() == 0);
  std::size_t last = run.out.rfind('\n');
  REQUIRE(last != std::string::npos);
  return Reply{std::stoi(run.out.substr(last + 1)), run.out.substr(0, last)};
}

}  // namespace

TEST_CASE("web_app logs a user in with a secure cookie and keeps notes behind it, with JSON errors",
          "[examples][example][server]") {
  WebApp app;
  eddy_test::TempDir dir;
  std::string jar = " -b '" + dir.file("jar") + "' -c '" + dir.file("jar") + "' ";

  Reply form = curl(app.base + "login");
  CHECK(form.status == 200);
  CHECK(form.body.find("<form method=\"post\" action=\"/login\">") != std::string::npos);

  Reply anonymous = curl(jar + app.base + "api/me");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.body == R"({"error":{"code":401,"message":"Unauthorized"}})");

  Reply login = curl(jar + "-d name=ann " + app.base + "login");
  CHECK(login.status == 302);
  Reply me = curl(jar + app.base + "api/me");
  CHECK(me.status == 200);
  CHECK(me.body == R"({"user":"ann"})");
  // A cookie the client wrote itself has no valid signature.
  CHECK(curl("-b user=ann " + app.base + "api/me").status == 401);

  Reply posted = curl(jar + "--data-urlencode 'text=hello \"world\"' " + app.base + "api/notes");
  CHECK(posted.status == 201);
  CHECK(posted.body == R"({"id":1,"author":"ann","text":"hello \"world\""})");
  Reply missing = curl(jar + "-d other=1 " + app.base + "api/notes");
  CHECK(missing.status == 400);
  CHECK(missing.body == R"({"error":{"code":400,"message":"missing argument: text"}})");
  CHECK(curl("-d text=x " + app.base + "api/notes").status == 401);  // no login, no note
  Reply not_utf8 = curl(jar + "-d text=%FF " + app.base + "api/notes");  // JSON cannot carry the byte
  CHECK(not_utf8.status == 400);
  CHECK(not_utf8.body == R"({"error":{"code":400,"message":"Bad Request"}})");
  Reply list = curl(app.base + "api/notes");
  CHECK(list.status == 200);
  CHECK(list.body == R"({"notes":[{"id":1,"author":"ann","text":"hello \"world\""}]})");

  CHECK(curl(jar + app.base + "logout").status == 302);
  CHECK(curl(jar + app.base + "api/me").status == 401);

  // The access log, one line per request, on stdout.
  app.process.read_until("201 POST /api/notes (127.0.0.1) ");
  CHECK(app.process.seen.find("201 POST /api/notes (127.0.0.1) ") != std::string::npos);
  CHECK(app.process.seen.find("401 GET /api/me (127.0.0.1) ") != std::string::npos);
  app.process.stop_cleanly();
}

TEST_CASE("web_app takes an upload, serves its static folder with a 304, and answers JSON 404s",
          "[examples][example][server]") {
  WebApp app;
  eddy_test::TempDir dir;
  std::ofstream(dir.file("data.bin"), std::ios::binary) << std::string(3000, 'x');

  Reply upload = curl("-F 'file=@" + dir.file("data.bin") + "' " + app.base + "upload");
  CHECK(upload.status == 200);
  CHECK(upload.body == R"({"files":[{"name":"data.bin","size":3000}]})");
  Reply no_file = curl("-F other=1 " + app.base + "upload");
  CHECK(no_file.status == 400);
  CHECK(no_file.body.find("missing argument: file") != std::string::npos);  // an HTML page: not under /api/

  Reply not_found = curl(app.base + "api/nothing");
  CHECK(not_found.status == 404);
  CHECK(not_found.body == R"({"error":{"code":404,"message":"Not Found"}})");

  Reply page = curl("-D - " + app.base + "static/index.html");
  CHECK(page.status == 200);
  CHECK(page.body.find("<h1>eddy web_app</h1>") != std::string::npos);
  std::size_t at = page.body.find("ETag: \"");
  if (at == std::string::npos) at = page.body.find("Etag: \"");
  REQUIRE(at != std::string::npos);
  std::string etag = page.body.substr(at + 6, page.body.find('\r', at) - at - 6);
  Reply again = curl("-H 'If-None-Match: " + etag + "' " + app.base + "static/index.html");
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  Reply css = curl("-D - " + app.base + "static/style.css");
  CHECK(css.status == 200);
  CHECK(css.body.find("Content-Type: text/css") != std::string::npos);
  CHECK(curl("--path-as-is " + app.base + "static/../web_app.cpp").status == 403);  // never the source
  app.process.stop_cleanly();
}
