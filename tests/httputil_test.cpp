// httputil.hpp: HTTPHeaders, percent-decoding, query arguments, the HTTP
// date, reason phrases and the header value checks.
#include <eddy/httputil.hpp>

#include <catch2/catch.hpp>

#include <time.h>

#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/alloc_counter.hpp"

using eddy::HTTPHeaders;
using namespace std::literals;

TEST_CASE("HTTPHeaders: names are case-insensitive", "[http][httputil]") {
  HTTPHeaders h;
  h.add("Content-Type", "text/plain");
  CHECK(h.get("content-type") == "text/plain");
  CHECK(h.get("CONTENT-TYPE") == "text/plain");
  CHECK(h.contains("cOnTeNt-TyPe"));
  CHECK_FALSE(h.contains("Content-Length"));
}

TEST_CASE("HTTPHeaders: several values per name, get joins them with a comma", "[http][httputil]") {
  HTTPHeaders h;
  h.add("Set-Cookie", "a=1");
  h.add("X", "y");
  h.add("set-cookie", "b=2");
  CHECK(h.get("Set-Cookie") == "a=1,b=2");
  CHECK(h.get_list("SET-COOKIE") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(h.count("set-cookie") == 2);
  CHECK(h.size() == 3);
}

TEST_CASE("HTTPHeaders: get gives the default when the name is absent", "[http][httputil]") {
  HTTPHeaders h;
  CHECK(h.get("X") == "");
  CHECK(h.get("X", "none") == "none");
  h.add("X", "");
  CHECK(h.get("X", "none") == "");
  CHECK(h.get_list("Y").empty());
}

TEST_CASE("HTTPHeaders: iteration yields every pair in arrival order, names as added", "[http][httputil]") {
  HTTPHeaders h;
  h.add("Host", "a");
  h.add("accept", "*/*");
  h.add("HOST", "b");
  std::vector<std::pair<std::string, std::string>> seen;
  for (auto& [name, value] : h) seen.emplace_back(name, value);
  CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"Host", "a"}, {"accept", "*/*"}, {"HOST", "b"}});
}

TEST_CASE("HTTPHeaders: set replaces every value, keeping the first position", "[http][httputil]") {
  HTTPHeaders h{{"A", "1"}, {"B", "2"}, {"a", "3"}};
  h.set("A", "x");
  CHECK(h.get_list("a") == std::vector<std::string>{"x"});
  std::vector<std::string> names;
  for (auto& [name, value] : h) names.push_back(name);
  CHECK(names == std::vector<std::string>{"A", "B"});
  h.set("C", "new");
  CHECK(h.get("c") == "new");
  CHECK(h.size() == 3);
}

TEST_CASE("HTTPHeaders: remove drops every value of a name", "[http][httputil]") {
  HTTPHeaders h{{"A", "1"}, {"B", "2"}, {"a", "3"}};
  h.remove("a");
  CHECK_FALSE(h.contains("A"));
  CHECK(h.size() == 1);
  h.remove("missing");
  CHECK(h.size() == 1);
  CHECK(h.get("b") == "2");
  h.clear();
  CHECK(h.empty());
}

TEST_CASE("HTTPHeaders: find gives the first value without a copy", "[http][httputil]") {
  HTTPHeaders h{{"A", "1"}, {"a", "2"}};
  REQUIRE(h.find("A") != nullptr);
  CHECK(*h.find("a") == "1");
  CHECK(h.find("b") == nullptr);
}

TEST_CASE("HTTPHeaders: equality ignores name case, not value case or order", "[http][httputil]") {
  CHECK(HTTPHeaders{{"A", "x"}} == HTTPHeaders{{"a", "x"}});
  CHECK(HTTPHeaders{{"A", "x"}} != HTTPHeaders{{"A", "X"}});
  CHECK(HTTPHeaders{{"A", "1"}, {"B", "2"}} != HTTPHeaders{{"B", "2"}, {"A", "1"}});
}

