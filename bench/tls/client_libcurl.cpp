// The HTTPS client benchmark on libcurl's multi interface (Debian's
// libcurl4-openssl-dev: the same OpenSSL as eddy): N GETs of a 13-byte body
// from nginx over TLS keep-alive, `concurrency` easy handles at once, each
// re-added when it finishes (libcurl keeps and reuses the connections), the
// certificate verified against CAFILE. Same output as client_eddy.cpp.
//
//   tls_client_libcurl PORT N CONCURRENCY CAFILE
#include <curl/curl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Transfer {
  CURL* easy = nullptr;
  std::string body;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<Transfer*>(user)->body.append(data, size * count);
  return size * count;
}

// Runs n fetches, `concurrency` at a time; returns the count of bad ones.
long run(CURLM* multi, std::vector<Transfer>& transfers, long n) {
  long started = 0, bad = 0;
  for (Transfer& t : transfers) {
    if (started == n) break;
    t.body.clear();
    curl_multi_add_handle(multi, t.easy);
    ++started;
  }
  int still = 0;
  long finished = 0;
  while (finished < n) {
    curl_multi_perform(multi, &still);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      Transfer* t = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      if (msg->data.result != CURLE_OK || t->body.size() != 13) ++bad;
      curl_multi_remove_handle(multi, easy);
      ++finished;
      if (started < n) {
        t->body.clear();
        curl_multi_add_handle(multi, easy);
        ++started;
      }
    }
    if (finished < n) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PORT N CONCURRENCY CAFILE\n", argv[0]);
    return 2;
  }
  std::string url = "https://localhost:" + std::string(argv[1]) + "/hello";
  long n = std::atol(argv[2]);
  int concurrency = std::atoi(argv[3]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(concurrency));
  std::vector<Transfer> transfers(static_cast<std::size_t>(concurrency));
  for (Transfer& t : transfers) {
    t.easy = curl_easy_init();
    curl_easy_setopt(t.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(t.easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(t.easy, CURLOPT_CAINFO, argv[4]);
    curl_easy_setopt(t.easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  }
  long bad = run(multi, transfers, concurrency * 20L);  // warm-up: opens the connections
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  bad += run(multi, transfers, n);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  for (Transfer& t : transfers) curl_easy_cleanup(t.easy);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  if (bad != 0) {
    std::fprintf(stderr, "%ld failed fetches\n", bad);
    return 1;
  }
  std::printf("RESULT impl=libcurl concurrency=%d fetches=%ld seconds=%.3f fetches_per_s=%.0f cpu_us_per_fetch=%.2f\n",
              concurrency, n, seconds, static_cast<double>(n) / seconds, cpu * 1e6 / static_cast<double>(n));
  return 0;
}
