// The HTTP date (RFC 9110 §5.6.7, IMF-fixdate): format_http_date, part of
// the public httputil.hpp API, kept in its own file. A pure function: no
// locale, no allocation in the pointer form, no gmtime.
//
// Thread contract: callable from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace eddy {

// ---- the HTTP date (RFC 9110 §5.6.7, IMF-fixdate) ---------------------------

/// The length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_size = 29;

/// Writes the IMF-fixdate of `t` (seconds since the epoch, UTC) into out[0,
/// 29); no terminating NUL. No locale, no allocation, no gmtime: the civil
/// date comes from the day count (proleptic Gregorian). std::out_of_range
/// for a year outside 0..9999, which the format cannot carry.
inline void format_http_date(std::int64_t t, char* out) {
  static constexpr char days[] = "ThuFriSatSunMonTueWed";  // 1970-01-01 was a Thursday
  static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - day * 86400;
  /// Days since 1970-01-01 to year/month/day, shifting the year to start in
  /// March so the leap day falls at its end; eras are 400-year cycles.
  std::int64_t z = day + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t mday = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) throw std::out_of_range("eddy: year outside 0..9999 in format_http_date");
  std::int64_t wday = ((day % 7) + 7) % 7;
  auto two = [](char* p, std::int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  out[0] = days[wday * 3];
  out[1] = days[wday * 3 + 1];
  out[2] = days[wday * 3 + 2];
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, mday);
  out[7] = ' ';
  out[8] = months[(month - 1) * 3];
  out[9] = months[(month - 1) * 3 + 1];
  out[10] = months[(month - 1) * 3 + 2];
  out[11] = ' ';
  two(out + 12, year / 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, secs / 3600);
  out[19] = ':';
  two(out + 20, secs / 60 % 60);
  out[22] = ':';
  two(out + 23, secs % 60);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

/// The IMF-fixdate of `t` (seconds since the epoch), e.g.
/// "Sun, 06 Nov 1994 08:49:37 GMT"; std::out_of_range as above.
inline std::string format_http_date(std::int64_t t) {
  std::string out(http_date_size, '\0');
  format_http_date(t, out.data());
  return out;
}

/// The IMF-fixdate of `when`, truncated to the second.
inline std::string format_http_date(std::chrono::system_clock::time_point when) {
  auto secs = std::chrono::floor<std::chrono::seconds>(when.time_since_epoch());
  return format_http_date(static_cast<std::int64_t>(secs.count()));
}

}  // namespace eddy
