// libFuzzer harness for the RESP codec: the reply parser and the resumable
// framing scan. Each input is checked against invariants that hold for any
// bytes:
// - nothing crashes, leaks or is undefined (the sanitizers watch);
// - the scan gives the parser's outcome: the same status, the same consumed
//   count, the same lower bound on an incomplete reply, the same reason;
// - the same bytes in two pieces (a prefix, then all of it) give the same
//   outcome: a prefix that completes is the whole reply, a prefix that fails
//   fails the whole for the same reason, and the scan resumed from the
//   prefix's state agrees with a fresh scan of the whole (a prefix already
//   past max_reply_size fails the whole too, maybe for another reason);
// - an incomplete reply's lower bound is above the bytes given and never
//   above the reply's real size;
// - a complete reply written back as RESP3 parses to an equal reply.
// The first input byte picks the limits, so every limit's error path is
// reached on small inputs too.
//
// Built by scripts/fuzz (FUZZ_TARGET=resp) with clang++ -fsanitize=fuzzer;
// replayed over fuzz/corpus/resp/ in every build by replay_main.cpp (ctest
// fuzz.resp.replay).
#include <eddy/detail/redis/resp_parser.hpp>
#include <eddy/detail/redis/resp_scan.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

using eddy::redis::Reply;
using namespace eddy::detail::redis;

namespace {

bool same(const RespResult& a, const RespResult& b) {
  if (a.status != b.status) return false;
  if (a.complete()) return a.consumed == b.consumed;
  if (a.incomplete()) return a.needed == b.needed;
  return std::strcmp(a.reason, b.reason) == 0;
}

void write_length(std::string& out, char type, std::size_t n) {
  out += type;
  out += std::to_string(n);
  out += "\r\n";
}

// The reply as RESP3 (iterative over an explicit stack would be needed for
// untrusted depth; the parser bounds it, so recursion here is shallow).
void write(std::string& out, const Reply& r) {
  using Type = Reply::Type;
  switch (r.type()) {
    case Type::nil: out += "_\r\n"; return;
    case Type::integer: out += ":" + std::to_string(r.as_integer()) + "\r\n"; return;
    case Type::boolean: out += r.as_boolean() ? "#t\r\n" : "#f\r\n"; return;
    case Type::double_: {
      char digits[64];
      double d = r.as_double();
      auto res = std::to_chars(digits, digits + sizeof digits, d);
      out += ",";
      out.append(digits, res.ptr);
      out += "\r\n";
      return;
    }
    case Type::simple_string:
      out += (r.is_big_number() ? "(" : "+") + std::string(r.as_string()) + "\r\n";
      return;
    case Type::error: write_length(out, '!', r.as_string().size()); out += std::string(r.as_string()) + "\r\n"; return;
    case Type::bulk_string: write_length(out, '$', r.as_string().size()); out += std::string(r.as_string()) + "\r\n"; return;
    case Type::verbatim:
      write_length(out, '=', r.as_string().size() + 4);
      out += std::string(r.verbatim_format()) + ":" + std::string(r.as_string()) + "\r\n";
      return;
    default: break;
  }
  char type = r.type() == Type::map ? '%' : r.type() == Type::set ? '~' : r.type() == Type::push ? '>' : '*';
  std::size_t n = r.elements().size();
  write_length(out, type, type == '%' ? n / 2 : n);
  for (const Reply& e : r.elements()) write(out, e);
}

RespLimits pick_limits(std::uint8_t b) {
  RespLimits limits;
  if (b & 0x01) limits.max_depth = 1 + (b >> 4);
  if (b & 0x02) limits.max_bulk_length = 1 + (b >> 3);
  if (b & 0x04) limits.max_elements = 1 + (b >> 4);
  if (b & 0x08) limits.max_reply_size = 8 + b;
  return limits;
}

void check_one(std::string_view in, std::size_t split, const RespLimits& limits) {
  Reply reply;
  RespResult parsed = parse_reply(in, reply, limits);
  ScanState state;
  RespResult scanned = scan_reply(in, state, limits);
  EDDY_FUZZ_CHECK(same(parsed, scanned));
  if (parsed.complete()) EDDY_FUZZ_CHECK(parsed.consumed > 0 && parsed.consumed <= in.size());
  if (parsed.incomplete()) EDDY_FUZZ_CHECK(parsed.needed > in.size());
  // In two pieces.
  std::string_view prefix = in.substr(0, split);
  Reply first;
  RespResult early = parse_reply(prefix, first, limits);
  ScanState resumed;
  RespResult early_scan = scan_reply(prefix, resumed, limits);
  EDDY_FUZZ_CHECK(same(early, early_scan));
  if (early.complete()) EDDY_FUZZ_CHECK(same(early, parsed) && first == reply);
  // A prefix may already be too large for any reply it could begin; the
  // whole then fails too, perhaps first for another reason.
  if (early.error() && std::strcmp(early.reason, "reply larger than max_reply_size") == 0) EDDY_FUZZ_CHECK(parsed.error());
  else if (early.error()) EDDY_FUZZ_CHECK(same(early, parsed));
  if (early.incomplete()) {
    if (parsed.complete()) EDDY_FUZZ_CHECK(early.needed <= parsed.consumed);
    EDDY_FUZZ_CHECK(same(scan_reply(in, resumed, limits), parsed));
  }
  if (!parsed.complete()) return;
  // Written back as RESP3, it reads the same (attributes and RESP2's nulls
  // are normalised away, so the bytes may differ).
  std::string again;
  write(again, reply);
  Reply reread;
  RespLimits roomy;
  roomy.max_depth = max_depth_cap;
  RespResult back = parse_reply(again, reread, roomy);
  EDDY_FUZZ_CHECK(back.complete() && back.consumed == again.size());
  EDDY_FUZZ_CHECK(reread == reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  RespLimits limits = pick_limits(data[0]);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t split = in.empty() ? 0 : (std::size_t(data[0]) * 131) % (in.size() + 1);
  // Every reply in the input, one after the other, as a connection reads them.
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    check_one(in, split < in.size() ? split : in.size() / 2, limits);
    Reply r;
    RespResult result = parse_reply(in, r, limits);
    if (!result.complete()) break;
    in.remove_prefix(result.consumed);
  }
  return 0;
}
