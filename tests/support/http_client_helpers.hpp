// Helpers shared by the HTTP client suites (http_client_*_test.cpp): one
// fetch on a fresh loop, the message of a thrown exception, a script that
// answers every request alike, and the canned response most scripts send.
#pragma once

#include <eddy/http.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "http_client_servers.hpp"

namespace eddy_test {

// Runs one fetch on a fresh loop and client; returns the response or throws.
inline eddy::HTTPResponse fetch_once(eddy::HTTPRequest request, bool raise_error = true,
                                     eddy::AsyncHTTPClientOptions options = {}) {
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop, options);
  return loop.run_sync([&] { return client.fetch(std::move(request), raise_error); }, std::chrono::seconds(60));
}
inline eddy::HTTPResponse fetch_once(const std::string& url, bool raise_error = true) {
  return fetch_once(eddy::HTTPRequest(url), raise_error);
}

inline std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

// A script answering every request on a connection with `response`.
inline ScriptedServer::Script answer_all(std::string response) {
  return [response](ScriptConn& c) {
    while (!c.read_request().empty()) c.send(response);
  };
}

inline const std::string hello = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!";

}  // namespace eddy_test
