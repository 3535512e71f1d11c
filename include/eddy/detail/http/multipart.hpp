// multipart/form-data bodies (RFC 7578 over RFC 2046 §5.1), parsed strictly
// from a whole body in memory: what RequestHandler::files() and
// get_argument() read (Tornado's httputil.parse_multipart_form_data).
//
// Shape: "--B" [padding] CRLF, part headers, CRLF, the part's bytes, then
// CRLF "--B" and either [padding] CRLF and the next part, or "--" (the close
// delimiter), after which only whitespace may follow. Choices where the RFCs
// leave room:
// - No preamble: the body starts with the first delimiter (browsers, curl
//   and Python's requests send none); bytes before it are junk -> 400.
// - The epilogue may hold only CR, LF, space and tab (no client sends more).
// - Each part needs Content-Disposition: form-data with a name; a part with
//   a filename (or filename*, which wins, RFC 7578 §4.2) is a file, any
//   other a field. A file's Content-Type defaults to
//   application/octet-stream (RFC 7578 §4.4 for unknown file data).
// - Part headers: "Name: value" lines, no obs-fold, at most
//   max_header_size bytes per part; at most max_parts parts.
// Every breach throws std::invalid_argument naming it (the web layer's 400).
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../httputil.hpp"
#include "multipart_params.hpp"

namespace eddy {

/// One uploaded file of a multipart/form-data body (Tornado's HTTPFile).
struct HTTPFile {
  std::string filename;      ///< as the client sent it (filename* decoded); never trust it as a path
  std::string content_type;  ///< the part's Content-Type, application/octet-stream when absent
  std::string body;          ///< the file's bytes
};

namespace detail {

// The files of one request, by field name, in first-appearance order.
using MultipartFiles = std::vector<std::pair<std::string, std::vector<HTTPFile>>>;

struct MultipartLimits {
  std::size_t max_parts = 1000;              // fields and files together
  std::size_t max_header_size = 16 * 1024;   // one part's header block
};

namespace multipart {

struct PartHead {
  std::string name;
  bool is_file = false;
  std::string filename;
  std::string content_type;
};

// Takes "Name: value" lines up to the empty line; `block` excludes the
// final CRLF CRLF (it may be empty: no header at all).
inline PartHead parse_part_head(std::string_view block) {
  PartHead head;
  bool disposition = false;
  while (!block.empty()) {
    std::size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) malformed("a bad part header line");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) malformed("a control character in a part header");
    }
    if (iequals(name, "Content-Disposition")) {
      if (disposition) malformed("two Content-Disposition fields in one part");
      disposition = true;
      ParamField f = parse_param_field(value);
      if (!iequals(f.value, "form-data")) malformed("a part whose Content-Disposition is not form-data");
      const std::string* n = f.find("name");
      if (n == nullptr) malformed("a part without a name");
      head.name = *n;
      if (const std::string* ext = f.find("filename*")) {
        head.is_file = true;
        head.filename = decode_ext_value(*ext);
      } else if (const std::string* fn = f.find("filename")) {
        head.is_file = true;
        head.filename = *fn;
      }
    } else if (iequals(name, "Content-Type")) {
      head.content_type.assign(value);
    }
  }
  if (!disposition) malformed("a part without Content-Disposition");
  if (head.content_type.empty()) head.content_type = "application/octet-stream";
  return head;
}

// After a delimiter: optional transport padding, then CRLF (another part
// follows: true) or "--" (the close delimiter: false).
inline bool after_delimiter(std::string_view& rest) {
  if (rest.substr(0, 2) == "--") {
    rest.remove_prefix(2);
    return false;
  }
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (rest.substr(0, 2) != "\r\n") malformed("junk after a boundary");
  rest.remove_prefix(2);
  return true;
}

inline void store(PartHead&& head, std::string_view data, HTTPArguments& args, MultipartFiles& files) {
  if (!head.is_file) {
    args.add(std::move(head.name), std::string(data));
    return;
  }
  HTTPFile file{std::move(head.filename), std::move(head.content_type), std::string(data)};
  for (auto& [field, list] : files) {
    if (field == head.name) {
      list.push_back(std::move(file));
      return;
    }
  }
  files.emplace_back(std::move(head.name), std::vector<HTTPFile>{});
  files.back().second.push_back(std::move(file));
}

}  // namespace multipart

// Parses `body` with `boundary` (from form_data_boundary), adding its fields
// to `args` and its files to `files`. Throws std::invalid_argument on any
// breach of the shape in the file comment; what it added before stays.
inline void parse_multipart(std::string_view boundary, std::string_view body, HTTPArguments& args,
                            MultipartFiles& files, const MultipartLimits& limits = {}) {
  using namespace multipart;
  std::string delimiter = "\r\n--";
  delimiter.append(boundary);
  std::string_view first = std::string_view(delimiter).substr(2);  // the body starts without the CRLF
  if (body.substr(0, first.size()) != first) malformed("the body does not start with the boundary");
  std::string_view rest = body.substr(first.size());
  std::size_t parts = 0;
  while (after_delimiter(rest)) {
    if (++parts > limits.max_parts) malformed("more than " + std::to_string(limits.max_parts) + " parts");
    // Searched only within the bound, so a part whose headers never end
    // costs max_header_size of scanning, not the body's size.
    std::string_view window = rest.substr(0, limits.max_header_size + 4);
    std::size_t head_end = window.substr(0, 2) == "\r\n" ? 0 : window.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      malformed(window.size() < rest.size() ? "a part's headers are too large" : "a part's headers never end");
    }
    PartHead head = parse_part_head(rest.substr(0, head_end));
    rest.remove_prefix(head_end == 0 ? 2 : head_end + 4);
    std::size_t end = rest.find(delimiter);
    if (end == std::string_view::npos) malformed("the final boundary is missing");
    store(std::move(head), rest.substr(0, end), args, files);
    rest.remove_prefix(end + delimiter.size());
  }
  if (rest.find_first_not_of("\r\n \t") != std::string_view::npos) malformed("junk after the final boundary");
}

}  // namespace detail
}  // namespace eddy
