// Tornado's web spider demo, in eddy: a Queue of URLs, N worker coroutines
// fetching with AsyncHTTPClient, links followed while they stay under the
// base URL, and Queue::join() to know when the crawl is over.
//
// The site is served by eddy's own HTTPServer in the same program and on the
// same loop: a generated tree of pages (each links to its children, back to
// its parent and to one page outside the base URL), every page answered
// after a 30 ms delay (an awaited eddy::sleep, never a blocking call). The
// crawl runs once with 1 worker and once with 10: the fetches of 10 workers
// overlap, so the second crawl takes a fraction of the first.
//
//   webspider [fanout depth]      (defaults: 5 2, so 31 pages under the base)
//
// Build: g++ -std=c++20 -Iinclude examples/webspider.cpp -pthread
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <eddy/eddy.hpp>
#include <eddy/http.hpp>

using namespace std::chrono_literals;

namespace {

constexpr auto page_delay = 30ms;

// The page at `path` ("/site", "/site/3", "/site/3/1", ...): links to its
// children while above `depth`, to its parent, and to a page off the site.
std::string page_for(const std::string& path, int fanout, int depth) {
  int level = 0;
  for (char c : path) level += c == '/' ? 1 : 0;
  std::string html = "<html><body><h1>" + path + "</h1>\n";
  if (level <= depth) {
    for (int i = 0; i < fanout; ++i) {
      html += "<a href=\"" + path + "/" + std::to_string(i) + "\">child " + std::to_string(i) + "</a>\n";
    }
  }
  std::string parent = path.substr(0, path.rfind('/'));
  if (!parent.empty()) html += "<a href=\"" + parent + "\">up</a>\n";
  html += "<a href=\"/elsewhere\">not under the base URL</a>\n</body></html>\n";
  return html;
}

// Every href="..." in an HTML page, made absolute against `origin`.
std::vector<std::string> links_in(std::string_view html, const std::string& origin) {
  std::vector<std::string> links;
  constexpr std::string_view marker = "href=\"";
  for (std::size_t at = html.find(marker); at != std::string_view::npos; at = html.find(marker, at)) {
    at += marker.size();
    std::size_t end = html.find('"', at);
    if (end == std::string_view::npos) break;
    std::string_view link = html.substr(at, end - at);
    links.push_back(link.rfind("http://", 0) == 0 ? std::string(link) : origin + std::string(link));
    at = end;
  }
  return links;
}

struct Crawl {
  std::set<std::string> fetching, fetched, dead;
  std::size_t max_in_flight = 0;
  std::size_t in_flight = 0;
};

// One worker: takes URLs until it gets the empty string, Tornado's None.
eddy::Future<void> worker(eddy::Queue<std::string>& queue, eddy::AsyncHTTPClient& client, Crawl& crawl,
                          const std::string& origin, const std::string& base) {
  for (;;) {
    std::string url = co_await queue.get();
    if (url.empty()) {
      queue.task_done();
      co_return;
    }
    if (crawl.fetching.insert(url).second) {
      try {
        crawl.max_in_flight = std::max(crawl.max_in_flight, ++crawl.in_flight);
        eddy::HTTPResponse response = co_await client.fetch(url);
        --crawl.in_flight;
        crawl.fetched.insert(url);
        for (std::string& link : links_in(response.body, origin)) {
          if (link.rfind(base, 0) == 0) co_await queue.put(std::move(link));
        }
      } catch (const std::exception& e) {
        --crawl.in_flight;
        std::printf("  %s: %s\n", url.c_str(), e.what());
        crawl.dead.insert(url);
      }
    }
    queue.task_done();
  }
}

// Crawls from `base` with `concurrency` workers; returns the seconds taken.
eddy::Future<double> crawl_site(const std::string& origin, const std::string& base, std::size_t concurrency,
                                Crawl& crawl) {
  eddy::Queue<std::string> queue;
  eddy::AsyncHTTPClient client(eddy::IOLoop::current(), eddy::AsyncHTTPClientOptions{concurrency});
  auto start = eddy::Clock::now();
  co_await queue.put(base);
  std::vector<eddy::Future<void>> workers;
  for (std::size_t i = 0; i < concurrency; ++i) workers.push_back(worker(queue, client, crawl, origin, base));
  co_await queue.join(300s);
  double seconds = std::chrono::duration<double>(eddy::Clock::now() - start).count();
  // Every URL taken is either fetched or dead: none was lost.
  if (crawl.fetching.size() != crawl.fetched.size() + crawl.dead.size()) std::puts("  some URLs were lost!");
  for (std::size_t i = 0; i < concurrency; ++i) co_await queue.put(std::string());
  co_await eddy::multi(std::move(workers));
  client.close();
  co_return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int fanout = argc > 1 ? std::atoi(argv[1]) : 5;
  const int depth = argc > 2 ? std::atoi(argv[2]) : 2;

  eddy::IOLoop loop;
  eddy::Application app;
  std::size_t served = 0;
  app.route("/site(/[0-9/]*)?", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
    co_await eddy::sleep(page_delay);  // a slow page, but the server never blocks
    ++served;
    h.set_header("Content-Type", "text/html");
    h.write(page_for(h.request().path, fanout, depth));
  });
  eddy::HTTPServer server(app);
  const std::uint16_t port = server.listen(0, "127.0.0.1");
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  const std::string base = origin + "/site";
  std::printf("site: %s, fanout %d, depth %d, each page answered after %lld ms\n", base.c_str(), fanout, depth,
              static_cast<long long>(page_delay.count()));

  double times[2] = {0, 0};
  const std::size_t workers[2] = {1, 10};
  for (int run = 0; run < 2; ++run) {
    Crawl crawl;
    served = 0;
    times[run] = loop.run_sync([&] { return crawl_site(origin, base, workers[run], crawl); });
    std::printf("%zu worker%s: fetched %zu URLs (%zu dead) in %.2f s, at most %zu in flight\n", workers[run],
                workers[run] == 1 ? "" : "s", crawl.fetched.size(), crawl.dead.size(), times[run],
                crawl.max_in_flight);
  }
  std::printf("10 workers were %.1fx faster than 1\n", times[0] / times[1]);
  server.stop();
  loop.run_sync([&] { return server.close_all_connections(); });
}
