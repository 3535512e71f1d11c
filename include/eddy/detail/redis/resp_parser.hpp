// The RESP parser: a pure function over a byte range, after
// picohttpparser's shape (see resp_header.hpp for the grammar).
//
//   eddy::redis::Reply reply;
//   auto r = eddy::detail::redis::parse_reply(buffer, reply, limits);
//   if (r.complete()) { ... buffer.substr(r.consumed) holds the next reply ... }
//
// - complete: `out` is the reply, `consumed` its size (with any attributes
//   before it, which are checked and dropped).
// - incomplete: no error so far; call again with the same bytes and more
//   after them. `needed` is a lower bound on the reply's size: nothing can
//   change before that many bytes are there. `out` is untouched.
// - error: `reason` says what is wrong; the stream cannot be trusted after it.
//
// No recursion: aggregates under construction sit on an explicit stack of at
// most max_depth frames. A declared count or length allocates nothing by
// itself: a string is copied once its bytes are all there, and an aggregate
// reserves at most one element per 3 bytes present (the shortest value,
// "_\r\n"), so what one reply allocates is bounded by what was received and
// by the limits. Re-parsing a large reply that trickles in is the framing
// scan's job (resp_scan.hpp): it is resumable, this is not.
//
// Thread contract: a pure function; any thread.
#pragma once

#include <cstddef>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include "reply.hpp"
#include "resp_header.hpp"

namespace eddy::detail::redis {

using eddy::redis::Reply;

namespace resp {

inline Reply::Type aggregate_type(char type) noexcept {
  switch (type) {
    case '%': return Reply::Type::map;
    case '~': return Reply::Type::set;
    case '>': return Reply::Type::push;
    default: return Reply::Type::array;
  }
}

// The value of a header that is not an aggregate with elements to come.
inline Reply make_value(const RespHeader& h) {
  using Type = Reply::Type;
  switch (h.type) {
    case '+': return Reply::make_string(Type::simple_string, h.text);
    case '-': return Reply::make_string(Type::error, h.text);
    case '!': return Reply::make_string(Type::error, h.text);
    case ':': return Reply::make_integer(h.count);
    case ',': return Reply::make_double(h.number);
    case '#': return Reply::make_boolean(h.flag);
    case '(': return Reply::make_big_number(h.text);
    case '=': return Reply::make_string(Type::verbatim, h.text.substr(4), h.text.substr(0, 3));
    case '$': return h.count < 0 ? Reply() : Reply::make_string(Type::bulk_string, h.text);
    case '_': return Reply();
    default: return h.count < 0 ? Reply() : Reply::make_aggregate(aggregate_type(h.type), {});
  }
}

// The bytes each element still to come needs at least, on every level.
template <class Remaining>
std::size_t bytes_still_needed(std::size_t depth, Remaining remaining) noexcept {
  std::size_t total = 0;
  for (std::size_t i = 0; i < depth; ++i) total += 3 * static_cast<std::size_t>(remaining(i) - 1);
  return total;
}

// Aggregates under construction, innermost last. Frames are built only when
// pushed, so a flat reply touches none of this storage.
class FrameStack {
 public:
  struct Frame {
    std::vector<Reply> elements;
    std::int64_t remaining;
    char type;  // '|' for an attribute, whose elements are dropped
  };
  FrameStack() noexcept {}
  FrameStack(const FrameStack&) = delete;
  FrameStack& operator=(const FrameStack&) = delete;
  ~FrameStack() {
    while (depth_ > 0) pop();
  }
  std::size_t depth() const noexcept { return depth_; }
  Frame& top() noexcept { return slots_[depth_ - 1].frame; }
  std::int64_t remaining(std::size_t i) const noexcept { return slots_[i].frame.remaining; }
  void push(char type, std::int64_t count, std::size_t reserve) {
    Frame* f = new (&slots_[depth_].frame) Frame{{}, count, type};
    ++depth_;
    if (type != '|') f->elements.reserve(reserve);
  }
  void pop() noexcept { slots_[--depth_].frame.~Frame(); }

 private:
  union Slot {
    Slot() noexcept {}
    ~Slot() {}
    Frame frame;
  };
  Slot slots_[max_depth_cap];
  std::size_t depth_ = 0;
};

// Checks an aggregate header against the depth and element limits.
inline const char* check_aggregate(const RespHeader& h, std::size_t depth, std::size_t& elements,
                                   const RespLimits& limits) noexcept {
  std::size_t max_depth = limits.max_depth < max_depth_cap ? limits.max_depth : max_depth_cap;
  if (depth >= max_depth) return "nesting deeper than max_depth";
  auto count = static_cast<std::uint64_t>(h.count);
  if (h.type == '%' || h.type == '|') count *= 2;  // count < 2^63: no overflow
  if (count > limits.max_elements - elements) return "more elements than max_elements";
  elements += static_cast<std::size_t>(count);
  return nullptr;
}

inline RespResult result_error(const char* reason) noexcept {
  RespResult r;
  r.status = RespStatus::error;
  r.reason = reason;
  return r;
}

}  // namespace resp

/// Parses one reply at the start of `in` (see the file comment).
inline RespResult parse_reply(std::string_view in, Reply& out, const RespLimits& limits = {}) {
  resp::FrameStack stack;
  std::size_t pos = 0;
  std::size_t elements = 0;
  for (;;) {
    RespHeader h = read_header(in, pos, limits);
    if (h.status == RespStatus::error) return resp::result_error(h.reason);
    if (h.status == RespStatus::incomplete) {
      RespResult r;
      r.needed = h.next + resp::bytes_still_needed(stack.depth(), [&](std::size_t i) { return stack.remaining(i); });
      if (r.needed > limits.max_reply_size) return resp::result_error("reply larger than max_reply_size");
      return r;
    }
    pos = h.next;
    if (resp::is_aggregate(h.type) && h.count > 0) {
      if (const char* why = resp::check_aggregate(h, stack.depth(), elements, limits)) return resp::result_error(why);
      std::int64_t count = (h.type == '%' || h.type == '|') ? h.count * 2 : h.count;
      std::size_t room = (in.size() - pos) / 3 + 1;
      stack.push(h.type, count, static_cast<std::uint64_t>(count) < room ? static_cast<std::size_t>(count) : room);
      continue;
    }
    if (h.type == '|') continue;  // an empty attribute: the value follows
    Reply value = resp::make_value(h);
    // Hand the value up: every aggregate it completes becomes the next value.
    for (;;) {
      if (stack.depth() == 0) {
        out = std::move(value);
        RespResult r;
        r.status = RespStatus::complete;
        r.consumed = pos;
        return r;
      }
      resp::FrameStack::Frame& f = stack.top();
      if (f.type != '|') f.elements.push_back(std::move(value));
      if (--f.remaining > 0) break;
      if (f.type == '|') {  // an attribute ends: the value it annotates follows
        stack.pop();
        break;
      }
      value = Reply::make_aggregate(resp::aggregate_type(f.type), std::move(f.elements));
      stack.pop();
    }
  }
}

}  // namespace eddy::detail::redis
