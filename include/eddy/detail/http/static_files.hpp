// Application::static_files: Tornado's StaticFileHandler, a route that
// serves the files under a directory (docs/web.md, "Static files").
//
// One request: the path (the route's group, percent-decoded) is checked and
// the file opened beneath the root without leaving it (static_path.hpp);
// fstat gives its size and mtime, hence its validators (ETag,
// Last-Modified); the conditional headers may answer 304 and the Range
// header 206 or 416 (static_request.hpp); Content-Type comes from the
// extension (mime_types.hpp). The body:
// - a file (or range) of at most 16 KiB is read with pread into the
//   response and goes out with its head in one write, as any response;
// - a larger one is sent from the file by the connection
//   (ResponseChannel::send_file, IOStream::write_file): sendfile as the
//   socket takes it, nothing of it held in memory, however slow the client;
// - HEAD: the same head, no body, the file not read.
// Refusals: 403 for a path that tries to leave the root (see
// static_path.hpp), a directory or anything not a regular file; 404 for
// a file that does not exist; each through send_error, so an application's
// error pages apply.
//
// Thread contract: the loop thread of the servers that use the route.
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../../web.hpp"
#include "../stream/file_range.hpp"
#include "mime_types.hpp"
#include "static_path.hpp"
#include "static_request.hpp"
#include "web_handler_access.hpp"

