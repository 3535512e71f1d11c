// zlib, for WebSocket's permessage-deflate and HTTP's gzip, without making
// every program that includes <eddy/websocket.hpp> or <eddy/http.hpp> link
// it: one that never compresses must not need -lz. So the few zlib entry
// points the codecs use are reached through a table of function pointers,
// filled once per process (shared by both layers, hence its place in base):
//
// - Built with EDDY_ZLIB=1 or EDDY_WEBSOCKET_ZLIB=1 (what the CMake target
//   eddy::deflate sets, with ZLIB::ZLIB): the table holds zlib's own
//   functions, linked as usual (static zlib included).
// - Otherwise: the table is filled at run time, the first time a program
//   asks for compression (WebSocketOptions::compression,
//   ApplicationSettings::compress_response, or an HTTP client response
//   sent gzipped), from the zlib the program linked
//   (`-lz`: dlsym(RTLD_DEFAULT)), else from the system's shared zlib
//   (dlopen "libz.so.1"). Linking with `-lz` under the linker's --as-needed
//   (Debian's and Ubuntu's default) drops the library, since nothing refers
//   to it; the dlopen finds the same one.
// - No zlib at all (no <zlib.h> at build time, no libz at run time):
//   zlib_api() is null; each layer says what asking for compression does
//   then (WebSocket and the server's gzip setting throw, saying what to
//   install; the HTTP client does not offer gzip).
//
// zlib's struct layout and constants come from <zlib.h> in every case; the
// version handshake of deflateInit2_/inflateInit2_ refuses a library whose
// z_stream differs.
//
// Thread contract: zlib_api() may be called from any thread (a function
// static); the table never changes once filled.
#pragma once

#include <stdexcept>

#if defined(EDDY_WEBSOCKET_ZLIB) && !defined(EDDY_ZLIB)
#define EDDY_ZLIB 1
#endif

#if defined(EDDY_ZLIB) || __has_include(<zlib.h>)
#include <zlib.h>
#define EDDY_HAVE_ZLIB_H 1
#if !defined(EDDY_ZLIB)
#include <dlfcn.h>
#endif
#endif

namespace eddy::detail {

#if defined(EDDY_HAVE_ZLIB_H)

struct ZlibApi {
  decltype(&::deflateInit2_) deflate_init = nullptr;
  decltype(&::deflate) deflate = nullptr;
  decltype(&::deflateReset) deflate_reset = nullptr;
  decltype(&::deflateEnd) deflate_end = nullptr;
  decltype(&::inflateInit2_) inflate_init = nullptr;
  decltype(&::inflate) inflate = nullptr;
  decltype(&::inflateReset) inflate_reset = nullptr;
  decltype(&::inflateEnd) inflate_end = nullptr;

  bool complete() const noexcept {
    return deflate_init && deflate && deflate_reset && deflate_end && inflate_init && inflate && inflate_reset &&
           inflate_end;
  }
};

namespace zlib_detail {

#if defined(EDDY_ZLIB)
inline ZlibApi load() noexcept {
  return ZlibApi{&::deflateInit2_, &::deflate, &::deflateReset, &::deflateEnd,
                 &::inflateInit2_, &::inflate, &::inflateReset, &::inflateEnd};
}
#else
template <class F>
void bind(void* library, const char* name, F& out) noexcept {
  void* symbol = library != nullptr ? ::dlsym(library, name) : ::dlsym(RTLD_DEFAULT, name);
  if (symbol != nullptr) out = reinterpret_cast<F>(symbol);
}
inline void bind_all(void* library, ZlibApi& api) noexcept {
  bind(library, "deflateInit2_", api.deflate_init);
  bind(library, "deflate", api.deflate);
  bind(library, "deflateReset", api.deflate_reset);
  bind(library, "deflateEnd", api.deflate_end);
  bind(library, "inflateInit2_", api.inflate_init);
  bind(library, "inflate", api.inflate);
  bind(library, "inflateReset", api.inflate_reset);
  bind(library, "inflateEnd", api.inflate_end);
}
inline ZlibApi load() noexcept {
  ZlibApi api;
  bind_all(nullptr, api);  // the zlib the program linked, if it kept it
  if (api.complete()) return api;
#if defined(__APPLE__)
  const char* const names[] = {"libz.1.dylib", "libz.dylib"};
#else
  const char* const names[] = {"libz.so.1", "libz.so"};
#endif
  for (const char* name : names) {
    // Never closed: the table points into it for the rest of the process.
    if (void* library = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)) {
      api = ZlibApi{};
      bind_all(library, api);
      if (api.complete()) return api;
    }
  }
  return ZlibApi{};
}
#endif

}  // namespace zlib_detail

// The table, or nullptr when zlib cannot be had.
inline const ZlibApi* zlib_api() noexcept {
  static const ZlibApi api = zlib_detail::load();
  return api.complete() ? &api : nullptr;
}

#else  // no <zlib.h>

struct ZlibApi {};
inline const ZlibApi* zlib_api() noexcept { return nullptr; }

#endif

}  // namespace eddy::detail