TEST_CASE("HTTPHeaders: refilled after clear, it holds exactly the new fields in order", "[http][httputil]") {
  HTTPHeaders h{{"Host", "a"}, {"Accept", "*/*"}, {"Cookie", std::string(100, 'c')}};
  h.clear();
  CHECK(h.empty());
  CHECK(h.begin() == h.end());
  CHECK(h.find("Host") == nullptr);
  h.add("Host", "b");
  h.add("X-New", "1");
  CHECK(h.size() == 2);
  CHECK(h == HTTPHeaders{{"Host", "b"}, {"X-New", "1"}});
  CHECK(h.find("Accept") == nullptr);
  CHECK(h.find("Cookie") == nullptr);
  CHECK(h.get_list("Host") == std::vector<std::string>{"b"});
  h.add("Host", "c");  // into the third kept slot
  CHECK(h.get("Host") == "b,c");
  CHECK(h.count("host") == 2);
  h.set("Host", "d");
  CHECK(h == HTTPHeaders{{"Host", "d"}, {"X-New", "1"}});
  h.remove("Host");
  CHECK(h == HTTPHeaders{{"X-New", "1"}});
  h.add("A", "1");
  h.add("B", "2");
  CHECK(h == HTTPHeaders{{"X-New", "1"}, {"A", "1"}, {"B", "2"}});
}

TEST_CASE("HTTPHeaders: copies and moves carry the fields, not the kept slots", "[http][httputil]") {
  HTTPHeaders h{{"A", "1"}, {"B", "2"}, {"C", "3"}};
  h.clear();
  h.add("D", "4");
  HTTPHeaders copy(h);
  CHECK(copy == HTTPHeaders{{"D", "4"}});
  HTTPHeaders assigned{{"Z", "9"}};
  assigned = h;
  CHECK(assigned == h);
  HTTPHeaders moved(std::move(copy));
  CHECK(moved == h);
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
  HTTPHeaders target{{"Y", "8"}, {"X", "7"}};
  target = std::move(moved);
  CHECK(target == h);
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
  moved.add("E", "5");
  CHECK(moved == HTTPHeaders{{"E", "5"}});
}

TEST_CASE("HTTPHeaders: a list refilled with the same fields allocates nothing", "[http][httputil]") {
  const std::string agent(120, 'u'), cookie(3000, 'c');
  HTTPHeaders h;
  auto fill = [&] {
    h.clear();
    h.add("Host", "example.com");
    h.add("User-Agent", agent);
    h.add("Cookie", cookie);
  };
  fill();
  eddy_test::AllocationProbe probe;
  for (int i = 0; i < 10; ++i) fill();
  CHECK_ALLOCATIONS(probe, 0u);
  CHECK(h.get("Cookie") == cookie);
  // A value past what clear() keeps (8 KiB of heap storage in all) is
  // released: the next list of small fields does not hold it.
  h.clear();
  h.add("Big", std::string(64 * 1024, 'b'));
  h.clear();
  h.add("Small", "s");
  CHECK(h == HTTPHeaders{{"Small", "s"}});
}

TEST_CASE("url_unescape decodes percent-escapes; plus is a space unless plus is false", "[http][httputil]") {
  CHECK(eddy::url_unescape("a%20b%2Fc%2fd") == "a b/c/d");
  CHECK(eddy::url_unescape("a+b", false) == "a+b");
  CHECK(eddy::url_unescape("a+b") == "a b");
  CHECK(eddy::url_unescape("a+b", true) == "a b");
  CHECK(eddy::url_unescape("%2B", true) == "+");
  CHECK(eddy::url_unescape("%00") == "\0"s);
  CHECK(eddy::url_unescape("caf%C3%A9") == "caf\xC3\xA9");
  CHECK(eddy::url_unescape("") == "");
}

TEST_CASE("url_unescape refuses a bad escape with std::invalid_argument", "[http][httputil]") {
  for (std::string_view bad : {"%", "%4", "%zz", "a%g0", "%%", "abc%2"}) {
    INFO(bad);
    CHECK_THROWS_AS(eddy::url_unescape(bad), std::invalid_argument);
  }
  std::string out;
  CHECK_FALSE(eddy::url_unescape_to("%x1", out));
}

TEST_CASE("parse_query keeps names in first-seen order and every value in order", "[http][httputil]") {
  eddy::HTTPArguments args = eddy::parse_query("b=2&a=1&b=3&c=&d&&e=x%20y+z");
  std::vector<std::string> names;
  for (auto& [name, values] : args) names.push_back(name);
  CHECK(names == std::vector<std::string>{"b", "a", "c", "d", "e"});
  CHECK(args.get_list("b") == std::vector<std::string>{"2", "3"});
  CHECK(args.get_list("c") == std::vector<std::string>{""});
  CHECK(args.get_list("d") == std::vector<std::string>{""});
  CHECK(args.get_list("e") == std::vector<std::string>{"x y z"});
  CHECK(args.get_list("B").empty());  // argument names are case-sensitive
  CHECK_FALSE(args.contains("missing"));
}

