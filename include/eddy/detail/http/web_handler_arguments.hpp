// RequestHandler's arguments and uploads, parsed on first use: the query's,
// then a form-urlencoded body's (parse_query) or a multipart/form-data
// body's fields and files (multipart.hpp). Malformed arguments are
// HTTPError(400) on every call that needs them.
//
// Thread contract: the loop thread (a handler's).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "multipart.hpp"
#include "web_handler.hpp"

namespace eddy {

/// Query arguments, then a form-urlencoded or multipart body's, parsed on
/// first use.
inline const HTTPArguments& RequestHandler::arguments() const {
  if (arguments_parsed_) return arguments_;
  try {
    parse_query(request_.query, arguments_);
    const std::string* type = request_.headers.find("Content-Type");
    if (type != nullptr && type->size() >= 33 &&
        detail::iequals(std::string_view(*type).substr(0, 33), "application/x-www-form-urlencoded")) {
      parse_query(request_.body, arguments_);
    } else if (type != nullptr && type->size() >= 19 &&
               detail::iequals(std::string_view(*type).substr(0, 19), "multipart/form-data")) {
      if (std::optional<std::string> boundary = detail::multipart::form_data_boundary(*type)) {
        detail::parse_multipart(*boundary, request_.body, arguments_, files_);
      }
    }
  } catch (const std::invalid_argument& e) {
    // Malformed arguments stay malformed: every later call says so too.
    arguments_.clear();
    files_.clear();
    throw HTTPError(400, e.what());
  }
  arguments_parsed_ = true;
  return arguments_;
}

inline const std::vector<HTTPFile>& RequestHandler::files(std::string_view field) const {
  arguments();
  for (const auto& [name, list] : files_) {
    if (name == field) return list;
  }
  static const std::vector<HTTPFile> none;
  return none;
}

}  // namespace eddy
