// The Content-Type of a static file from its name's extension: a compact
// table of the types a web site serves (nginx's mime.types and Python's
// mimetypes agree on these), matched without regard to case.
// Text types carry "; charset=utf-8"; an unknown or missing extension is
// application/octet-stream (the browser downloads it instead of guessing).
//
// Thread contract: a pure function, any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "../../httputil.hpp"

namespace eddy::detail {

struct MimeEntry {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

inline constexpr MimeEntry mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
};

inline constexpr std::string_view default_mime_type = "application/octet-stream";

// The type for `name` (a file name or a path: only what follows its last
// dot counts, and only when that dot is in the last segment).
inline std::string_view mime_type_for(std::string_view name) noexcept {
  std::size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return default_mime_type;
  std::string_view extension = name.substr(dot + 1);
  for (const MimeEntry& entry : mime_table) {
    if (iequals(extension, entry.extension)) return entry.type;
  }
  return default_mime_type;
}

}  // namespace eddy::detail
