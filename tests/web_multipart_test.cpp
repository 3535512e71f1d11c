// multipart/form-data uploads: the strict parser (detail/http/multipart.hpp)
// on hand-built bodies, and RequestHandler::files() / get_argument() behind
// a real server with curl -F.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include <eddy/detail/http/multipart.hpp>

#include "support/http_test_server.hpp"
#include "support/run_command.hpp"

using eddy::detail::MultipartFiles;
using eddy::detail::parse_multipart;
using eddy::detail::multipart::form_data_boundary;

namespace {

struct Parsed {
  eddy::HTTPArguments args;
  MultipartFiles files;
};

Parsed parse(std::string_view body, std::string_view boundary = "XyZ", eddy::detail::MultipartLimits limits = {}) {
  Parsed p;
  parse_multipart(boundary, body, p.args, p.files, limits);
  return p;
}

std::string field_part(std::string_view name, std::string_view value) {
  return "--XyZ\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" + std::string(value) +
         "\r\n";
}

std::string curl_path() { return "curl -s -S --max-time 20 "; }

}  // namespace

TEST_CASE("a multipart body gives its fields as arguments and its files by field", "[web][multipart]") {
  std::string body = field_part("a", "1") + field_part("a", "2") +
                     "--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"x.txt\"\r\n"
                     "Content-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\n"
                     "Content-Disposition: form-data; name=\"up\"; filename=\"y.bin\"\r\n\r\n\r\n--\r\n--XyZ--\r\n";
  Parsed p = parse(body);
  REQUIRE(p.args.get_list("a") == std::vector<std::string>{"1", "2"});
  REQUIRE(p.files.size() == 1);
  REQUIRE(p.files[0].first == "up");
  REQUIRE(p.files[0].second.size() == 2);
  CHECK(p.files[0].second[0].filename == "x.txt");
  CHECK(p.files[0].second[0].content_type == "text/plain");
  CHECK(p.files[0].second[0].body == "hello");
  CHECK(p.files[0].second[1].filename == "y.bin");
  CHECK(p.files[0].second[1].content_type == "application/octet-stream");
  CHECK(p.files[0].second[1].body == "\r\n--");  // a delimiter needs CRLF "--" and the whole boundary
}

TEST_CASE("multipart filename* (RFC 8187) wins over filename and quoted escapes are undone", "[web][multipart]") {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"euro.txt\"; "
      "filename*=UTF-8''%e2%82%ac%20rates.txt\r\n\r\nx\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"a\\\"b.txt\"\r\n\r\ny\r\n--XyZ--";
  Parsed p = parse(body);
  REQUIRE(p.files.size() == 2);
  CHECK(p.files[0].second[0].filename == "\xe2\x82\xac rates.txt");
  CHECK(p.files[1].second[0].filename == "a\"b.txt");
}

TEST_CASE("the multipart boundary parameter is 1-70 characters of RFC 2046's set, quoted or not", "[web][multipart]") {
  CHECK(*form_data_boundary("multipart/form-data; boundary=abc") == "abc");
  CHECK(*form_data_boundary("Multipart/Form-Data;boundary=\"a b:c?\"") == "a b:c?");
  CHECK(*form_data_boundary("multipart/form-data; charset=utf-8; boundary=" + std::string(70, 'x')) ==
        std::string(70, 'x'));
  CHECK_FALSE(form_data_boundary("text/plain; boundary=abc").has_value());
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=\"\""), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=\"ends \""), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=\"a<b\""), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data"), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=a; boundary=b"), std::invalid_argument);
  CHECK_THROWS_AS(form_data_boundary("multipart/form-data; boundary=\"abc"), std::invalid_argument);
}

TEST_CASE("a multipart body without its final boundary, or with junk around it, is refused", "[web][multipart]") {
  CHECK_THROWS_AS(parse(field_part("a", "1")), std::invalid_argument);                          // no close
  CHECK_THROWS_AS(parse(field_part("a", "1") + "--XyZ"), std::invalid_argument);               // cut short
  CHECK_THROWS_AS(parse("preamble\r\n" + field_part("a", "1") + "--XyZ--"), std::invalid_argument);
  CHECK_THROWS_AS(parse(field_part("a", "1") + "--XyZ--epilogue"), std::invalid_argument);
  CHECK_THROWS_AS(parse(field_part("a", "1") + "--XyZjunk\r\n--XyZ--"), std::invalid_argument);
  CHECK_NOTHROW(parse(field_part("a", "1") + "--XyZ-- \r\n"));
  CHECK_NOTHROW(parse("--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--"));  // padding
}

