// An incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
//
//   ChunkedDecoder decoder({.max_body_size = options.max_body_size});
//   while (true) {
//     ChunkResult r = decoder.decode(buffered);     // buffered: the bytes not yet consumed
//     if (r.status == ChunkStatus::data) deliver(r.data);
//     if (r.status == ChunkStatus::error) { answer r.error_status, close }
//     drop r.consumed bytes from the front of buffered;
//     if (r.status == ChunkStatus::done) break;      // bytes after it: the next request
//     if (r.status == ChunkStatus::incomplete) wait for more bytes;
//   }
//
// What decode(input) returns (ChunkResult):
// - data: `data` is a piece of the body, a view into `input`; `consumed`
//   counts the framing bytes before it and the piece itself. At most one
//   piece per call; as much of the current chunk as `input` holds.
// - incomplete: `consumed` bytes of framing were taken (may be 0), the rest
//   of `input` is an unfinished line or empty; call again with the bytes
//   after `consumed` followed by more.
// - done: the last chunk and the trailers ended; `consumed` counts them.
//   Later calls return done with consumed 0.
// - error: error_status 400 (a chunk size that is empty, not hex, or
//   overflows 64 bits; bad bytes after a size, in an extension, in a
//   trailer; a missing CRLF after a chunk's data; a bare CR or LF; a size
//   line over max_line_size), 413 (the body would exceed max_body_size,
//   detected from the size line before its data is read) or 431 (trailers
//   over max_trailer_size). Later calls return the same error.
// Chunk extensions are checked for control characters and ignored;
// trailers are checked as field lines (a name, a colon, no controls, no
// obs-fold) and dropped.
//
// Contract: each call's `input` must begin with the first byte the previous
// call did not consume. An unfinished line is then not scanned again, so a
// body that trickles in costs O(size).
// Thread contract: one thread at a time. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http_scan.hpp"

namespace eddy::detail::http {

struct ChunkedLimits {
  std::uint64_t max_body_size = UINT64_MAX;  // payload bytes over all chunks
  std::size_t max_line_size = 4096;          // one chunk-size line with its extensions
  std::size_t max_trailer_size = 64 * 1024;  // every trailer line together
};

enum class ChunkStatus : unsigned char { data, incomplete, done, error };

struct ChunkResult {
  ChunkStatus status = ChunkStatus::incomplete;
  std::size_t consumed = 0;
  std::string_view data;     // status == data
  int error_status = 0;      // status == error: 400, 413 or 431
  std::string_view reason;   // status == error: static text
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) noexcept : limits_(limits) {}

  ChunkResult decode(std::string_view input) noexcept {
    std::size_t pos = 0;
    while (true) {
      switch (state_) {
        case State::size_line:
          if (!size_line(input, pos)) return stop(pos);
          break;
        case State::data:
          return take_data(input, pos);
        case State::data_crlf:
          if (input.size() - pos < 2) return incomplete(pos);
          if (input[pos] != '\r' || input[pos + 1] != '\n') return fail(400, "missing CRLF after chunk data");
          pos += 2;
          state_ = State::size_line;
          break;
        case State::trailer:
          if (!trailer_line(input, pos)) return stop(pos);
          break;
        case State::done:
          return ChunkResult{ChunkStatus::done, pos, {}, 0, {}};
        case State::failed:
          return ChunkResult{ChunkStatus::error, 0, {}, error_status_, reason_};
      }
    }
  }

  // Payload bytes returned so far.
  std::uint64_t body_size() const noexcept { return total_; }
  bool done() const noexcept { return state_ == State::done; }
  bool failed() const noexcept { return state_ == State::failed; }

  // Ready for the next body (same limits).
  void reset() noexcept { *this = ChunkedDecoder(limits_); }

 private:
  enum class State : unsigned char { size_line, data, data_crlf, trailer, done, failed };

  ChunkResult incomplete(std::size_t pos) noexcept { return ChunkResult{ChunkStatus::incomplete, pos, {}, 0, {}}; }

  ChunkResult fail(int status, std::string_view why) noexcept {
    state_ = State::failed;
    error_status_ = status;
    reason_ = why;
    return ChunkResult{ChunkStatus::error, 0, {}, status, why};
  }

  // fail() for the line steps, which report by returning false.
  bool refuse(int status, std::string_view why) noexcept {
    fail(status, why);
    return false;
  }

  // A line step returned false: it failed, or needs more bytes.
  ChunkResult stop(std::size_t pos) noexcept {
    if (state_ == State::failed) return ChunkResult{ChunkStatus::error, 0, {}, error_status_, reason_};
    return incomplete(pos);
  }

