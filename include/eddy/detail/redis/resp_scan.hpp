// The framing scan: where does the reply at the start of a buffer end? It
// checks every byte as parse_reply does (the same headers, the same limits,
// the same outcome) but builds nothing, and it resumes: its state remembers
// the offset of the next header and the elements each open aggregate still
// waits for, so a 100 MB reply arriving in 64 KiB reads is scanned once,
// O(size), instead of being parsed again from its start after every read.
//
//   ScanState state;                                  // one per reply
//   RespResult r = scan_reply(buffer, state, limits); // call again with more bytes
//   if (r.complete()) parse_reply(buffer, reply, limits);   // cannot be incomplete now
//
// Between calls `in` must start with the same bytes as before (more may
// follow). Thread contract: a pure function of (bytes, state); any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resp_header.hpp"

namespace eddy::detail::redis {

/// Where a resumable scan stands. reset() before scanning a new reply.
struct ScanState {
  std::size_t pos = 0;       ///< offset of the next header to read
  std::size_t depth = 0;     ///< open aggregates
  std::size_t elements = 0;  ///< elements declared so far (for max_elements)
  std::int64_t remaining[max_depth_cap];  ///< per open aggregate: elements still to come
  bool attribute[max_depth_cap];          ///< per open aggregate: an attribute (its values are no elements)
  void reset() noexcept { pos = depth = elements = 0; }
};

namespace resp {

// An aggregate header on the scan's stack: the same limits as the parser's.
inline const char* scan_push(const RespHeader& h, ScanState& s, const RespLimits& limits) noexcept {
  std::size_t max_depth = limits.max_depth < max_depth_cap ? limits.max_depth : max_depth_cap;
  if (s.depth >= max_depth) return "nesting deeper than max_depth";
  auto count = static_cast<std::uint64_t>(h.count);
  if (h.type == '%' || h.type == '|') count *= 2;  // count < 2^63: no overflow
  if (count > limits.max_elements - s.elements) return "more elements than max_elements";
  s.elements += static_cast<std::size_t>(count);
  s.remaining[s.depth] = static_cast<std::int64_t>(count);
  s.attribute[s.depth] = h.type == '|';
  ++s.depth;
  return nullptr;
}

// A value ended at s.pos: closes every aggregate it completes. True when the
// reply is complete. An attribute that ends yields no value: the value it
// annotates follows, at the same level (as parse_reply does).
inline bool scan_value_done(ScanState& s) noexcept {
  for (;;) {
    if (s.depth == 0) return true;
    if (--s.remaining[s.depth - 1] > 0) return false;
    --s.depth;
    if (s.attribute[s.depth]) return false;
  }
}

}  // namespace resp

/// Scans one reply at the start of `in` from `state` (see the file comment).
/// The result is the one parse_reply gives for the same bytes.
inline RespResult scan_reply(std::string_view in, ScanState& state, const RespLimits& limits = {}) noexcept {
  for (;;) {
    RespHeader h = read_header(in, state.pos, limits);
    RespResult r;
    if (h.status == RespStatus::error) {
      r.status = RespStatus::error;
      r.reason = h.reason;
      return r;
    }
    if (h.status == RespStatus::incomplete) {
      r.needed = h.next;
      for (std::size_t i = 0; i < state.depth; ++i) r.needed += 3 * static_cast<std::size_t>(state.remaining[i] - 1);
      if (r.needed > limits.max_reply_size) {
        r.status = RespStatus::error;
        r.reason = "reply larger than max_reply_size";
      }
      return r;
    }
    state.pos = h.next;
    if (resp::is_aggregate(h.type) && h.count > 0) {
      if (const char* why = resp::scan_push(h, state, limits)) {
        r.status = RespStatus::error;
        r.reason = why;
        return r;
      }
      continue;
    }
    if (h.type == '|') continue;  // an empty attribute: the value follows
    if (resp::scan_value_done(state)) {
      r.status = RespStatus::complete;
      r.consumed = state.pos;
      return r;
    }
  }
}

}  // namespace eddy::detail::redis
