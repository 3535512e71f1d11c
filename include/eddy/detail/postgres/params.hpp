// A statement and its parameters as libpq's PQsendQueryParams takes them:
// every value as text (or NULL) with the type the server should read it as.
//
// The conversions (Connection::query's contract):
//   std::string, std::string_view, const char*   text, type left to the server
//                                                 (an untyped literal, so
//                                                 '2024-05-01' fits a date column)
//   bool                                          "true"/"false", bool
//   integers                                      decimal, as the smallest type
//                                                 that holds every value of the
//                                                 C++ type (as Npgsql and JDBC
//                                                 type theirs): int2 (short),
//                                                 int4 (int, unsigned short),
//                                                 int8 (long long, unsigned),
//                                                 for 64-bit unsigned int8, or
//                                                 numeric past INT64_MAX
//   float, double                                 shortest round-trip text,
//                                                 float8 ("NaN", "Infinity")
//   std::nullopt                                  NULL
//   std::optional<T>                              NULL or T's conversion
// A text value holding a NUL byte cannot be sent as text (PostgreSQL's text
// types cannot store it): std::invalid_argument, thrown by query().
//
// The values live in one string, each followed by its NUL; a statement with
// up to four parameters stores their slots inline, so a short query costs no
// allocation here beyond its SQL text.
//
// Thread contract: a plain value; any one thread at a time.
#pragma once

#include "libpq.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace eddy::detail::postgres {

// Type OIDs (src/include/catalog/pg_type.dat); 0 lets the server infer.
inline constexpr Oid oid_unknown = 0;
inline constexpr Oid oid_bool = 16;
inline constexpr Oid oid_int8 = 20;
inline constexpr Oid oid_int2 = 21;
inline constexpr Oid oid_int4 = 23;
inline constexpr Oid oid_float8 = 701;
inline constexpr Oid oid_numeric = 1700;

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

class Statement {
 public:
  static constexpr std::size_t inline_slots = 4;
  struct Slot {
    Oid type;
    std::int32_t offset;  // into data_; -1 for NULL
  };

  template <class... Args>
  explicit Statement(std::string sql, const Args&... params) : sql_(std::move(sql)) {
    if (sql_.find('\0') != std::string::npos) {
      throw std::invalid_argument("eddy: postgres: the SQL text holds a NUL byte");
    }
    if constexpr (sizeof...(Args) > inline_slots) more_.reserve(sizeof...(Args) - inline_slots);
    (add(params), ...);
  }

  const std::string& sql() const noexcept { return sql_; }
  std::size_t size() const noexcept { return count_; }
  const Slot& slot(std::size_t i) const noexcept { return i < inline_slots ? inline_[i] : more_[i - inline_slots]; }
  // The value of slot i, NUL-terminated, or nullptr for NULL.
  const char* value(std::size_t i) const noexcept {
    const Slot& s = slot(i);
    return s.offset < 0 ? nullptr : data_.data() + s.offset;
  }

  // Sends the statement on `conn` (PQsendQueryParams, text results);
  // false when libpq refuses (its error message says why).
  bool send(PGconn* conn) const {
    // Rebuilt per send from the slots (the strings may have moved since):
    // on the stack for a few parameters, in a reused per-thread vector for
    // more.
    const char* few_values[inline_slots];
    Oid few_types[inline_slots];
    thread_local std::vector<const char*> many_values;
    thread_local std::vector<Oid> many_types;
    const char** values = few_values;
    Oid* types = few_types;
    if (count_ > inline_slots) {
      many_values.resize(count_);
      many_types.resize(count_);
      values = many_values.data();
      types = many_types.data();
    }
    for (std::size_t i = 0; i < count_; ++i) {
      values[i] = value(i);
      types[i] = slot(i).type;
    }
    return PQsendQueryParams(conn, sql_.c_str(), static_cast<int>(count_), types, values, nullptr, nullptr, 0) == 1;
  }

 private:
  void push(Oid type, std::int32_t offset) {
    if (count_ < inline_slots) {
      inline_[count_] = Slot{type, offset};
    } else {
      more_.push_back(Slot{type, offset});
    }
    ++count_;
  }
  void push_text(std::string_view text, Oid type) {
    if (text.find('\0') != std::string_view::npos) {
      throw std::invalid_argument("eddy: postgres: parameter $" + std::to_string(count_ + 1) +
                                  " holds a NUL byte, which a text value cannot carry");
    }
    push_checked(text, type);
  }
  // A value known to hold no NUL (a number, true/false).
  void push_checked(std::string_view text, Oid type) {
    if (data_.size() + text.size() + 1 > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw std::length_error("eddy: postgres: the parameters exceed 2 GiB");
    }
    std::int32_t offset = static_cast<std::int32_t>(data_.size());
    data_.append(text);
    data_.push_back('\0');
    push(type, offset);
  }

  template <class T>
  void add(const T& value) {
    if constexpr (std::is_same_v<T, std::nullopt_t>) {
      push(oid_unknown, -1);
    } else if constexpr (IsOptional<T>::value) {
      if (value) add(*value);
      else push(oid_unknown, -1);
    } else if constexpr (std::is_same_v<T, bool>) {
      push_checked(value ? "true" : "false", oid_bool);
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char>) {
      add_integer(value);
    } else if constexpr (std::is_floating_point_v<T>) {
      add_double(static_cast<double>(value));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      push_text(std::string_view(value), oid_unknown);
    } else {
      static_assert(std::is_same_v<T, void>,
                    "eddy: postgres: a parameter must be a string, string_view, const char*, an integer, a "
                    "floating-point number, bool, std::nullopt or a std::optional of one of these");
    }
  }

  // The type follows the C++ type, not the value, so one call site always
  // sends one type (`SELECT $1` has one result type whatever the value),
  // and an `int` reaches the server as an int4 literal would: `$1::int` is
  // then no conversion at all, where an int8 parameter costs the server a
  // cast per use (about a tenth of a `SELECT $1::int`'s server time).
  template <class T>
  static constexpr Oid integer_type() {
    constexpr int bits = std::numeric_limits<T>::digits;  // value bits, without the sign
    if constexpr (bits <= 15) return oid_int2;
    else if constexpr (bits <= 31) return oid_int4;
    else if constexpr (bits <= 63) return oid_int8;
    else return oid_numeric;  // 64-bit unsigned: int8 while the value fits
  }

  template <class T>
  void add_integer(T value) {
    char text[24];
    auto [end, error] = std::to_chars(text, text + sizeof text, value);
    (void)error;
    Oid type = integer_type<T>();
    if (type == oid_numeric && static_cast<std::uint64_t>(value) <= std::uint64_t(INT64_MAX)) type = oid_int8;
    push_checked(std::string_view(text, static_cast<std::size_t>(end - text)), type);
  }

  void add_double(double value) {
    if (std::isnan(value)) return push_checked("NaN", oid_float8);
    if (std::isinf(value)) return push_checked(value > 0 ? "Infinity" : "-Infinity", oid_float8);
    char text[32];
    auto [end, error] = std::to_chars(text, text + sizeof text, value);
    (void)error;
    push_checked(std::string_view(text, static_cast<std::size_t>(end - text)), oid_float8);
  }

  std::string sql_;
  std::string data_;
  std::size_t count_ = 0;
  Slot inline_[inline_slots]{};
  std::vector<Slot> more_;
};

}  // namespace eddy::detail::postgres