  // Finds the LF ending the line at pos, scanning only bytes not seen
  // before. Returns its index, or npos (and remembers how far it looked).
  std::size_t find_line_end(std::string_view input, std::size_t pos) noexcept {
    std::size_t from = pos + scanned_;
    if (from >= input.size()) return std::string_view::npos;
    const void* hit = std::memchr(input.data() + from, '\n', input.size() - from);
    if (hit == nullptr) {
      scanned_ = input.size() - pos;
      return std::string_view::npos;
    }
    scanned_ = 0;
    return static_cast<std::size_t>(static_cast<const char*>(hit) - input.data());
  }

  // Takes one chunk-size line at pos; false when it failed or needs more.
  bool size_line(std::string_view input, std::size_t& pos) noexcept {
    std::size_t lf = find_line_end(input, pos);
    if (lf == std::string_view::npos) {
      if (input.size() - pos >= limits_.max_line_size) return refuse(400, "chunk size line too long");
      return false;
    }
    if (lf - pos + 1 > limits_.max_line_size) return refuse(400, "chunk size line too long");
    if (lf == pos || input[lf - 1] != '\r') return refuse(400, "bare LF in chunk size line");
    std::string_view line = input.substr(pos, lf - 1 - pos);
    std::size_t digits = 0;
    while (digits < line.size() && hex_value(line[digits]) >= 0) ++digits;
    std::uint64_t size = 0;
    if (!parse_hex(line.substr(0, digits), size))
      return refuse(400, digits == 0 ? "malformed chunk size" : "chunk size overflows");
    if (!valid_extension(line.substr(digits))) return refuse(400, "malformed chunk extension");
    if (size > limits_.max_body_size || total_ > limits_.max_body_size - size)
      return refuse(413, "body too large");
    pos = lf + 1;
    remaining_ = size;
    state_ = size == 0 ? State::trailer : State::data;
    return true;
  }

  static int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // What may follow the size: nothing, or BWS ';' then anything free of
  // controls but HTAB (the extensions, which are ignored).
  static bool valid_extension(std::string_view rest) noexcept {
    std::size_t i = 0;
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i == rest.size()) return i == 0;  // "5 " with nothing after: not allowed
    if (rest[i] != ';') return false;
    for (; i < rest.size(); ++i)
      if (rest[i] != '\t' && is_ctl(static_cast<unsigned char>(rest[i]))) return false;
    return true;
  }

  ChunkResult take_data(std::string_view input, std::size_t pos) noexcept {
    std::size_t avail = input.size() - pos;
    if (avail == 0) return incomplete(pos);
    std::size_t n = remaining_ < avail ? static_cast<std::size_t>(remaining_) : avail;
    remaining_ -= n;
    total_ += n;
    if (remaining_ == 0) state_ = State::data_crlf;
    return ChunkResult{ChunkStatus::data, pos + n, input.substr(pos, n), 0, {}};
  }

  // Takes one trailer line (or the empty line ending them) at pos.
  bool trailer_line(std::string_view input, std::size_t& pos) noexcept {
    std::size_t lf = find_line_end(input, pos);
    std::size_t line_size = (lf == std::string_view::npos ? input.size() : lf + 1) - pos;
    if (trailer_bytes_ + line_size > limits_.max_trailer_size) return refuse(431, "trailers too large");
    if (lf == std::string_view::npos) return false;
    if (lf == pos || input[lf - 1] != '\r') return refuse(400, "bare LF in trailer");
    std::string_view line = input.substr(pos, lf - 1 - pos);
    if (!line.empty() && !valid_trailer(line)) return refuse(400, "malformed trailer field");
    trailer_bytes_ += line_size;
    pos = lf + 1;
    if (line.empty()) state_ = State::done;
    return true;
  }

  static bool valid_trailer(std::string_view line) noexcept {
    const char* p = line.data();
    const char* end = p + line.size();
    const char* name_end = skip_token(p, end);
    if (name_end == p || name_end == end || *name_end != ':') return false;
    for (const char* q = name_end + 1; q < end; ++q)
      if (*q != '\t' && is_ctl(static_cast<unsigned char>(*q))) return false;
    return true;
  }

  ChunkedLimits limits_;
  State state_ = State::size_line;
  std::uint64_t remaining_ = 0;   // data bytes left in the current chunk
  std::uint64_t total_ = 0;       // payload bytes so far
  std::size_t scanned_ = 0;       // bytes of the current line already searched for LF
  std::size_t trailer_bytes_ = 0;
  int error_status_ = 0;
  std::string_view reason_;
};

}  // namespace eddy::detail::http
