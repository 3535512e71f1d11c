// gzip (RFC 1952) for HTTP's Content-Encoding, through the shared zlib table
// (detail/base/zlib_api.hpp: zlib is reached only when a program
// compresses, so one that never does needs no -lz).
//
// - gzip_compress: a whole body in, its gzip member out (zlib level 6, as
//   Tornado's GZipContentEncoding).
// - GzipInflater: a gzip body in pieces, as the client reads it; the output
//   never grows past the limit it is given (a gzip bomb costs the limit,
//   not its inflated size), a corrupt stream, a truncated one (finish()
//   before the end) or bytes after the member's end throw GzipError.
//
// Thread contract: a GzipInflater belongs to one thread; the functions may
// be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "../base/zlib_api.hpp"

namespace eddy {

/// A gzip body that cannot be decoded: corrupt, truncated, or inflating
/// past the bound it is read with.
class GzipError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace eddy

namespace eddy::detail {

// True when gzip can be used in this process (zlib found).
inline bool gzip_available() noexcept { return zlib_api() != nullptr; }

#if defined(EDDY_HAVE_ZLIB_H)

// Appends the gzip form of `in` to `out`. Needs gzip_available().
inline void gzip_compress(std::string_view in, std::string& out) {
  const ZlibApi& z = *zlib_api();
  z_stream s{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (z.deflate_init(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                     static_cast<int>(sizeof(z_stream))) != Z_OK) {
    throw std::runtime_error("eddy: deflateInit2 failed");
  }
  constexpr std::size_t slice = std::size_t{1} << 30;  // zlib counts in 32 bits
  int r = Z_OK;
  do {
    std::size_t take = in.size() < slice ? in.size() : slice;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uInt>(take);
    in.remove_prefix(take);
    int flush = in.empty() ? Z_FINISH : Z_NO_FLUSH;
    do {
      std::size_t used = out.size(), room = take / 2 + 64;
      out.resize(used + room);
      s.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      s.avail_out = static_cast<uInt>(room);
      r = z.deflate(&s, flush);
      out.resize(used + room - s.avail_out);
    } while (s.avail_out == 0 || (flush == Z_FINISH && r == Z_OK));
  } while (!in.empty());
  z.deflate_end(&s);
  if (r != Z_STREAM_END) throw std::runtime_error("eddy: gzip compression failed (" + std::to_string(r) + ")");
}

class GzipInflater {
 public:
  // Output past `limit` bytes in all is an error.
  explicit GzipInflater(std::uint64_t limit) : api_(*zlib_api()), limit_(limit) {
    if (api_.inflate_init(&z_, 15 + 16, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK) {
      throw GzipError("eddy: inflateInit2 failed");
    }
  }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;
  ~GzipInflater() { api_.inflate_end(&z_); }

  // Inflates `in`, appending to `out`.
  void feed(std::string_view in, std::string& out) {
    while (!in.empty()) {
      if (ended_) throw GzipError("eddy: gzip: data after the end of the compressed stream");
      std::size_t take = in.size() < slice ? in.size() : slice;
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z_.avail_in = static_cast<uInt>(take);
      run(out);
      if (z_.avail_in == take && !ended_) throw GzipError("eddy: gzip: corrupt data (no progress)");
      in.remove_prefix(take - z_.avail_in);
    }
  }
  // The body ended: throws unless the gzip stream ended too.
  void finish() const {
    if (!ended_) throw GzipError("eddy: gzip: the compressed body is truncated");
  }
  std::uint64_t produced() const noexcept { return produced_; }

 private:
  static constexpr std::size_t slice = std::size_t{1} << 30;
  static constexpr std::size_t step = 64 * 1024;

  void run(std::string& out) {
    while (z_.avail_in != 0 && !ended_) {
      std::size_t used = out.size();
      out.resize(used + step);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z_.avail_out = static_cast<uInt>(step);
      int r = api_.inflate(&z_, Z_NO_FLUSH);
      std::size_t made = step - z_.avail_out;
      out.resize(used + made);
      produced_ += made;
      if (produced_ > limit_) {
        throw GzipError("eddy: gzip: the body inflates past max_body_size (" + std::to_string(limit_) + " bytes)");
      }
      if (r == Z_STREAM_END) ended_ = true;
      else if (r != Z_OK && r != Z_BUF_ERROR) throw GzipError(std::string("eddy: gzip: corrupt data (") +
                                                              (z_.msg != nullptr ? z_.msg : "inflate failed") + ")");
      else if (r == Z_BUF_ERROR && made == 0) return;  // needs more input
    }
  }

  const ZlibApi& api_;
  z_stream z_{};
  std::uint64_t limit_;
  std::uint64_t produced_ = 0;
  bool ended_ = false;
};

#else  // no <zlib.h>: gzip_available() is false and nothing calls these

inline void gzip_compress(std::string_view, std::string&) { throw std::runtime_error("eddy: gzip needs zlib"); }
class GzipInflater {
 public:
  explicit GzipInflater(std::uint64_t) { throw GzipError("eddy: gzip needs zlib"); }
  void feed(std::string_view, std::string&) {}
  void finish() const {}
};

#endif

}  // namespace eddy::detail
