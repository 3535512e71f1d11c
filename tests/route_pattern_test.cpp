// RoutePattern, the routing regex matcher: each construct of the subset,
// capture semantics (leftmost-first, greedy and lazy, alternation priority,
// unmatched groups), std::regex as the oracle on short subjects, long
// subjects that made std::regex overflow the stack, and refused patterns.
#include <eddy/detail/http/route_pattern.hpp>
#include <eddy/detail/base/splitmix64.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

using eddy::detail::RoutePattern;
using eddy::detail::RouteSpan;

namespace {

// The groups of a whole-subject match ("<unset>" for a group that took no
// part), or {"<no match>"}.
std::vector<std::string> groups_of(const std::string& pattern, const std::string& subject) {
  RoutePattern p(pattern);
  std::vector<RouteSpan> spans;
  if (!p.match(subject, spans)) return {"<no match>"};
  REQUIRE(spans.size() == p.groups());
  std::vector<std::string> out;
  for (const RouteSpan& s : spans) out.push_back(s.matched() ? subject.substr(s.begin, s.end - s.begin) : "<unset>");
  return out;
}

bool matches(const std::string& pattern, const std::string& subject) {
  return groups_of(pattern, subject) != std::vector<std::string>{"<no match>"};
}

// What std::regex_match (ECMAScript) gives, in the same form.
std::vector<std::string> oracle(const std::string& pattern, const std::string& subject) {
  std::regex re(pattern, std::regex::ECMAScript);
  std::smatch m;
  if (!std::regex_match(subject, m, re)) return {"<no match>"};
  std::vector<std::string> out;
  for (std::size_t i = 1; i < m.size(); ++i) out.push_back(m[i].matched ? m[i].str() : "<unset>");
  return out;
}

using Groups = std::vector<std::string>;

}  // namespace

TEST_CASE("route patterns: literals, '.', classes and escapes match byte by byte", "[route_pattern]") {
  CHECK(matches("/a.c", "/abc"));
  CHECK_FALSE(matches("/a.c", "/a\nc"));
  CHECK(matches("/[a-z0-9_-]x", "/-x"));
  CHECK(matches("/[a-z0-9_-]x", "/7x"));
  CHECK_FALSE(matches("/[a-z0-9_-]x", "/Ax"));
  CHECK(matches("/[^/]x", "/ax"));
  CHECK_FALSE(matches("/[^/]x", "//x"));
  CHECK(matches("\\d\\w\\s\\D\\W\\S", "7_ a/b"));
  CHECK_FALSE(matches("\\d", "a"));
  CHECK(matches("\\.\\/\\-\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$\\\\", "./-()[]{}*+?|^$\\"));
  CHECK(matches("\\x41\\u0042\\t", "AB\t"));
  CHECK(matches("[\\d.]+", "1.2.3"));
  CHECK(matches("[a\\-z]", "-"));
  CHECK(matches("[^]", "\n"));
  CHECK_FALSE(matches("[]", "a"));
  CHECK(matches("a]b}", "a]b}"));  // a lone ']' or '}' is itself
}

TEST_CASE("route patterns: quantifiers, counted repetition and anchors", "[route_pattern]") {
  CHECK(matches("/a*", "/"));
  CHECK(matches("/a*", "/aaaa"));
  CHECK_FALSE(matches("/a+", "/"));
  CHECK(matches("/ab?c", "/ac"));
  CHECK(matches("/ab?c", "/abc"));
  CHECK_FALSE(matches("/a{3}", "/aa"));
  CHECK(matches("/a{3}", "/aaa"));
  CHECK_FALSE(matches("/a{3}", "/aaaa"));
  CHECK(matches("/a{2,}", "/aaaaa"));
  CHECK_FALSE(matches("/a{2,}", "/a"));
  CHECK(matches("/a{1,3}", "/aaa"));
  CHECK_FALSE(matches("/a{1,3}", "/aaaa"));
  CHECK(matches("/a{0}b", "/b"));
  CHECK(matches("^/path$", "/path"));
  CHECK_FALSE(matches("^/path$", "/path/"));
  CHECK_FALSE(matches("/a^b", "/ab"));  // '^' holds only at the start
  CHECK_FALSE(matches("\\bab\\B", "ab"));
  CHECK(matches("x\\b-", "x-"));
}

