// libFuzzer harness for the cookie code: the Cookie header reader, the
// Set-Cookie writer's checks, the signed value decoder and the
// If-None-Match matcher. Each input is checked against invariants that hold
// for any bytes:
// - nothing crashes, leaks or is undefined (the sanitizers watch);
// - every piece of the header with a name is found by that name (the
//   empty name never is), and no value found is longer than the header;
// - format_set_cookie either refuses a name/value (std::invalid_argument,
//   nothing else) or writes a line whose name=value reads back through
//   find_cookie as the same value, and that holds no CR, LF or NUL;
// - the bytes as a signed value never verify under a key they were not
//   signed with, and a value eddy signs verifies;
// - If-None-Match: "*" matches anything, and a list starting with a quoted
//   tag matches that tag.
// The input is split at its first 0xFF byte into a header and a value.
//
// Built by scripts/fuzz (FUZZ_TARGET=cookie) with clang++ -fsanitize=fuzzer;
// replayed over fuzz/corpus/cookie/ in every build by replay_main.cpp
// (ctest fuzz.cookie.replay).
#include <eddy/web.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

using namespace eddy::detail;

namespace {

void check_reading(std::string_view header) {
  std::string_view rest = header;
  while (!rest.empty()) {
    std::size_t semi = rest.find(';');
    std::string_view piece = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim_cookie_blanks(piece.substr(0, eq));
    std::optional<std::string> found = find_cookie(header, name);
    EDDY_FUZZ_CHECK(name.empty() != found.has_value());
    if (found) EDDY_FUZZ_CHECK(found->size() <= header.size());
  }
  std::optional<std::string> a = find_cookie(header, "a");
  if (a) EDDY_FUZZ_CHECK(a->size() <= header.size());
}

void check_writing(std::string_view name, std::string_view value) {
  std::string line;
  try {
    line = format_set_cookie(name, value, {}, std::chrono::system_clock::time_point());
  } catch (const std::invalid_argument&) {
    return;
  }
  EDDY_FUZZ_CHECK(eddy::is_valid_header_value(line));
  std::optional<std::string> back = find_cookie(line.substr(0, line.find(';')), name);
  EDDY_FUZZ_CHECK(back.has_value());
  if (value.empty() || value.front() != '"') EDDY_FUZZ_CHECK(*back == value);
}

void check_signing(std::string_view bytes) {
  EDDY_FUZZ_CHECK(!decode_signed_value("fuzz key", "n", bytes, 1700000000, 86400));
  std::string signed_value = create_signed_value("fuzz key", "n", bytes, 1700000000);
  EDDY_FUZZ_CHECK(decode_signed_value("fuzz key", "n", signed_value, 1700000000, 86400) == bytes);
  EDDY_FUZZ_CHECK(is_cookie_value(signed_value));
}

void check_etag(std::string_view header) {
  (void)if_none_match_matches(header, "\"abc\"");
  EDDY_FUZZ_CHECK(if_none_match_matches("*", header));
  std::size_t close = header.size() > 1 && header.front() == '"' ? header.find('"', 1) : std::string_view::npos;
  if (close != std::string_view::npos) EDDY_FUZZ_CHECK(if_none_match_matches(header, header.substr(0, close + 1)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t split = input.find('\xFF');
  std::string_view header = input.substr(0, split);
  std::string_view value = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  check_reading(header);
  check_writing(header.substr(0, header.find('=')), value);
  check_signing(input);
  check_etag(header);
  return 0;
}
