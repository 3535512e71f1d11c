// The web layer's input-size costs (issue 20): routing a path through regex
// routes, and parsing a form body of distinct argument names.
//
// Routing: eddy's RoutePattern (a Pike VM) against std::regex_match, the
// engine routes used before, on paths of growing length. std::regex recurses
// once per character in libstdc++, so it is measured only up to
// `regex_max` bytes (default 4096): beyond some tens of KB it overflows the
// stack. Arguments: parse_query on bodies of distinct names ("n0=v&n1=v..."),
// linear since the name index (it was quadratic: 11.9 s for 256 KiB).
//
//   eddy_web_routing [repetitions = 20] [largest path = 65000] [regex_max = 4096]
//
// Prints, per pattern, path length and engine:
//   RESULT workload=web_routing impl=<eddy|std_regex> pattern=<name> bytes=<n> n=<reps>
//          ns_per_op=<wall ns per match> cpu_ns_per_op=<CPU ns per match>
// and per body size:
//   RESULT workload=web_routing impl=eddy parse_query bytes=<n> names=<k> n=<reps> ns_per_op=...
#include <eddy/detail/http/route_pattern.hpp>
#include <eddy/httputil.hpp>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace {

struct Case {
  const char* name;
  const char* pattern;
  const char* regex;  // the same for std::regex, which has no named groups
  std::string (*path)(std::size_t bytes);  // a matching path of about `bytes`
};

std::string digits(std::size_t n) { return "/user/" + std::string(n, '7'); }
std::string file(std::size_t n) { return "/files/" + std::string(n, 'f'); }
std::string segments(std::size_t n) {
  std::string p = "/page-1/12345678/";
  while (p.size() < n) p += "x/";
  return p + "y.html";
}

const Case cases[] = {
    {"user_digits", "/user/([0-9]+)", "/user/([0-9]+)", digits},
    {"files_any", "/files/(.*)", "/files/(.*)", file},
    {"named_lazy", "/(?P<name>[a-z0-9_-]+)/(\\d{1,8})(?:/(.*?))?(?:\\.(html|json))?$",
     "/([a-z0-9_-]+)/(\\d{1,8})(?:/(.*?))?(?:\\.(html|json))?$", segments},
};

void route(const Case& c, std::size_t bytes, std::uint64_t reps, std::size_t regex_max) {
  std::string path = c.path(bytes);
  std::string params = std::string("pattern=") + c.name + " bytes=" + std::to_string(path.size());
  eddy::detail::RoutePattern pattern(c.pattern);
  std::size_t matched = 0;
  bench::Stopwatch eddy_watch;
  for (std::uint64_t i = 0; i < reps; ++i) matched += pattern.match(path) != nullptr;
  bench::report_per_op("web_routing", "eddy", params, reps, eddy_watch.wall_ns(), eddy_watch.cpu_used_ns());
  if (path.size() <= regex_max) {
    std::regex re(c.regex);
    std::smatch m;
    bench::Stopwatch regex_watch;
    for (std::uint64_t i = 0; i < reps; ++i) matched += std::regex_match(path, m, re);
    bench::report_per_op("web_routing", "std_regex", params, reps, regex_watch.wall_ns(), regex_watch.cpu_used_ns());
  }
  if (matched == 0) std::fprintf(stderr, "web_routing: %s did not match\n", c.name);
}

void parse(std::size_t bytes, std::uint64_t reps) {
  std::string body;
  std::size_t names = 0;
  while (body.size() < bytes) body += "n" + std::to_string(names++) + "=v&";
  std::size_t total = 0;
  bench::Stopwatch watch;
  for (std::uint64_t i = 0; i < reps; ++i) total += eddy::parse_query(body).size();
  std::string params = "parse_query bytes=" + std::to_string(body.size()) + " names=" + std::to_string(names);
  bench::report_per_op("web_routing", "eddy", params, reps, watch.wall_ns(), watch.cpu_used_ns());
  if (total != names * reps) std::fprintf(stderr, "web_routing: parse_query lost names\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t reps = bench::arg_or(argc, argv, 1, 20);
  std::size_t largest = bench::arg_or(argc, argv, 2, 65000);
  std::size_t regex_max = bench::arg_or(argc, argv, 3, 4096);
  for (const Case& c : cases) {
    for (std::size_t bytes = 64; bytes <= largest; bytes *= 8) route(c, bytes, reps, regex_max);
    route(c, largest, reps, regex_max);
  }
  for (std::size_t kib : {16, 256, 1024}) parse(kib * 1024, reps);
  return 0;
}
