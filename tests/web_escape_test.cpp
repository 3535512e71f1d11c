// Tornado's escape module: url_escape, url_unescape, xhtml_escape and
// json_escape, pinned by the outputs of Python's tornado.escape 6.2 (and, for
// json_escape, json.dumps(s, ensure_ascii=False) with "</" as "<\/", which is
// Tornado's json_encode keeping UTF-8 as UTF-8).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

#include <eddy/httputil.hpp>

using namespace std::string_literals;

TEST_CASE("url_unescape decodes '+' as a space by default and keeps it with plus = false", "[web][escape]") {
  CHECK(eddy::url_unescape("a+b") == "a b");
  CHECK(eddy::url_unescape("a+b", false) == "a+b");
  CHECK(eddy::url_unescape("a%20b") == "a b");
  CHECK(eddy::url_unescape("%2B+") == "+ ");
  CHECK(eddy::url_unescape("%2B+", false) == "++");
  CHECK(eddy::url_unescape("caf%C3%A9") == "caf\xC3\xA9");
  CHECK(eddy::url_unescape("%E2%98%83", false) == "\xE2\x98\x83");
}

TEST_CASE("url_unescape throws for a bad escape where Tornado would keep it", "[web][escape]") {
  CHECK_THROWS_AS(eddy::url_unescape("a b%zz"), std::invalid_argument);
  CHECK_THROWS_AS(eddy::url_unescape("%4", false), std::invalid_argument);
}

TEST_CASE("url_escape is quote_plus by default and quote (keeping '/') with plus = false", "[web][escape]") {
  CHECK(eddy::url_escape("a b") == "a+b");
  CHECK(eddy::url_escape("a b", false) == "a%20b");
  CHECK(eddy::url_escape("a+b&c=d/e?%") == "a%2Bb%26c%3Dd%2Fe%3F%25");
  CHECK(eddy::url_escape("a+b&c=d/e?%", false) == "a%2Bb%26c%3Dd/e%3F%25");
  CHECK(eddy::url_escape("\xC3\xA9~-._") == "%C3%A9~-._");
  CHECK(eddy::url_unescape(eddy::url_escape("x y+z%/")) == "x y+z%/");
  CHECK(eddy::url_unescape(eddy::url_escape("x y+z%/", false), false) == "x y+z%/");
}

TEST_CASE("xhtml_escape escapes the five XML specials as Tornado does", "[web][escape]") {
  CHECK(eddy::xhtml_escape("") == "");
  CHECK(eddy::xhtml_escape("plain") == "plain");
  CHECK(eddy::xhtml_escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  CHECK(eddy::xhtml_escape("&amp;") == "&amp;amp;");
  CHECK(eddy::xhtml_escape("caf\xC3\xA9 \xE2\x98\x83") == "caf\xC3\xA9 \xE2\x98\x83");
}

TEST_CASE("json_escape gives a quoted JSON string with short escapes, \\u00XX controls and <\\/",
          "[web][escape]") {
  CHECK(eddy::json_escape("") == R"("")");
  CHECK(eddy::json_escape("a\"b\\c") == R"("a\"b\\c")");
  CHECK(eddy::json_escape("\n\r\t\b\f\x01\x1f\x7f"s + '\0') == "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\\u0000\"");
  CHECK(eddy::json_escape("</script><\\/x>") == R"("<\/script><\\/x>")");
  CHECK(eddy::json_escape("/x</") == R"("/x<\/")");
}

TEST_CASE("json_escape passes valid UTF-8 through and refuses invalid UTF-8", "[web][escape]") {
  std::string text = "caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  CHECK(eddy::json_escape(text) == "\"" + text + "\"");
  for (std::string_view bad : {"\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                               "\xF8\x88\x80\x80\x80", "ok\xE2\x98", "\xFF"}) {
    INFO(bad);
    CHECK_THROWS_AS(eddy::json_escape(bad), std::invalid_argument);
  }
}