TEST_CASE("route patterns: the whole path must match, not a prefix or a suffix", "[route_pattern]") {
  CHECK_FALSE(matches("/user/([0-9]+)", "/user/12/x"));
  CHECK_FALSE(matches("/user/([0-9]+)", "/x/user/12"));
  CHECK(groups_of("/user/([0-9]+)", "/user/12") == Groups{"12"});
}

TEST_CASE("route patterns: greedy takes the most, lazy the least, and the rest adjusts", "[route_pattern]") {
  CHECK(groups_of("/(.*)/(.*)", "/a/b/c") == Groups{"a/b", "c"});
  CHECK(groups_of("/(.*?)/(.*)", "/a/b/c") == Groups{"a", "b/c"});
  CHECK(groups_of("(a+?)(a*)", "aaa") == Groups{"a", "aa"});
  CHECK(groups_of("(a{1,3}?)(a*)", "aaa") == Groups{"a", "aa"});
  CHECK(groups_of("(a?\?)(a*)", "aa") == Groups{"", "aa"});
  CHECK(groups_of("(a?)(a*)", "aa") == Groups{"a", "a"});
  CHECK(groups_of("(.*?)(\\d+)", "ab123") == Groups{"ab", "123"});
}

TEST_CASE("route patterns: alternation prefers the earlier branch", "[route_pattern]") {
  CHECK(groups_of("(a|ab)(c|bcd)(d*)", "abcd") == Groups{"a", "bcd", ""});
  CHECK(groups_of("(ab|a)(c|bcd)(d*)", "abcd") == Groups{"ab", "c", "d"});
  CHECK(groups_of("/(?:x|(y))", "/x") == Groups{"<unset>"});
  CHECK(groups_of("(a|b)*c", "abac") == Groups{"a"});  // the last iteration's capture
}

TEST_CASE("route patterns: groups are numbered by their '(' and named ones count too", "[route_pattern]") {
  CHECK(groups_of("/((a)(b))(?:c)(d)?", "/abc") == Groups{"ab", "a", "b", "<unset>"});
  RoutePattern named("/(?P<user>[a-z]+)/(\\d+)/(?<page>\\d+)");
  CHECK(named.groups() == 3);
  CHECK(named.names() == Groups{"user", "", "page"});
  CHECK(groups_of("/(?P<user>[a-z]+)/(\\d+)/(?<page>\\d+)", "/bob/7/2") == Groups{"bob", "7", "2"});
}

TEST_CASE("route patterns: groups agree with std::regex_match on short paths", "[route_pattern]") {
  const char* patterns[] = {"/user/([0-9]+)", "/files/(.*)", "/([^/]+)/([^/]+)?/?", "/(a|ab|abc)(c?)(.*)",
                            "/(\\w+)-(\\d{2,4})(?:\\.(html|json))?", "(a|b)*c", "/x/(.*?)(/edit)?",
                            "/(?:(a)|b)*", "^/static/([a-z0-9_./-]+)$", "/(a*?)(a?)(a+)",
                            "/([a-z]{1,3}?)([a-z]*)", "/(x|xy|xyz)(z*)$"};
  const char* subjects[] = {"/user/42", "/user/", "/files/a/b.txt", "/files/", "/a/b", "/a/", "/a",
                            "/abc", "/abcc", "/ab", "/page-2024.html", "/page-12", "/page-12.xml",
                            "abababc", "c", "ab", "/x/1/2/edit", "/x/", "/abab", "/static/css/site.css",
                            "/aaaa", "/abcdef", "/xyz", "/xyzz", "/xy"};
  for (const char* pattern : patterns) {
    for (const char* subject : subjects) {
      INFO("pattern " << pattern << " subject " << subject);
      CHECK(groups_of(pattern, subject) == oracle(pattern, subject));
    }
  }
}

namespace {

// Random patterns over {a, b, /}: literals, classes, groups, alternations and
// quantifiers (greedy and lazy), never quantifying what can match empty
// (the one documented difference from backtracking engines).
struct PatternMaker {
  eddy::detail::SplitMix64 rng{20};
  int pick(int n) { return static_cast<int>(rng.next() % static_cast<std::uint64_t>(n)); }

