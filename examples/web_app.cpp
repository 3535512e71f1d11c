// A small Tornado-style web app, in eddy: what a Tornado user builds first,
// with eddy's web layer, one feature per route.
//
//   - a login form whose POST sets a *secure cookie* (signed with the
//     application's cookie_secret, so a client cannot forge or alter it);
//   - a JSON API (/api/me, /api/notes) whose errors are JSON too: one
//     write_error shapes every error page of the application;
//   - a file upload (multipart/form-data, as a browser form or curl -F sends);
//   - a static folder served with ETag and 304s, sendfile for big files;
//   - the access log, one line per request, printed by a log_function.
//
//   web_app [port] [static-dir]      then open http://127.0.0.1:8888/
//
//   curl -c jar -b jar -d name=ann http://127.0.0.1:8888/login        (log in)
//   curl -b jar http://127.0.0.1:8888/api/me                          {"user":"ann"}
//   curl -b jar -d text=hello http://127.0.0.1:8888/api/notes         (add a note)
//   curl http://127.0.0.1:8888/api/notes                              {"notes":[...]}
//   curl -F file=@README.md http://127.0.0.1:8888/upload              {"files":[...]}
//
// The port 0 picks a free one; the first line printed names it
// ("listening on http://127.0.0.1:PORT/"). The static folder defaults to the
// example's own examples/web_app_static. Stops cleanly on Ctrl-C or SIGTERM.
// Everything here runs on the one loop thread: the handlers are plain
// functions (no coroutine is needed when nothing is awaited), and the notes
// are a plain vector that no lock protects.
//
// Build: g++ -std=c++20 -Iinclude examples/web_app.cpp -pthread
#include <eddy/http.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef EDDY_WEB_APP_STATIC  // CMake sets the source folder's absolute path
#define EDDY_WEB_APP_STATIC "examples/web_app_static"
#endif

namespace {

const char* const login_page = R"HTML(<!DOCTYPE html>
<html><head><title>Log in</title><link rel="stylesheet" href="/static/style.css"></head><body>
<h1>Log in</h1>
<form method="post" action="/login"><input name="name" placeholder="your name"> <button>Log in</button></form>
</body></html>
)HTML";

// The secret that signs the cookies. A real deployment reads it from its
// configuration, so that a restart (or a second process) keeps the sessions:
// here EDDY_COOKIE_SECRET. Without it the app generates one at start, and
// every cookie it signed is worthless after a restart.
std::string cookie_secret() {
  if (const char* configured = std::getenv("EDDY_COOKIE_SECRET")) return configured;
  std::random_device random;  // the system's entropy source, not a seeded generator
  std::string secret;
  for (int i = 0; i < 32; ++i) secret += "0123456789abcdef"[random() % 16];
  std::fputs("web_app: no EDDY_COOKIE_SECRET, cookies are signed with a generated secret\n", stderr);
  return secret;
}

// Every error page of the application: JSON under /api/, where a script
// reads it, HTML elsewhere, where a person does. `error` is what the handler
// threw (nullptr for a plain 404 or 405, or a send_error); an HTTPError's
// own message is for the log, never for the client, so the message here is
// the status's reason, or the missing argument's name.
void write_error(eddy::RequestHandler& h, int code, std::exception_ptr error) {
  std::string message(eddy::http_reason(code));
  try {
    if (error) std::rethrow_exception(error);
  } catch (const eddy::MissingArgumentError& e) {
    message = "missing argument: " + e.arg_name();
  } catch (...) {
  }
  if (h.request().path.starts_with("/api/")) {
    h.set_header("Content-Type", "application/json");
    h.write("{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" + eddy::json_escape(message) + "}}");
  } else {
    std::string title = std::to_string(code) + ": " + eddy::xhtml_escape(message);
    h.write("<html><title>" + title + "</title><body>" + title + "</body></html>");
  }
}

// Who sent the request: the `user` cookie if its signature holds (and it is
// younger than the default 31 days), else nobody.
std::optional<std::string> current_user(const eddy::RequestHandler& h) { return h.get_secure_cookie("user"); }

// The same, for the routes that need a login: 401 without one (as JSON, by
// write_error, since these routes are under /api/).
std::string require_user(const eddy::RequestHandler& h) {
  std::optional<std::string> user = current_user(h);
  if (!user) throw eddy::HTTPError(401);
  return *user;
}

// A JSON string of text the client sent. JSON is Unicode, so bytes that are
// not UTF-8 cannot be written as it: json_escape throws for them, and the
// client gets a 400 rather than a 500 (its input is at fault).
std::string json_text(std::string_view text) {
  try {
    return eddy::json_escape(text);
  } catch (const std::invalid_argument&) {
    throw eddy::HTTPError(400);
  }
}