TEST_CASE("parse_query decodes names, appends to what it holds, refuses bad escapes", "[http][httputil]") {
  eddy::HTTPArguments args = eddy::parse_query("a%5B%5D=1&x=a=b");
  CHECK(args.get_list("a[]") == std::vector<std::string>{"1"});
  CHECK(args.get_list("x") == std::vector<std::string>{"a=b"});
  eddy::parse_query("x=2", args);
  CHECK(args.get_list("x") == std::vector<std::string>{"a=b", "2"});
  CHECK_THROWS_AS(eddy::parse_query("a=%zz"), std::invalid_argument);
  CHECK(eddy::parse_query("").empty());
  CHECK(eddy::parse_query("&&").empty());
}

TEST_CASE("HTTPArguments keeps order, values and lookups past the names it scans", "[http][httputil]") {
  // Past a few names the arguments are found through a hash index: the
  // same answers as before it, in the same order.
  eddy::HTTPArguments args;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) args.add("k" + std::to_string(i), std::to_string(round));
  }
  REQUIRE(args.size() == 100);
  int i = 0;
  for (auto& [name, values] : args) {
    CHECK(name == "k" + std::to_string(i++));
    CHECK(values == std::vector<std::string>{"0", "1"});
  }
  CHECK(args.find("k99") != nullptr);
  CHECK(args.find("k100") == nullptr);
  CHECK(args.get_list("k7") == std::vector<std::string>{"0", "1"});
  eddy::HTTPArguments copy = args;
  copy.add("k3", "2");
  CHECK(copy.get_list("k3").size() == 3);
  CHECK(args.get_list("k3").size() == 2);
  args.clear();
  CHECK(args.empty());
  CHECK_FALSE(args.contains("k1"));
  for (int j = 0; j < 20; ++j) args.add("again" + std::to_string(j), "v");
  CHECK(args.size() == 20);
  CHECK(args.get_list("again19") == std::vector<std::string>{"v"});
  CHECK_FALSE(args.contains("k1"));
}

TEST_CASE("parse_query of 256 KiB and 1 MiB of distinct names takes linear time", "[http][httputil]") {
  // Each name used to be compared with every earlier one: 11.9 s for 256
  // KiB, 110 s for 1 MiB (optimized, no sanitizer). The bounds, in this
  // thread's CPU time so a loaded machine does not count, guard against that
  // coming back and are generous for sanitizers (TSan takes about 1.5 s for
  // 1 MiB): no speed claim.
  auto cpu_now = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  for (std::size_t kib : {256, 1024}) {
    std::string body;
    std::size_t names = 0;
    while (body.size() < kib * 1024) body += "name" + std::to_string(names++) + "=v&";
    auto start = cpu_now();
    eddy::HTTPArguments args = eddy::parse_query(body);
    CHECK(args.get_list("name" + std::to_string(names - 1)) == std::vector<std::string>{"v"});
    CHECK(cpu_now() - start < std::chrono::seconds(kib == 256 ? 5 : 20));
    CHECK(args.size() == names);
  }
}

