// libFuzzer harness for the HTTP/1.x codec: the request and response head
// parsers, the framing analysis and the chunked decoder. Each input is
// checked against invariants that hold for any bytes:
// - nothing crashes, leaks or is undefined (the sanitizers watch);
// - consumed <= size; a complete head's views lie inside the head; names are
//   tokens; values hold no control character but HTAB and no edge OWS;
// - the framing analysis gives the same result from the parser's field marks
//   as from every field;
// - the same bytes split in two pieces (a prefix first, then all of it, with
//   and without the scanned hint) give the same outcome;
// - the chunked decoder gives the same body, status and consumed count
//   whether the bytes come at once or in two pieces.
// - a complete request goes through the web layer: an Application with
//   regex routes (the README's, greedy and lazy groups, alternation, named
//   groups) routes its path, however long, in linear time, and the handler
//   reads the query's and a form body's arguments; every outcome is one of
//   200, 400, 404, 405 and 414, and the handler is finished.
// The first input byte picks the header size limit, so the 431 path is
// reached on small inputs too.
//
// Built by scripts/fuzz with clang++ -fsanitize=fuzzer,address,undefined;
// replayed over fuzz/corpus/ in every build by replay_main.cpp (ctest).
#include <eddy/detail/http/http_chunked.hpp>
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>
#include <eddy/web.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

using namespace eddy::detail::http;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_fields(const std::vector<HeaderField>& fields, std::string_view head) {
  for (const HeaderField& f : fields) {
    EDDY_FUZZ_CHECK(inside(f.name, head) && inside(f.value, head));
    EDDY_FUZZ_CHECK(!f.name.empty());
    for (char c : f.name) EDDY_FUZZ_CHECK(eddy::detail::tchar_table.yes[static_cast<unsigned char>(c)]);
    for (char c : f.value) EDDY_FUZZ_CHECK(c == '\t' || !is_ctl(static_cast<unsigned char>(c)));
    if (!f.value.empty()) {
      EDDY_FUZZ_CHECK(f.value.front() != ' ' && f.value.front() != '\t');
      EDDY_FUZZ_CHECK(f.value.back() != ' ' && f.value.back() != '\t');
    }
  }
}

bool same_result(const ParseResult& a, const ParseResult& b) {
  return a.status == b.status && a.consumed == b.consumed && a.error_status == b.error_status;
}

void check_request(std::string_view in, std::size_t limit, std::size_t split) {
  RequestHead head;
  ParseResult full = parse_request_head(in, head, limit);
  EDDY_FUZZ_CHECK(full.consumed <= in.size() && full.consumed <= limit);
  if (full.complete()) {
    std::string_view bytes = in.substr(0, full.consumed);
    EDDY_FUZZ_CHECK(inside(head.method, bytes) && inside(head.target, bytes));
    EDDY_FUZZ_CHECK(head.version_minor == 0 || head.version_minor == 1);
    check_fields(head.headers, bytes);
    MessageInfo info = analyze_request(head);
    // The fields the parser marked for the analysis are all it needs: the
    // same head with the marks dropped (every field read) frames the same.
    EDDY_FUZZ_CHECK(head.marks.fields == head.headers.size());
    RequestHead unmarked = head;
    unmarked.marks = FieldMarks{};
    MessageInfo all = analyze_request(unmarked);
    EDDY_FUZZ_CHECK(all.body == info.body && all.content_length == info.content_length &&
                    all.keep_alive == info.keep_alive && all.expect_continue == info.expect_continue &&
                    all.upgrade == info.upgrade && all.host == info.host && all.conditional == info.conditional &&
                    all.error_status == info.error_status && all.reason == info.reason);
    EDDY_FUZZ_CHECK(info.ok() == (info.error_status == 0));
    if (!info.ok()) EDDY_FUZZ_CHECK(!info.keep_alive && !info.reason.empty());
    if (info.body == BodyKind::content_length) EDDY_FUZZ_CHECK(info.content_length > 0);
    EDDY_FUZZ_CHECK(info.body != BodyKind::until_close);
  } else if (full.error()) {
    int s = full.error_status;
    EDDY_FUZZ_CHECK(s == 400 || s == 431 || s == 505);
    EDDY_FUZZ_CHECK(!full.reason.empty());
  }
  // The same bytes in two pieces: the prefix alone is incomplete, or already
  // the same outcome; then the whole, told what was scanned, agrees.
  RequestHead first_head;
  ParseResult first = parse_request_head(in.substr(0, split), first_head, limit);
  if (first.complete()) {
    EDDY_FUZZ_CHECK(same_result(first, full));
    return;
  }
  if (first.error()) {
    EDDY_FUZZ_CHECK(full.error() && first.error_status == full.error_status);
    return;
  }
  RequestHead again;
  ParseResult hinted = parse_request_head(in, again, limit, split);
  if (full.error()) {
    // With a hint, an error in an unfinished head may wait for its end.
    EDDY_FUZZ_CHECK(hinted.incomplete() || (hinted.error() && hinted.error_status == full.error_status));
  } else {
    EDDY_FUZZ_CHECK(same_result(hinted, full));
  }
}

void check_response(std::string_view in, std::size_t limit) {
  ResponseHead head;
  ParseResult r = parse_response_head(in, head, limit);
  EDDY_FUZZ_CHECK(r.consumed <= in.size());
  if (!r.complete()) return;
  std::string_view bytes = in.substr(0, r.consumed);
  EDDY_FUZZ_CHECK(head.status_code >= 100 && head.status_code <= 999);
  EDDY_FUZZ_CHECK(inside(head.reason, bytes));
  check_fields(head.headers, bytes);
  MessageInfo get = analyze_response(head, "GET");
  MessageInfo head_info = analyze_response(head, "HEAD");
  EDDY_FUZZ_CHECK(head_info.body == BodyKind::none);
  ResponseHead unmarked = head;
  unmarked.marks = FieldMarks{};
  MessageInfo all = analyze_response(unmarked, "GET");
  EDDY_FUZZ_CHECK(all.body == get.body && all.content_length == get.content_length &&
                  all.keep_alive == get.keep_alive && all.upgrade == get.upgrade &&
                  all.error_status == get.error_status);
  if (!get.ok()) EDDY_FUZZ_CHECK(get.error_status == 502 && !get.keep_alive);
}