// The notes, kept in memory: gone when the process ends.
struct Note {
  long id;
  std::string author;
  std::string text;
  std::string json() const {
    return "{\"id\":" + std::to_string(id) + ",\"author\":" + json_text(author) + ",\"text\":" + json_text(text) + "}";
  }
};

void write_json(eddy::RequestHandler& h, const std::string& json) {
  h.set_header("Content-Type", "application/json");
  h.write(json);
}

}  // namespace

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8888);
  std::string static_dir = argc > 2 ? argv[2] : EDDY_WEB_APP_STATIC;
  eddy::IOLoop loop;  // the first loop built becomes IOLoop::current(), where the server listens

  eddy::ApplicationSettings settings;
  settings.cookie_secret = cookie_secret();
  settings.write_error = write_error;
  // Tornado's access log: "200 GET /api/me (127.0.0.1) 0.12ms". Flushed at
  // once, so that a pipe (a test, a log collector) sees each line as it comes.
  settings.log_function = [](const eddy::RequestHandler& h, eddy::Clock::duration took) {
    std::printf("%s\n", eddy::access_log_line(h, took).c_str());
    std::fflush(stdout);
  };
  eddy::Application app(std::move(settings));
  std::vector<Note> notes;

  app.route("/", {"GET"}, [](eddy::RequestHandler& h) { h.redirect("/static/index.html"); });
  app.route("/login", {"GET"}, [](eddy::RequestHandler& h) { h.write(login_page); });
  // get_argument reads the form (urlencoded or multipart); without `name`
  // it throws MissingArgumentError, a 400 that write_error turns into a page.
  // The cookie is signed and timestamped, HttpOnly and SameSite=Lax
  // (CookieOptions' defaults), and kept 30 days unless max_age says otherwise.
  app.route("/login", {"POST"}, [](eddy::RequestHandler& h) {
    std::string name = h.get_argument("name");
    if (name.empty()) throw eddy::MissingArgumentError("name");
    json_text(name);  // the API shows it: UTF-8 or 400 here, not a 500 later
    h.set_secure_cookie("user", name);
    h.redirect("/static/index.html");
  });
  app.route("/logout", {"GET"}, [](eddy::RequestHandler& h) {
    h.clear_cookie("user");
    h.redirect("/login");
  });

  app.route("/api/me", {"GET"}, [](eddy::RequestHandler& h) {
    write_json(h, "{\"user\":" + json_text(require_user(h)) + "}");
  });
  app.route("/api/notes", {"GET"}, [&notes](eddy::RequestHandler& h) {
    std::string list;
    for (const Note& n : notes) list += (list.empty() ? "" : ",") + n.json();
    write_json(h, "{\"notes\":[" + list + "]}");
  });
  app.route("/api/notes", {"POST"}, [&notes](eddy::RequestHandler& h) {
    std::string author = require_user(h);
    std::string text = h.get_argument("text");  // missing: 400 {"error":{... "missing argument: text"}}
    json_text(text);                            // not UTF-8: 400, and nothing stored
    notes.push_back(Note{static_cast<long>(notes.size()) + 1, std::move(author), std::move(text)});
    h.set_status(201);
    write_json(h, notes.back().json());
  });

  // The upload: files("file") is every file the form sent as `file`, parsed
  // from the multipart body on first use (a malformed body is a 400). The
  // whole body is in memory, bounded by HTTPServerOptions::max_body_size;
  // route_streaming takes bodies too big for that. The filename is the
  // client's word: never use it as a path.
  app.route("/upload", {"POST"}, [](eddy::RequestHandler& h) {
    const std::vector<eddy::HTTPFile>& files = h.files("file");
    if (files.empty()) throw eddy::MissingArgumentError("file");
    std::string list;
    for (const eddy::HTTPFile& f : files) {
      list += list.empty() ? "" : ",";
      list += "{\"name\":" + json_text(f.filename) + ",\"size\":" + std::to_string(f.body.size()) + "}";
    }
    write_json(h, "{\"files\":[" + list + "]}");
  });

  // The folder, opened here once (a missing one throws std::system_error).
  app.static_files("/static/", static_dir);

  eddy::HTTPServer server(app);
  port = server.listen(port, "127.0.0.1");
  std::printf("listening on http://127.0.0.1:%u/\n", static_cast<unsigned>(port));
  std::fflush(stdout);

  auto stop = [&](int) {
    server.stop();
    loop.stop();
  };
  loop.add_signal_handler(SIGINT, stop);
  loop.add_signal_handler(SIGTERM, stop);
  loop.start();
  loop.remove_signal_handler(SIGINT);
  loop.remove_signal_handler(SIGTERM);
  std::puts("stopped");
}
