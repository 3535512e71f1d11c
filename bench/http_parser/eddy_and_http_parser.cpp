// Request-parser throughput: eddy's head parser (with the framing and
// keep-alive analysis a server runs on every request) against http-parser
// (libhttp-parser-dev, Node's old parser) when it is installed, on a corpus
// of real requests. Both parse the same bytes from the same buffer, store the
// same spans (method, target, every name and value), and alternate round by
// round, so drifts of the machine hit both alike.
//
//   eddy_http_parser [iterations per round = 2e6] [rounds = 5]
//
// Prints, per round, request and implementation:
//   RESULT workload=http_parser impl=<eddy|eddy-head-only|http-parser> request=<name> bytes=<n> n=<i>
//          ns_per_op=<wall ns per request> cpu_ns_per_op=<CPU ns per request>
// and a summary of medians and the eddy/http-parser throughput ratio on
// stderr. It pins itself to CPU 0, as taskset -c 0 would.
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>

#if EDDY_BENCH_HAVE_HTTP_PARSER
#include <http_parser.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace {

struct Request {
  const char* name;
  std::string bytes;
};

// Captured from browsers and tools against a local server (cookies and
// tokens replaced by same-length stand-ins). chrome is the ~700-byte request
// the figures refer to.
std::vector<Request> corpus() {
  return {
      {"chrome",
       "GET /static/js/app.min.js?v=20240501 HTTP/1.1\r\n"
       "Host: www.example-shop.com\r\n"
       "Connection: keep-alive\r\n"
       "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
       "sec-ch-ua-mobile: ?0\r\n"
       "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/124.0.0.0 Safari/537.36\r\n"
       "sec-ch-ua-platform: \"Linux\"\r\n"
       "Accept: */*\r\n"
       "Sec-Fetch-Site: same-origin\r\n"
       "Sec-Fetch-Mode: no-cors\r\n"
       "Sec-Fetch-Dest: script\r\n"
       "Referer: https://www.example-shop.com/products/category/shoes\r\n"
       "Accept-Encoding: gzip, deflate, br, zstd\r\n"
       "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
       "Cookie: _ga=GA1.2.1234567890.1714550000; _gid=GA1.2.987654321.1714550000; "
       "session=eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjQyfQ.c2lnbmF0dXJl; cart=3; theme=dark\r\n"
       "\r\n"},
      {"firefox",
       "GET /index.html HTTP/1.1\r\n"
       "Host: localhost:8888\r\n"
       "User-Agent: Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
       "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
       "Accept-Language: en-US,en;q=0.5\r\n"
       "Accept-Encoding: gzip, deflate, br\r\n"
       "DNT: 1\r\n"
       "Connection: keep-alive\r\n"
       "Upgrade-Insecure-Requests: 1\r\n"
       "Sec-Fetch-Dest: document\r\n"
       "Sec-Fetch-Mode: navigate\r\n"
       "Sec-Fetch-Site: none\r\n"
       "Sec-Fetch-User: ?1\r\n"
       "If-Modified-Since: Wed, 01 May 2024 08:49:37 GMT\r\n"
       "\r\n"},
      {"curl", "GET /api/v1/items?limit=10 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\n"
               "Accept: */*\r\n\r\n"},
      {"wrk", "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"},
      {"post",
       "POST /api/v1/orders HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: python-requests/2.31.0\r\n"
       "Accept-Encoding: gzip, deflate\r\nAccept: application/json\r\nConnection: keep-alive\r\n"
       "Content-Type: application/json\r\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\r\n"
       "Content-Length: 27\r\n\r\n"},
  };
}

// What each parser leaves for the server: the spans of the head.
struct Spans {
  const char* method = nullptr;
  std::size_t method_len = 0;
  const char* url = nullptr;
  std::size_t url_len = 0;
  struct Field {
    const char* name;
    std::size_t name_len;
    const char* value;
    std::size_t value_len;
  };
  Field fields[64];
  std::size_t count = 0;
};

std::uint64_t sink = 0;

// eddy's head parser followed by the framing and keep-alive analysis
// (what a server runs, and what http-parser does in its one pass), or the
// head parser alone (what picohttpparser does) when `framing` is false.
double run_eddy(const std::string& bytes, std::uint64_t iterations, bool framing, double& cpu) {
  using namespace eddy::detail::http;
  RequestHead head;
  head.headers.reserve(64);
  bench::Stopwatch watch;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    ParseResult r = parse_request_head(bytes, head);
    sink += r.consumed + head.headers.size();
    if (framing) sink += analyze_request(head).keep_alive ? 1 : 0;
  }
  cpu = watch.cpu_used_ns();
  return watch.wall_ns();
}

