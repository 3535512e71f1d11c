// The PostgreSQL driver's error: eddy::postgres::Error (documented here and
// in postgres.hpp), and the helpers that make one from what libpq reports.
//
// Thread contract: plain values and pure functions; any thread.
#pragma once

#include "libpq.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace eddy::postgres {

/// A server error, or a failed connection. sqlstate() is the server's code
/// whenever it sent one ("23505" unique violation, "57014" query cancelled,
/// "28P01" bad password, "57P01" terminated by an administrator); failures to
/// reach or keep the server use class 08: "08001" (could not connect),
/// "08006" (connection lost), "08003" (the connection was closed by this
/// side).
class Error : public std::runtime_error {
 public:
  /// An error with its five-character SQLSTATE and message.
  Error(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  /// The SQLSTATE: five characters, class in the first two.
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

}  // namespace eddy::postgres

namespace eddy::detail::postgres {

using eddy::postgres::Error;

// SQLSTATEs eddy uses for failures the server did not describe.
inline constexpr const char* could_not_connect = "08001";
inline constexpr const char* connection_lost = "08006";
inline constexpr const char* connection_closed = "08003";
inline constexpr const char* protocol_violation = "08P01";

// libpq's messages end with a newline (or several lines); one line reads
// better in what().
inline std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

// The error of a failed statement: its SQLSTATE and primary message.
inline Error result_error(const PGresult* result) {
  const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY);
  std::string message = primary != nullptr ? std::string(severity != nullptr ? severity : "ERROR") + ": " + primary
                                           : trimmed(PQresultErrorMessage(result));
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) message += " (" + std::string(detail) + ")";
  return Error(code != nullptr ? code : connection_lost, "eddy: postgres: " + message);
}

// Splits a line "... FATAL:  28P01: text" into the code and "... FATAL:  text";
// false when the line carries no code.
inline bool take_sqlstate(std::string_view line, std::string& code, std::string& cleaned) {
  for (std::string_view severity : {"FATAL:  ", "ERROR:  ", "PANIC:  "}) {
    std::size_t at = line.find(severity);
    if (at == std::string_view::npos) continue;
    std::size_t c = at + severity.size();
    if (line.size() < c + 7 || line.substr(c + 5, 2) != ": ") continue;
    code.assign(line.substr(c, 5));
    cleaned.assign(line.substr(0, c)).append(line.substr(c + 7));
    return true;
  }
  return false;
}

// The error of a failed connection attempt. libpq reports it as text only;
// with PQERRORS_VERBOSE (set while connecting) a server's error reads
// "...failed: FATAL:  28P01: password authentication failed ...\nLOCATION: ...":
// the last such code is the server's; LOCATION lines are dropped and the
// rest joined on one line.
inline Error connection_error(std::string_view text, const char* fallback = could_not_connect) {
  std::string code = fallback;
  std::string message;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    if (line.empty() || line.substr(0, 9) == "LOCATION:") continue;
    std::string cleaned;
    if (!take_sqlstate(line, code, cleaned)) cleaned.assign(line);
    if (!message.empty()) message += " ";
    message += cleaned;
  }
  return Error(code, "eddy: postgres: " + message);
}

}  // namespace eddy::detail::postgres