TEST_CASE("format_http_date writes IMF-fixdate in UTC", "[http][httputil]") {
  CHECK(eddy::format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(eddy::format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(eddy::format_http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(eddy::format_http_date(4102444799) == "Thu, 31 Dec 2099 23:59:59 GMT");
  CHECK(eddy::format_http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(eddy::format_http_date(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK_THROWS_AS(eddy::format_http_date(253402300800), std::out_of_range);
  char buf[eddy::http_date_size];
  eddy::format_http_date(1700000000, buf);
  CHECK(std::string_view(buf, sizeof buf) == "Tue, 14 Nov 2023 22:13:20 GMT");
  auto when = std::chrono::system_clock::time_point(std::chrono::seconds(784111777) + std::chrono::milliseconds(999));
  CHECK(eddy::format_http_date(when) == "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_CASE("format_http_date agrees with gmtime over a span of days", "[http][httputil]") {
  for (std::int64_t t = -86400LL * 800; t < 86400LL * 365 * 140; t += 86400LL * 17 + 3607) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    REQUIRE(gmtime_r(&tt, &tm) != nullptr);
    char expected[64];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    INFO(t);
    REQUIRE(eddy::format_http_date(t) == expected);
  }
}

TEST_CASE("http_reason names the status codes", "[http][httputil]") {
  CHECK(eddy::http_reason(200) == "OK");
  CHECK(eddy::http_reason(404) == "Not Found");
  CHECK(eddy::http_reason(431) == "Request Header Fields Too Large");
  CHECK(eddy::http_reason(505) == "HTTP Version Not Supported");
  CHECK(eddy::http_reason(799) == "Unknown");
}

TEST_CASE("header values with CR, LF or NUL are refused", "[http][httputil]") {
  CHECK(eddy::is_valid_header_value("text/html; charset=UTF-8"));
  CHECK(eddy::is_valid_header_value("a\tb \xC3\xA9"));
  CHECK_FALSE(eddy::is_valid_header_value("a\rb"));
  CHECK_FALSE(eddy::is_valid_header_value("a\nb"));
  CHECK_FALSE(eddy::is_valid_header_value("a\0b"sv));
  CHECK_NOTHROW(eddy::check_header_value("X", "ok"));
  CHECK_THROWS_AS(eddy::check_header_value("X", "a\r\nSet-Cookie: evil"), std::invalid_argument);
  CHECK(eddy::is_token("Content-Type"));
  CHECK_FALSE(eddy::is_token("Content Type"));
  CHECK_FALSE(eddy::is_token(""));
  CHECK_THROWS_AS(eddy::check_header_name("a:b"), std::invalid_argument);
}

TEST_CASE("url_escape keeps unreserved bytes, turns a space into + (or %20) and the rest into %XX",
          "[http][httputil]") {
  CHECK(eddy::url_escape("aZ09-._~") == "aZ09-._~");
  CHECK(eddy::url_escape("a b") == "a+b");
  CHECK(eddy::url_escape("a b", false) == "a%20b");
  CHECK(eddy::url_escape("a+b&c=d/e?%") == "a%2Bb%26c%3Dd%2Fe%3F%25");
  CHECK(eddy::url_escape("\xc3\xa9") == "%C3%A9");
  CHECK(eddy::url_unescape(eddy::url_escape("x y+z%"), true) == "x y+z%");
}

TEST_CASE("form_urlencode joins escaped pairs with & in order", "[http][httputil]") {
  CHECK(eddy::form_urlencode({}) == "");
  CHECK(eddy::form_urlencode({{"a", "1"}, {"b c", "x&y"}, {"a", ""}}) == "a=1&b+c=x%26y&a=");
}

TEST_CASE("names compare without case, and CR, LF and NUL are found, at every length and position",
          "[http][httputil]") {
  // The checks go eight bytes at a step from eight bytes on: every length
  // from 0 to 40 and every position of the odd byte out.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string lower, upper, value;
    for (std::size_t i = 0; i < n; ++i) {
      lower += static_cast<char>('a' + i % 26);
      upper += static_cast<char>('A' + i % 26);
      value += static_cast<char>(i % 2 == 0 ? '\x80' + static_cast<char>(i % 64) : ' ' + static_cast<char>(i % 90));
    }
    CHECK(eddy::detail::iequals(lower, upper));
    CHECK(eddy::is_token(upper) == (n > 0));
    CHECK(eddy::is_valid_header_value(value));
    for (std::size_t i = 0; i < n; ++i) {
      std::string differs = upper;
      differs[i] = '-';
      CHECK_FALSE(eddy::detail::iequals(lower, differs));
      differs[i] = static_cast<char>(upper[i] ^ 0x20 ^ 0x01);  // another letter, other case
      CHECK_FALSE(eddy::detail::iequals(lower, differs));
      std::string not_token = upper;
      not_token[i] = ' ';
      CHECK_FALSE(eddy::is_token(not_token));
      for (char bad : {'\r', '\n', '\0'}) {
        std::string refused = value;
        refused[i] = bad;
        CHECK_FALSE(eddy::is_valid_header_value(refused));
      }
      std::string control = value;
      control[i] = '\x0E';  // a control byte the field syntax allows to pass
      CHECK(eddy::is_valid_header_value(control));
    }
  }
  // '@' and '[' sit next to the letters; '^' and '~' differ by the case bit.
  CHECK_FALSE(eddy::detail::iequals("@@@@@@@@@", "`````````"));
  CHECK_FALSE(eddy::detail::iequals("[[[[[[[[[", "{{{{{{{{{"));
  CHECK_FALSE(eddy::detail::iequals("^^^^^^^^^", "~~~~~~~~~"));
  for (int c = 0; c < 256; ++c) {
    bool tchar = std::isalnum(c) != 0 && c < 128;
    tchar = tchar || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    CHECK(eddy::is_tchar(static_cast<unsigned char>(c)) == tchar);
  }
}