  std::string make(int depth, bool& nullable) {
    static const char* atoms[] = {"a", "b", ".", "[ab]", "[^a]", "/", "\\w"};
    static const char* quantifiers[] = {"*", "+", "?", "*?", "+?", "?\?", "{2}", "{1,2}", "{0,2}?", "{1,}"};
    static const bool quantified_nullable[] = {true, false, true, true, false, true, false, false, true, false};
    std::string out;
    nullable = true;
    for (int n = 1 + pick(3); n > 0; --n) {
      bool atom_nullable = false, left = false, right = false;
      std::string atom;
      int kind = pick(depth > 1 ? 7 : 10);
      if (kind < 7) {
        atom = atoms[kind];
      } else if (kind == 7) {
        atom = "(" + make(depth + 1, left) + ")";
        atom_nullable = left;
      } else {
        std::string a = make(depth + 1, left), b = make(depth + 1, right);
        atom = (kind == 8 ? "(?:" : "(") + a + "|" + b + ")";
        atom_nullable = left || right;
      }
      int q = pick(14);
      if (q < 10 && !atom_nullable) {
        atom += quantifiers[q];
        atom_nullable = quantified_nullable[q];
      }
      nullable = nullable && atom_nullable;
      out += atom;
    }
    return out;
  }
};

}  // namespace

TEST_CASE("route patterns: random patterns match and capture as std::regex_match does", "[route_pattern]") {
  PatternMaker maker;
  int compared = 0;
  for (int i = 0; i < 300; ++i) {
    bool nullable = false;
    std::string pattern = maker.make(0, nullable);
    if (maker.pick(4) == 0) pattern = "^" + pattern;
    if (maker.pick(4) == 0) pattern += "$";
    for (int j = 0; j < 8; ++j) {
      std::string subject;
      for (int k = maker.pick(8); k > 0; --k) subject += "ab/"[maker.pick(3)];
      INFO("pattern " << pattern << " subject " << subject);
      CHECK(groups_of(pattern, subject) == oracle(pattern, subject));
      ++compared;
    }
  }
  CHECK(compared == 2400);
}

TEST_CASE("route patterns: a 60 KB path matches in linear time without recursion", "[route_pattern]") {
  std::string digits(60000, '7');
  CHECK(groups_of("/user/([0-9]+)", "/user/" + digits) == Groups{digits});
  std::string tail(60000, 'f');
  CHECK(groups_of("/files/(.*)", "/files/" + tail) == Groups{tail});
  CHECK(groups_of("/files/(.*)", "/filez/" + tail) == Groups{"<no match>"});
  std::string ab;
  for (int i = 0; i < 30000; ++i) ab += i % 3 == 0 ? "a" : "b";
  CHECK(groups_of("(a|b)*c", ab + "c") == Groups{"b"});
  CHECK_FALSE(matches("(a|b)*c", ab));
  CHECK(groups_of("((?:a|b)+?)(b*)c", ab + "c").size() == 2);
  CHECK(groups_of("(.*)(.*)(.*)x", std::string(60000, 'y') + "x") == Groups{std::string(60000, 'y'), "", ""});
}

TEST_CASE("route patterns: a pattern outside the subset or malformed throws std::regex_error", "[route_pattern]") {
  const char* bad[] = {"/(unclosed", "/unopened)", "/[abc", "*a", "/a**", "/a{2}{3}", "/a{", "/a{x}",
                       "/a{3,2}", "/a{,3}", "/a{1001}", "/(\\w+)\\1", "/(?P<n>a)(?P=n)", "/(?=a)",
                       "/(?!a)", "/(?<=a)b", "/(?<!a)b", "/(?i)a", "/[[:alpha:]]", "/\\q", "/\\k<n>",
                       "/\\", "/[z-a]", "/^*", "/\\x4", "/\\u00e9", "/(?P<1a>x)", "/(?P<a", "/[\\d-z]"};
  for (const char* pattern : bad) {
    INFO(pattern);
    CHECK_THROWS_AS(RoutePattern(pattern), std::regex_error);
  }
  // The message names the pattern and the offset.
  try {
    RoutePattern p("/a/(?=b)");
    FAIL("no exception");
  } catch (const std::regex_error& e) {
    CHECK(std::string(e.what()).find("\"/a/(?=b)\"") != std::string::npos);
    CHECK(std::string(e.what()).find("offset") != std::string::npos);
  }
}

TEST_CASE("route patterns: a program past the size bound is refused when compiled", "[route_pattern]") {
  CHECK_NOTHROW(RoutePattern("/[0-9a-f]{64}"));
  CHECK_THROWS_AS(RoutePattern("/((a{1000}){1000})"), std::regex_error);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(";
  deep += "a";
  for (int i = 0; i < 100; ++i) deep += ")";
  CHECK_THROWS_AS(RoutePattern(deep), std::regex_error);
}