// A route's handler: reads arguments (a malformed query or form body
// throws HTTPError(400), which becomes the answer) and echoes the groups.
void read_arguments(eddy::RequestHandler& h) {
  for (const std::string& arg : h.path_args()) EDDY_FUZZ_CHECK(arg.size() <= h.request().path.size());
  h.write(h.get_argument("a", "none"));
  for (const std::string& v : h.get_arguments("b")) h.write(v);
}

// The routes every input is tried against, made once. The path bound is
// raised to the head limit, so the longest paths reach the matcher.
eddy::Application& fuzz_application() {
  static eddy::Application app = [] {
    eddy::Application a;
    a.set_max_path_length(64 * 1024);
    a.route("/", read_arguments);
    a.route("/user/([0-9]+)", {"GET"}, read_arguments);
    a.route("/files/(.*)", read_arguments);
    a.route("/(?P<name>[a-z0-9_-]+)/(\\d{1,8})(?:/(.*?))?(?:\\.(html|json))?$", read_arguments);
    a.route("/((?:a|b)*)c", read_arguments);
    a.route("^/static/([^/]+)/(.+?)/?$", read_arguments);
    return a;
  }();
  return app;
}

// Routes a complete request (its body: the bytes after the head) through
// the Application, as the server does, without a connection: the response
// goes nowhere, its status is checked.
void check_routing(const RequestHead& head, std::string_view body) {
  using eddy::detail::HandlerAccess;
  eddy::RequestHandler& h = HandlerAccess::acquire();
  HandlerAccess::retain(h);
  eddy::HTTPServerRequest& req = HandlerAccess::request(h);
  req.method.assign(head.method);
  req.uri.assign(head.target);
  std::size_t q = head.target.find('?');
  req.path.assign(head.target.substr(0, q));
  if (q != std::string_view::npos) req.query.assign(head.target.substr(q + 1));
  for (const HeaderField& field : head.headers) req.headers.add(field.name, field.value);
  req.body.assign(body);
  fuzz_application().dispatch(h);
  EDDY_FUZZ_CHECK(h.finished());
  int status = h.get_status();
  EDDY_FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 414);
  HandlerAccess::release(h);
}

struct Chunked {
  std::string body;
  ChunkStatus status = ChunkStatus::incomplete;
  int error_status = 0;
  std::size_t consumed = 0;
};

// Decodes `in` fed as in[0, split) and then the rest, the way a server
// feeds what it has buffered.
Chunked decode_chunked(std::string_view in, std::size_t split, ChunkedLimits limits) {
  ChunkedDecoder decoder(limits);
  Chunked out;
  std::size_t available = split;
  while (true) {
    std::string_view window = in.substr(out.consumed, available - out.consumed);
    ChunkResult r = decoder.decode(window);
    EDDY_FUZZ_CHECK(r.consumed <= window.size());
    if (r.status == ChunkStatus::data) {
      EDDY_FUZZ_CHECK(!r.data.empty() && inside(r.data, window.substr(0, r.consumed)));
      out.body.append(r.data);
    }
    out.consumed += r.consumed;
    out.status = r.status;
    out.error_status = r.error_status;
    if (r.status == ChunkStatus::done || r.status == ChunkStatus::error) break;
    if (r.status == ChunkStatus::incomplete) {
      if (available == in.size()) break;
      available = in.size();
    }
  }
  EDDY_FUZZ_CHECK(decoder.body_size() == out.body.size());
  EDDY_FUZZ_CHECK(out.body.size() <= limits.max_body_size);
  return out;
}

void check_chunked(std::string_view in, std::size_t split) {
  ChunkedLimits limits;
  limits.max_body_size = 1000;
  limits.max_line_size = 64;
  limits.max_trailer_size = 256;
  Chunked whole = decode_chunked(in, in.size(), limits);
  Chunked pieces = decode_chunked(in, split, limits);
  EDDY_FUZZ_CHECK(whole.status == pieces.status);
  EDDY_FUZZ_CHECK(whole.error_status == pieces.error_status);
  if (whole.status != ChunkStatus::error) {
    EDDY_FUZZ_CHECK(whole.body == pieces.body);
    EDDY_FUZZ_CHECK(whole.consumed == pieces.consumed);
  }
  if (whole.status == ChunkStatus::error) {
    int s = whole.error_status;
    EDDY_FUZZ_CHECK(s == 400 || s == 413 || s == 431);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Byte 0 picks the head limit (16..4096 or the 64 KiB default) and the
  // split point; the rest is the message.
  std::size_t limit = data[0] < 0xF0 ? 16 + std::size_t(data[0]) * 17 : 64 * 1024;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t split = in.empty() ? 0 : (std::size_t(data[0]) * 131) % (in.size() + 1);
  check_request(in, limit, split);
  check_response(in, limit);
  // The chunked decoder on the bytes after a complete head, else on all.
  RequestHead head;
  ParseResult r = parse_request_head(in, head, limit);
  std::string_view body = r.complete() ? in.substr(r.consumed) : in;
  check_chunked(body, split < body.size() ? split : body.size() / 2);
  if (r.complete()) check_routing(head, body);
  return 0;
}
