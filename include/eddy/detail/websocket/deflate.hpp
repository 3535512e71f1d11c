// permessage-deflate's codec (RFC 7692 §7.2): raw DEFLATE streams through
// zlib (zlib_api.hpp), one message at a time.
//
// - Deflater::compress: a message in, its compressed payload out (deflate
//   with Z_SYNC_FLUSH, the trailing 00 00 FF FF removed, §7.2.1); with
//   `reset` the stream starts afresh for the next message (no context
//   takeover).
// - Inflater::feed / finish: a message's payload in, as it arrives; finish
//   appends the 00 00 FF FF the sender removed. The output never grows past
//   the limit given: a payload that would inflate beyond it stops there
//   (a zip bomb costs max_message_size of memory, not its inflated size).
// - Per-thread pools: a connection without context takeover borrows a
//   stream for one message and gives it back reset, so idle connections
//   hold no zlib state at all (a deflater is ~256 KiB, an inflater ~40 KiB
//   once its window is allocated).
//
// Thread contract: a Deflater or Inflater belongs to one thread; the pools
// are per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zlib_api.hpp"

namespace eddy::detail::ws {

#if defined(EDDY_WEBSOCKET_HAVE_ZLIB_H)

class Deflater {
 public:
  // Raw deflate with a window of 2^window_bits (9-15), zlib's default level.
  explicit Deflater(int window_bits) : api_(*zlib_api()) {
    int r = api_.deflate_init(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY,
                              ZLIB_VERSION, static_cast<int>(sizeof(z_stream)));
    if (r != Z_OK) throw std::runtime_error("eddy: deflateInit2 failed (" + std::to_string(r) + ")");
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() { api_.deflate_end(&z_); }

  // Appends the compressed form of `in` to `out`; with `reset`, the next
  // message does not refer to this one.
  void compress(std::string_view in, std::string& out, bool reset) {
    // zlib counts in 32 bits: larger input goes in slices, flushed once.
    while (in.size() > slice) {
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z_.avail_in = static_cast<uInt>(slice);
      run(out, Z_NO_FLUSH, slice);
      in.remove_prefix(slice);
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    run(out, Z_SYNC_FLUSH, in.size());
    // The sync flush ends with an empty stored block, 00 00 FF FF: dropped.
    if (out.size() >= 4) out.resize(out.size() - 4);
    if (reset) api_.deflate_reset(&z_);
  }

 private:
  static constexpr std::size_t slice = std::size_t{1} << 30;

  // deflate() until the input is used up and the flush fitted, growing `out`.
  void run(std::string& out, int flush, std::size_t size) {
    std::size_t room = size + size / 8 + 64;
    for (;;) {
      std::size_t used = out.size();
      out.resize(used + room);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z_.avail_out = static_cast<uInt>(room);
      int r = api_.deflate(&z_, flush);
      out.resize(used + room - z_.avail_out);
      if (r != Z_OK && r != Z_BUF_ERROR) throw std::runtime_error("eddy: deflate failed (" + std::to_string(r) + ")");
      if (z_.avail_out != 0 && z_.avail_in == 0) return;
      if (room < slice) room *= 2;
    }
  }

  const ZlibApi& api_;
  z_stream z_{};
};

enum class InflateStatus : std::uint8_t { ok, too_big, error };

class Inflater {
 public:
  // Raw inflate with a window of 2^window_bits (a larger window than the
  // sender's reads its output too).
  explicit Inflater(int window_bits = 15) : api_(*zlib_api()) {
    int r = api_.inflate_init(&z_, -window_bits, ZLIB_VERSION, static_cast<int>(sizeof(z_stream)));
    if (r != Z_OK) throw std::runtime_error("eddy: inflateInit2 failed (" + std::to_string(r) + ")");
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() { api_.inflate_end(&z_); }

  // Inflates the next piece of a message's payload onto `out`, which may
  // not grow past `limit` bytes (too_big when it would).
  InflateStatus feed(std::string_view in, std::string& out, std::size_t limit) {
    // zlib counts in 32 bits: larger input goes in slices.
    while (in.size() > slice) {
      InflateStatus s = feed(in.substr(0, slice), out, limit);
      if (s != InflateStatus::ok) return s;
      in.remove_prefix(slice);
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    // Until the input is used up and zlib holds no output back (it does
    // when the room given was filled).
    do {
      InflateStatus s = step(out, limit, in.size());
      if (s != InflateStatus::ok) {
        reset();  // a failed stream starts afresh
        return s;
      }
    } while (z_.avail_in != 0 || drain_pending_);
    return InflateStatus::ok;
  }
  // The message's end: the 00 00 FF FF the sender removed. With `reset`
  // (and after any failure, in feed too) the next message starts afresh.
  InflateStatus finish(std::string& out, std::size_t limit, bool reset) {
    static const unsigned char tail[4] = {0x00, 0x00, 0xFF, 0xFF};
    InflateStatus s = feed(std::string_view(reinterpret_cast<const char*>(tail), 4), out, limit);
    if (reset || s != InflateStatus::ok) this->reset();
    return s;
  }
  void reset() noexcept {
    drain_pending_ = false;
    api_.inflate_reset(&z_);
  }

 private:
  static constexpr std::size_t slice = std::size_t{1} << 30;

  // One inflate() call into fresh room at the end of `out`.
  InflateStatus step(std::string& out, std::size_t limit, std::size_t hint) {
    std::size_t used = out.size();
    if (used > limit) return InflateStatus::too_big;
    // Room up to the limit plus one byte, so that filling it proves the
    // message is too big without inflating a byte more.
    std::size_t want = hint * 4 + 256;
    if (want < 4096) want = 4096;
    std::size_t left = limit - used;
    std::size_t room = left < want ? left + 1 : want;
    out.resize(used + room);
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z_.avail_out = static_cast<uInt>(room);
    int r = api_.inflate(&z_, Z_SYNC_FLUSH);
    out.resize(used + room - z_.avail_out);
    drain_pending_ = z_.avail_out == 0;
    if (out.size() > limit) return InflateStatus::too_big;
    if (r == Z_OK) return InflateStatus::ok;
    if (r == Z_STREAM_END) {
      // A final block: RFC 7692 senders never end the stream, but a reader
      // may accept it and start afresh (as zlib-based peers do).
      api_.inflate_reset(&z_);
      return InflateStatus::ok;
    }
    if (r == Z_BUF_ERROR) {  // no progress possible: done with this input
      drain_pending_ = false;
      return z_.avail_in == 0 ? InflateStatus::ok : InflateStatus::error;
    }
    return InflateStatus::error;
  }

  const ZlibApi& api_;
  z_stream z_{};
  bool drain_pending_ = false;
};

// A thread's deflater for connections that start every message afresh,
// one per window size.
inline Deflater& shared_deflater(int window_bits) {
  static thread_local std::unique_ptr<Deflater> by_window[16];
  std::unique_ptr<Deflater>& d = by_window[window_bits & 15];
  if (!d) d = std::make_unique<Deflater>(window_bits);
  return *d;
}

// A thread's spare inflaters (15-bit windows), lent for one message.
class InflaterPool {
 public:
  static std::unique_ptr<Inflater> take() {
    std::vector<std::unique_ptr<Inflater>>& spare = local();
    if (spare.empty()) return std::make_unique<Inflater>(15);
    std::unique_ptr<Inflater> i = std::move(spare.back());
    spare.pop_back();
    return i;
  }
  static void give(std::unique_ptr<Inflater> i) noexcept {
    if (!i) return;
    i->reset();
    std::vector<std::unique_ptr<Inflater>>& spare = local();
    if (spare.size() >= max_kept) return;  // freed
    try {
      spare.push_back(std::move(i));
    } catch (...) {
    }
  }

 private:
  static constexpr std::size_t max_kept = 16;
  static std::vector<std::unique_ptr<Inflater>>& local() {
    static thread_local std::vector<std::unique_ptr<Inflater>> spare;
    return spare;
  }
};

#else  // no zlib: the types exist so that the connection compiles; never built

class Deflater {
 public:
  explicit Deflater(int) { require_zlib(); }
  void compress(std::string_view, std::string&, bool) {}
};
enum class InflateStatus : std::uint8_t { ok, too_big, error };
class Inflater {
 public:
  explicit Inflater(int = 15) { require_zlib(); }
  InflateStatus feed(std::string_view, std::string&, std::size_t) { return InflateStatus::error; }
  InflateStatus finish(std::string&, std::size_t, bool) { return InflateStatus::error; }
  void reset() noexcept {}
};
inline Deflater& shared_deflater(int) {
  require_zlib();
  throw std::logic_error("unreachable");
}
class InflaterPool {
 public:
  static std::unique_ptr<Inflater> take() { return std::make_unique<Inflater>(15); }
  static void give(std::unique_ptr<Inflater>) noexcept {}
};

#endif

}  // namespace eddy::detail::ws
