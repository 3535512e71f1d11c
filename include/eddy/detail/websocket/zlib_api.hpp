// zlib for permessage-deflate: the shared table of zlib entry points
// (detail/base/zlib_api.hpp, which says how a program finds zlib only when
// it compresses) under the names the WebSocket codec uses, and the check
// that asking for compression makes.
//
// Thread contract: as detail/base/zlib_api.hpp (any thread).
#pragma once

#include <stdexcept>

#include "../base/zlib_api.hpp"

#if defined(EDDY_HAVE_ZLIB_H)
#define EDDY_WEBSOCKET_HAVE_ZLIB_H 1
#endif

namespace eddy::detail::ws {

using detail::zlib_api;
using detail::ZlibApi;

// Throws unless compression can work: what asking for it checks, at setup.
inline void require_zlib() {
  if (zlib_api() == nullptr) {
    throw std::runtime_error(
        "eddy: WebSocket compression needs zlib: install zlib1g-dev (<zlib.h>) and link -lz, "
        "or the CMake target eddy::deflate");
  }
}

}  // namespace eddy::detail::ws
