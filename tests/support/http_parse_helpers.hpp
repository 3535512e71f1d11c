// Helpers shared by the HTTP/1.x head parser and framing suites
// (http_parser_test.cpp, http_framing_test.cpp): what the server makes of a
// request's bytes.
#pragma once

#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string_view>

namespace eddy_test {

// The outcome of one request as the server sees it: 0 when acceptable, -1
// when incomplete, else the status of the error (head or framing).
inline int outcome(std::string_view bytes, std::size_t max_header_size = 64 * 1024) {
  eddy::detail::http::RequestHead head;
  eddy::detail::http::ParseResult r = eddy::detail::http::parse_request_head(bytes, head, max_header_size);
  if (r.incomplete()) return -1;
  if (r.error()) {
    REQUIRE(r.error_status >= 400);
    REQUIRE_FALSE(r.reason.empty());
    return r.error_status;
  }
  eddy::detail::http::MessageInfo info = eddy::detail::http::analyze_request(head);
  return info.ok() ? 0 : info.error_status;
}

inline eddy::detail::http::MessageInfo framing_of(std::string_view bytes) {
  eddy::detail::http::RequestHead head;
  eddy::detail::http::ParseResult r = eddy::detail::http::parse_request_head(bytes, head);
  REQUIRE(r.complete());
  return eddy::detail::http::analyze_request(head);
}

}  // namespace eddy_test