TEST_CASE("a multipart part needs Content-Disposition form-data with a name and clean header lines",
          "[web][multipart]") {
  CHECK_THROWS_AS(parse("--XyZ\r\n\r\nv\r\n--XyZ--"), std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--"), std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--"), std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: form-data; name=a\r\n folded\r\n\r\nv\r\n--XyZ--"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: a\x01\r\n\r\nv\r\n--XyZ--"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: form-data; name=a; filename*=latin1''x\r\n\r\nv\r\n--XyZ--"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; "
                        "name=b\r\n\r\nv\r\n--XyZ--"),
                  std::invalid_argument);
}

TEST_CASE("multipart limits on part count and part header size hold at the limit and refuse one more",
          "[web][multipart]") {
  eddy::detail::MultipartLimits limits;
  limits.max_parts = 3;
  std::string three = field_part("a", "1") + field_part("b", "2") + field_part("c", "3");
  CHECK_NOTHROW(parse(three + "--XyZ--", "XyZ", limits));
  CHECK_THROWS_AS(parse(three + field_part("d", "4") + "--XyZ--", "XyZ", limits), std::invalid_argument);
  limits = {};
  limits.max_header_size = 64;
  std::string line = "Content-Disposition: form-data; name=a";  // 38 bytes
  std::string pad = "X: " + std::string(64 - line.size() - 2 - 3, 'p');  // line CRLF pad == 64
  CHECK_NOTHROW(parse("--XyZ\r\n" + line + "\r\n" + pad + "\r\n\r\nv\r\n--XyZ--", "XyZ", limits));
  CHECK_THROWS_AS(parse("--XyZ\r\n" + line + "\r\n" + pad + "p\r\n\r\nv\r\n--XyZ--", "XyZ", limits),
                  std::invalid_argument);
}

TEST_CASE("curl -F uploads reach files() and get_argument()", "[web][multipart][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/up", [](eddy::RequestHandler& h) {
      std::string out = h.get_argument("title") + "|" + std::to_string(h.get_arguments("tag").size());
      for (const eddy::HTTPFile& f : h.files("doc")) out += "|" + f.filename + ":" + f.content_type + ":" + f.body;
      out += "|" + std::to_string(h.files("none").size());
      h.write(out);
    });
  });
  std::string dir = "/tmp/eddy-multipart-" + std::to_string(server.port());
  std::string mk = "mkdir -p " + dir;
  REQUIRE(std::system(mk.c_str()) == 0);
  std::ofstream(dir + "/a.txt") << "alpha";
  std::ofstream(dir + "/b.json") << "{\"b\":1}";
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/up";
  std::string cmd = curl_path() + "-F title=' Hello ' -F tag=x -F tag=y -F doc=@" + dir + "/a.txt -F 'doc=@" + dir +
                    "/b.json;type=application/json' " + url;
  std::string out = eddy_test::run_command(cmd).out;
  std::string rm = "rm -rf " + dir;
  (void)std::system(rm.c_str());
  CHECK(out == "Hello|2|a.txt:text/plain:alpha|b.json:application/json:{\"b\":1}|0");
  CHECK(server.exceptions().empty());
}

TEST_CASE("a malformed multipart body makes get_argument and files() answer 400", "[web][multipart][server]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/up", [](eddy::RequestHandler& h) { h.write(std::to_string(h.files("doc").size())); });
  });
  std::string body = "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a\"\r\n\r\nx\r\n--B";
  std::string req = "POST /up HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  CHECK(eddy_test::fetch(server.port(), req).status == 400);
  std::string good = body + "--\r\n";
  std::string req2 = "POST /up HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                     "Content-Length: " + std::to_string(good.size()) + "\r\n\r\n" + good;
  eddy_test::Response r = eddy_test::fetch(server.port(), req2);
  CHECK(r.status == 200);
  CHECK(r.body == "1");
}
