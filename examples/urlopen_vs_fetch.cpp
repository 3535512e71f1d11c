// The article's last lesson: inside asynchronous code use only asynchronous
// libraries: AsyncHTTPClient.fetch, not urllib2.urlopen.
//
// A server answers every request after 1 s (without blocking: its handler
// awaits eddy::sleep). Five pages are fetched twice from the main loop,
// while a PeriodicCallback ticks every 100 ms:
// 1. with a blocking GET on plain blocking sockets, which is what urlopen
//    does, from a loop callback: the pages come one after the other (about
//    5 s), the ticker freezes, the blocking detector names the line that
//    scheduled the callback, and eddy's own blocking HTTPClient refuses to
//    run there at all;
// 2. with AsyncHTTPClient and multi() (gather over a list): the five waits
//    overlap (about 1 s) and the ticker keeps ticking.
//
// Build: g++ -std=c++20 -Iinclude examples/urlopen_vs_fetch.cpp -pthread
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <eddy/http.hpp>

using namespace std::chrono_literals;

namespace {

double seconds_since(eddy::Clock::time_point start) {
  return std::chrono::duration<double>(eddy::Clock::now() - start).count();
}

// What urlopen does: connect, send, read until the server closes, every
// call blocking the thread (and so the loop that runs it).
std::string blocking_get(std::uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response.substr(response.find("\r\n\r\n") == std::string::npos ? 0 : response.find("\r\n\r\n") + 4);
}

// Ticks seen strictly between two instants.
int ticks_between(const std::vector<eddy::Clock::time_point>& ticks, eddy::Clock::time_point a,
                  eddy::Clock::time_point b) {
  int n = 0;
  for (eddy::Clock::time_point t : ticks) n += (t > a && t < b) ? 1 : 0;
  return n;
}

}  // namespace

int main() {
  // The server runs on a second thread with its own loop. It must: part 1
  // blocks the main thread's loop, and a server on that loop could not
  // answer the blocking GET it is waiting for (a deadlock, not a slow page).
  std::promise<std::uint16_t> bound;
  std::promise<void> quit;
  std::thread server_thread([&bound, done = quit.get_future()]() mutable {
    eddy::IOLoop loop;
    eddy::HTTPServer server([](eddy::RequestHandler& h) -> eddy::Future<void> {
      co_await eddy::sleep(1s);  // slow, but never blocking
      h.write("page " + h.request().path + "\n");
    });
    bound.set_value(server.listen(0, "127.0.0.1"));
    eddy::PeriodicCallback poll_quit(loop, [&] {
      if (done.wait_for(0s) == std::future_status::ready) loop.stop();
    }, 50ms);
    poll_quit.start();
    loop.start();
  });
  const std::uint16_t port = bound.get_future().get();
  std::printf("server: answers each request after 1 s, on its own thread and loop\n");

  eddy::IOLoop loop;
  std::string detector_line;
  loop.set_blocking_log_threshold(500ms);
  loop.set_blocking_handler([&detector_line](const eddy::BlockingReport& r) {
    if (!detector_line.empty()) return;
    char text[512];
    std::snprintf(text, sizeof text, "blocking detector: a %s scheduled at %s:%u held the loop for %.1f s", r.kind,
                  r.where.file_name(), static_cast<unsigned>(r.where.line()),
                  std::chrono::duration<double>(r.elapsed).count());
    detector_line = text;
  });
  std::vector<eddy::Clock::time_point> ticks;
  eddy::PeriodicCallback ticker(loop, [&ticks] { ticks.push_back(eddy::Clock::now()); }, 100ms);
  ticker.start();
  const std::vector<std::string> paths = {"/1", "/2", "/3", "/4", "/5"};

  // 1. The mistake: blocking calls inside a loop callback.
  std::printf("1. urlopen-style blocking GETs from a loop callback:\n");
  eddy::Clock::time_point begin{}, end{};
  std::string refusal;
  loop.call_later(300ms, [&] {
    begin = eddy::Clock::now();
    int pages = 0;
    for (const std::string& path : paths) pages += blocking_get(port, path).rfind("page ", 0) == 0 ? 1 : 0;
    end = eddy::Clock::now();
    std::printf("   %d pages in %.1f s; ", pages, std::chrono::duration<double>(end - begin).count());
    try {
      eddy::HTTPClient blocking;  // what a script would use: it knows better than to run here
      blocking.fetch("http://127.0.0.1:" + std::to_string(port) + "/1");
    } catch (const std::logic_error& e) {
      refusal = e.what();
    }
  });
  loop.call_later(300ms + 5s + 300ms, [&] { loop.stop(); });  // checked after the callback returns
  loop.start();
  std::printf("the ticker ticked %d times meanwhile (frozen)\n", ticks_between(ticks, begin, end));
  std::printf("   %s\n", detector_line.c_str());
  std::printf("   eddy::HTTPClient refuses to run there: %s\n", refusal.c_str());

  // 2. The fix: the asynchronous client; the five waits overlap.
  std::printf("2. AsyncHTTPClient.fetch and multi (gather):\n");
  eddy::AsyncHTTPClient client(loop);
  begin = eddy::Clock::now();
  std::vector<eddy::HTTPResponse> responses = loop.run_sync([&]() -> eddy::Future<std::vector<eddy::HTTPResponse>> {
    std::vector<eddy::Future<eddy::HTTPResponse>> fetches;
    for (const std::string& path : paths) fetches.push_back(client.fetch("http://127.0.0.1:" + std::to_string(port) + path));
    co_return co_await eddy::multi(std::move(fetches));
  });
  end = eddy::Clock::now();
  int pages = 0;
  for (const eddy::HTTPResponse& r : responses) pages += r.body.rfind("page ", 0) == 0 ? 1 : 0;
  std::printf("   %d pages in %.1f s; the ticker ticked %d times meanwhile\n", pages, seconds_since(begin),
              ticks_between(ticks, begin, end));
  std::printf("lesson: inside asynchronous code, use only asynchronous libraries\n");

  ticker.stop();
  // Close the pooled connections and let the server see them go before its
  // loop stops: every connection ends cleanly on both sides.
  client.close();
  loop.run_sync([] { return eddy::sleep(200ms); });
  quit.set_value();
  server_thread.join();
}