namespace eddy::detail {

// A static route's root: a descriptor of the directory, held for the
// route's lifetime (so the files are looked up in the directory as it was
// when the route was added, even if its path is renamed or replaced
// later), and its real path (for the check without openat2).
class StaticRoot {
 public:
  explicit StaticRoot(const std::string& directory) {
    char resolved[PATH_MAX];
    if (::realpath(directory.c_str(), resolved) == nullptr) fail(errno, directory);
    real_ = resolved;
#if defined(O_PATH)
    fd_ = ::open(resolved, O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
    fd_ = ::open(resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    if (fd_ < 0) fail(errno, directory);
  }
  StaticRoot(const StaticRoot&) = delete;
  StaticRoot& operator=(const StaticRoot&) = delete;
  ~StaticRoot() { close_fd(fd_); }

  int fd() const noexcept { return fd_; }
  const std::string& real_path() const noexcept { return real_; }

 private:
  [[noreturn]] static void fail(int error, const std::string& directory) {
    throw std::system_error(error, std::generic_category(),
                            "eddy: Application::static_files: cannot open the directory \"" + directory + "\"");
  }
  int fd_ = -1;
  std::string real_;
};

// What fstat said of an open file.
struct StaticFileInfo {
  std::uint64_t size = 0;
  std::int64_t mtime = 0;         // seconds, for Last-Modified
  std::uint64_t mtime_ns = 0;     // for the ETag
};

inline StaticFileInfo static_file_info(const struct stat& st) noexcept {
  StaticFileInfo info;
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mtime = static_cast<std::int64_t>(st.st_mtime);
#if defined(__APPLE__)
  long nsec = st.st_mtimespec.tv_nsec;
#elif defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
  long nsec = st.st_mtim.tv_nsec;
#else
  long nsec = 0;
#endif
  info.mtime_ns = static_cast<std::uint64_t>(info.mtime) * 1000000000u + static_cast<std::uint64_t>(nsec);
  return info;
}

// The route's handler (the Application keeps it for its lifetime).
class StaticFileHandler {
 public:
  // Bodies up to this size go with their head in one write (see the file comment).
  static constexpr std::uint64_t inline_limit = 16 * 1024;

  explicit StaticFileHandler(const std::string& directory) : root_(std::make_unique<StaticRoot>(directory)) {}

  void operator()(RequestHandler& h) const {
    const std::string relative = h.path_args().empty() ? std::string() : h.path_args()[0];
    if (!static_path_allowed(relative)) return h.send_error(403);
    int fd = open_beneath(root_->fd(), root_->real_path(), relative.empty() ? std::string(".") : relative);
    if (fd < 0) return h.send_error(static_open_status(errno));
    FileRange file(fd, 0, 0);  // owns the descriptor from here on, on every path
    struct stat st {};
    if (::fstat(fd, &st) != 0) return h.send_error(500);
    if (!S_ISREG(st.st_mode)) return h.send_error(403);
    serve(h, std::move(file), static_file_info(st), relative);
  }

 private:
  // Validators, conditions and range, then the body.
  static void serve(RequestHandler& h, FileRange file, const StaticFileInfo& info, std::string_view relative) {
    const HTTPHeaders& in = h.request().headers;
    std::string etag = make_file_etag(info.size, info.mtime_ns);
    char modified[http_date_size];
    format_http_date(info.mtime, modified);
    h.set_header("ETag", etag);
    h.set_header("Last-Modified", std::string_view(modified, http_date_size));
    if (not_modified(in, etag, info.mtime)) {
      h.set_status(304);
      return h.finish();
    }
    h.set_header("Accept-Ranges", "bytes");
    RangeRequest range = requested_range(in, info, etag);
    std::uint64_t first = 0, count = info.size;
    if (range.kind == RangeRequest::Kind::unsatisfiable) {
      h.set_status(416);
      h.set_header("Content-Range", "bytes */" + std::to_string(info.size));
      return h.finish();
    }
    if (range.kind == RangeRequest::Kind::partial) {
      first = range.first;
      count = range.last - range.first + 1;
      h.set_status(206);
      h.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                        std::to_string(info.size));
    }
    h.set_header("Content-Type", mime_type_for(relative));
    h.set_header("Content-Length", std::to_string(count));
    send_body(h, std::move(file), first, count);
  }

  // If-None-Match decides when present (RFC 9110 §13.2.2), else
  // If-Modified-Since: true for a 304.
  static bool not_modified(const HTTPHeaders& in, std::string_view etag, std::int64_t mtime) {
    if (const std::string* tags = in.find("If-None-Match")) return if_none_match_matches(*tags, etag);
    if (const std::string* since = in.find("If-Modified-Since")) {
      std::optional<std::int64_t> date = parse_http_date(*since);
      return date && mtime <= *date;
    }
    return false;
  }

  static RangeRequest requested_range(const HTTPHeaders& in, const StaticFileInfo& info, std::string_view etag) {
    const std::string* range = in.find("Range");
    if (range == nullptr) return RangeRequest{};
    const std::string* condition = in.find("If-Range");
    if (condition != nullptr && !if_range_holds(*condition, etag, info.mtime)) return RangeRequest{};
    return parse_range(*range, info.size);
  }

  static void send_body(RequestHandler& h, FileRange file, std::uint64_t first, std::uint64_t count) {
    if (HandlerAccess::head_only(h) || count == 0) return h.finish();
    if (count <= inline_limit) return send_inline(h, file, first, count);
    ResponseChannel* channel = HandlerAccess::channel(h);
    FileRange body(file.release(), first, count);
    HandlerAccess::mark_finished(h);
    // No channel, or it refused: the client is gone; `body` closes the file.
    if (channel != nullptr) channel->send_file(h, body);
  }

  // A small body: read into the response, sent with its head.
  static void send_inline(RequestHandler& h, const FileRange& file, std::uint64_t first, std::uint64_t count) {
    char* buffer = file_chunk_buffer();
    std::size_t want = static_cast<std::size_t>(count), got = 0;
    while (got < want) {
      ssize_t n = read_file_piece(file.fd(), first + got, buffer + got, want - got);
      if (n <= 0) return h.send_error(500);  // an I/O error, or truncated since fstat
      got += static_cast<std::size_t>(n);
    }
    h.write(std::string_view(buffer, got));
    h.finish();
  }

  std::unique_ptr<StaticRoot> root_;
};

}  // namespace eddy::detail

namespace eddy {

inline Application& Application::static_files(std::string url_prefix, std::string directory) {
  if (url_prefix.empty() || url_prefix.front() != '/') {
    throw std::invalid_argument("eddy: Application::static_files: the URL prefix must start with '/': \"" +
                                url_prefix + "\"");
  }
  if (url_prefix.back() != '/') url_prefix += '/';
  std::string pattern;
  for (char c : url_prefix) {
    if (detail::has_regex_metacharacters(std::string_view(&c, 1))) pattern += '\\';
    pattern += c;
  }
  pattern += "(.*)";
  return route(std::move(pattern), {"GET"}, detail::StaticFileHandler(directory));
}

}  // namespace eddy