#if EDDY_BENCH_HAVE_HTTP_PARSER
// The callbacks a server needs to find what eddy's parser returns: the url
// and each field's name and value (http-parser may deliver a span in pieces
// only across buffers; here the whole request is one buffer).
int on_url(http_parser* p, const char* at, std::size_t len) {
  auto* s = static_cast<Spans*>(p->data);
  s->url = at;
  s->url_len = len;
  return 0;
}
int on_header_field(http_parser* p, const char* at, std::size_t len) {
  auto* s = static_cast<Spans*>(p->data);
  if (s->count < 64) s->fields[s->count++] = Spans::Field{at, len, nullptr, 0};
  return 0;
}
int on_header_value(http_parser* p, const char* at, std::size_t len) {
  auto* s = static_cast<Spans*>(p->data);
  if (s->count > 0) {
    s->fields[s->count - 1].value = at;
    s->fields[s->count - 1].value_len = len;
  }
  return 0;
}
int on_headers_complete(http_parser*) { return 0; }

double run_http_parser(const std::string& bytes, std::uint64_t iterations, double& cpu) {
  http_parser_settings settings{};
  settings.on_url = on_url;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_headers_complete = on_headers_complete;
  Spans spans;
  http_parser parser;
  bench::Stopwatch watch;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    spans.count = 0;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &spans;
    std::size_t n = http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
    sink += n + spans.count + (http_should_keep_alive(&parser) ? 1 : 0);
  }
  cpu = watch.cpu_used_ns();
  return watch.wall_ns();
}
#endif

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  bench::pin_to_cpu(0);  // as taskset -c 0: both parsers on one core
  std::uint64_t iterations = bench::arg_or(argc, argv, 1, 2'000'000);
  std::uint64_t rounds = bench::arg_or(argc, argv, 2, 5);
  std::vector<Request> requests = corpus();
  // Each request must parse, and fully, or the comparison means nothing.
  for (auto& request : requests) {
    eddy::detail::http::RequestHead head;
    auto r = eddy::detail::http::parse_request_head(request.bytes, head);
    if (!r.complete() || r.consumed != request.bytes.size()) {
      std::fprintf(stderr, "corpus request %s does not parse\n", request.name);
      return 1;
    }
  }
  struct Series {
    std::vector<double> eddy, head_only, peer;
  };
  std::vector<Series> cpu(requests.size());
  for (std::uint64_t round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const Request& request = requests[i];
      std::string params = "request=" + std::string(request.name) + " bytes=" + std::to_string(request.bytes.size());
      double cpu_ns = 0;
      double wall = run_eddy(request.bytes, iterations, true, cpu_ns);
      bench::report_per_op("http_parser", "eddy", params, iterations, wall, cpu_ns);
      cpu[i].eddy.push_back(cpu_ns / double(iterations));
      wall = run_eddy(request.bytes, iterations, false, cpu_ns);
      bench::report_per_op("http_parser", "eddy-head-only", params, iterations, wall, cpu_ns);
      cpu[i].head_only.push_back(cpu_ns / double(iterations));
#if EDDY_BENCH_HAVE_HTTP_PARSER
      wall = run_http_parser(request.bytes, iterations, cpu_ns);
      bench::report_per_op("http_parser", "http-parser", params, iterations, wall, cpu_ns);
      cpu[i].peer.push_back(cpu_ns / double(iterations));
#endif
    }
  }
  // Medians of CPU ns per request; ratios are http-parser's time over
  // eddy's, i.e. eddy's throughput in units of http-parser's.
  std::fprintf(stderr, "%-8s %6s %10s %10s %10s %11s %11s %9s %9s\n", "request", "bytes", "eddy", "eddy-head",
               "http-p", "eddy Mreq/s", "http-p Mr/s", "ratio", "head ratio");
  for (std::size_t i = 0; i < requests.size(); ++i) {
    double e = median(cpu[i].eddy), h = median(cpu[i].head_only), p = median(cpu[i].peer);
    std::fprintf(stderr, "%-8s %6zu %10.1f %10.1f %10.1f %11.2f %11.2f %9.2f %9.2f\n", requests[i].name,
                 requests[i].bytes.size(), e, h, p, 1e3 / e, p > 0 ? 1e3 / p : 0.0, p > 0 ? p / e : 0.0,
                 p > 0 ? p / h : 0.0);
  }
  return sink == 42 ? 2 : 0;  // keeps the parsers' results alive
}
