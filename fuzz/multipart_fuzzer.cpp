// libFuzzer harness for the multipart/form-data parser
// (detail/http/multipart.hpp). An input is a Content-Type value, a '\n', then
// the body. Invariants that hold for any bytes:
// - nothing crashes, leaks or is undefined (the sanitizers watch); the only
//   exception is std::invalid_argument (the web layer's 400);
// - a parsed body has at most max_parts parts, and the bytes of its values
//   and files add up to no more than the body's size;
// - what was parsed, written out again as a multipart body with the same
//   boundary (names quoted, filenames as filename*), parses to the same
//   fields and files (the parser keeps everything it accepts, exactly).
// The first body byte's low bits pick a small max_parts, so that limit is
// reached on small inputs too.
//
// Built by scripts/fuzz multipart; replayed over fuzz/corpus/multipart/ in
// every build by replay_main.cpp (ctest fuzz.multipart.replay).
#include <eddy/detail/http/multipart.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

using eddy::HTTPArguments;
using eddy::HTTPFile;
using eddy::detail::MultipartFiles;
using eddy::detail::MultipartLimits;

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string percent_all(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string rewrite(std::string_view boundary, const HTTPArguments& args, const MultipartFiles& files) {
  std::string out;
  for (const auto& [name, values] : args) {
    for (const std::string& v : values) {
      out.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=").append(quoted(name));
      out.append("\r\n\r\n").append(v).append("\r\n");
    }
  }
  for (const auto& [name, list] : files) {
    for (const HTTPFile& f : list) {
      out.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=").append(quoted(name));
      out.append("; filename*=UTF-8''").append(percent_all(f.filename));
      out.append("\r\nContent-Type: ").append(f.content_type).append("\r\n\r\n").append(f.body).append("\r\n");
    }
  }
  return out.append("--").append(boundary).append("--");
}

bool same_files(const MultipartFiles& a, const MultipartFiles& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].second.size() != b[i].second.size()) return false;
    for (std::size_t j = 0; j < a[i].second.size(); ++j) {
      const HTTPFile &x = a[i].second[j], &y = b[i].second[j];
      if (x.filename != y.filename || x.content_type != y.content_type || x.body != y.body) return false;
    }
  }
  return true;
}

bool same_args(const HTTPArguments& a, const HTTPArguments& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, values] : a) {
    const std::vector<std::string>* other = b.find(name);
    if (other == nullptr || *other != values) return false;
  }
  return true;
}

void check(std::string_view boundary, std::string_view body, const MultipartLimits& limits) {
  HTTPArguments args;
  MultipartFiles files;
  try {
    eddy::detail::parse_multipart(boundary, body, args, files, limits);
  } catch (const std::invalid_argument&) {
    return;
  }
  std::size_t parts = 0, bytes = 0;
  for (const auto& [name, values] : args) {
    parts += values.size();
    for (const std::string& v : values) bytes += v.size();
  }
  for (const auto& [name, list] : files) {
    parts += list.size();
    for (const HTTPFile& f : list) bytes += f.body.size();
  }
  EDDY_FUZZ_CHECK(parts <= limits.max_parts);
  EDDY_FUZZ_CHECK(bytes <= body.size());
  HTTPArguments args2;
  MultipartFiles files2;
  MultipartLimits unbounded;
  unbounded.max_parts = parts;
  eddy::detail::parse_multipart(boundary, rewrite(boundary, args, files), args2, files2, unbounded);
  EDDY_FUZZ_CHECK(same_args(args, args2));
  EDDY_FUZZ_CHECK(same_files(files, files2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view type = in.substr(0, nl), body = in.substr(nl + 1);
  std::optional<std::string> boundary;
  try {
    boundary = eddy::detail::multipart::form_data_boundary(type);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (!boundary) return 0;
  EDDY_FUZZ_CHECK(eddy::detail::multipart::valid_boundary(*boundary));
  MultipartLimits limits;
  if (!body.empty() && (static_cast<unsigned char>(body[0]) & 0x80) != 0) {
    limits.max_parts = static_cast<unsigned char>(body[0]) & 7;
    limits.max_header_size = 64;
    body.remove_prefix(1);
  }
  check(*boundary, body, limits);
  return 0;
}
