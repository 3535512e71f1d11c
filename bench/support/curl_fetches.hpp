// libcurl's side of the HTTP and HTTPS client benchmarks
// (bench/http_client/libcurl.cpp, bench/tls/client_libcurl.cpp): GETs of a
// 13-byte body on the multi interface, `concurrency` easy handles at once,
// each re-added when it finishes (libcurl keeps and reuses the connections).
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>
#include <vector>

namespace bench {

// Owns libcurl's global state, a multi handle and `concurrency` easy
// handles; one thread, one at a time.
class CurlFetches {
 public:
  // `configure(easy)` adds the program's own options (CA file, HTTP version).
  template <class Configure>
  CurlFetches(const std::string& url, int concurrency, Configure&& configure)
      : transfers_(static_cast<std::size_t>(concurrency)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(concurrency));
    for (Transfer& t : transfers_) {
      t.easy = curl_easy_init();
      curl_easy_setopt(t.easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
      curl_easy_setopt(t.easy, CURLOPT_TCP_NODELAY, 1L);
      configure(t.easy);
    }
  }
  CurlFetches(const CurlFetches&) = delete;
  CurlFetches& operator=(const CurlFetches&) = delete;
  ~CurlFetches() {
    for (Transfer& t : transfers_) curl_easy_cleanup(t.easy);
    curl_multi_cleanup(multi_);
    curl_global_cleanup();
  }

  // Runs n fetches, `concurrency` at a time; returns the count of bad ones.
  long operator()(long n) {
    long started = 0, bad = 0, finished = 0;
    for (Transfer& t : transfers_) {
      if (started == n) break;
      start(t.easy, started);
    }
    int still = 0;
    while (finished < n) {
      curl_multi_perform(multi_, &still);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* easy = msg->easy_handle;
        Transfer* t = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        if (msg->data.result != CURLE_OK || t->body.size() != 13) ++bad;
        curl_multi_remove_handle(multi_, easy);
        ++finished;
        if (started < n) start(easy, started);
      }
      if (finished < n) curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    return bad;
  }

 private:
  struct Transfer {
    CURL* easy = nullptr;
    std::string body;
  };

  static size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<Transfer*>(user)->body.append(data, size * count);
    return size * count;
  }
  void start(CURL* easy, long& started) {
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    t->body.clear();
    curl_multi_add_handle(multi_, easy);
    ++started;
  }

  CURLM* multi_ = nullptr;
  std::vector<Transfer> transfers_;
};

}  // namespace bench
