// Commands on the wire: every argument a RESP bulk string, appended to the
// connection's output buffer ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n"),
// and the few command names the client must know about.
//
// Arguments: anything convertible to std::string_view (std::string, string
// literals, char arrays) goes as its bytes; integers in decimal; floating
// point numbers in the shortest form that reads back the same ("0.1",
// "1e+300", "inf"); a range (std::vector, std::array, std::span, ...) of
// those expands into one argument per element, so command("DEL", keys)
// works. bool and single chars are refused at compile time (Redis has no
// such types: pass "1" or std::string(1, c)).
//
// Thread contract: pure functions over the caller's buffer; any thread.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace eddy::detail::redis {

template <class T>
inline constexpr bool is_char_type = std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                                     std::is_same_v<T, unsigned char> || std::is_same_v<T, wchar_t> ||
                                     std::is_same_v<T, char8_t> || std::is_same_v<T, char16_t> ||
                                     std::is_same_v<T, char32_t>;

template <class T>
concept StringArgument = std::is_convertible_v<const T&, std::string_view>;
template <class T>
concept NumberArgument = (std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_type<T>) ||
                         std::is_floating_point_v<T>;
template <class T>
concept ScalarArgument = StringArgument<T> || NumberArgument<T>;
template <class T>
concept RangeArgument = !StringArgument<T> && requires(const T& r) {
  std::begin(r);
  std::end(r);
  requires ScalarArgument<std::remove_cvref_t<decltype(*std::begin(r))>>;
};
/// What command() takes as an argument.
template <class T>
concept Argument = ScalarArgument<T> || RangeArgument<T>;

template <class T>
std::size_t argument_count(const T& arg) {
  if constexpr (RangeArgument<T>) {
    return static_cast<std::size_t>(std::distance(std::begin(arg), std::end(arg)));
  } else {
    return 1;
  }
}

/// The connection's output: commands are written straight into it (no
/// std::string append per piece) and it is handed to the stream whole.
class OutputBuffer {
 public:
  std::string_view view() const noexcept { return {data_.get(), size_}; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  /// Removes bytes [begin, end) (a cancelled command not yet written).
  void erase(std::size_t begin, std::size_t end) noexcept {
    std::memmove(data_.get() + begin, data_.get() + end, size_ - end);
    size_ -= end - begin;
  }
  void clear() noexcept { size_ = 0; }
  /// Room for n more bytes: write them at the pointer, then commit().
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    return data_.get() + size_;
  }
  void commit(std::size_t n) noexcept { size_ += n; }
  /// Empty and holding more than 64 KiB (after a large value): give it back.
  void trim() noexcept {
    if (size_ == 0 && capacity_ > 64 * 1024) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  void grow(std::size_t needed) {
    std::size_t capacity = capacity_ < 4096 ? 4096 : capacity_ * 2;
    if (capacity < needed) capacity = needed;
    std::unique_ptr<char[]> fresh(new char[capacity]);
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

namespace writer {

// An upper bound on an argument's bytes on the wire: "$" LENGTH CRLF BYTES CRLF.
template <class T>
std::size_t bound(const T& arg) {
  if constexpr (StringArgument<T>) {
    return std::string_view(arg).size() + 25;
  } else if constexpr (NumberArgument<T>) {
    return 64 + 25;  // the shortest round-trip form of any number fits in 64 bytes
  } else {
    std::size_t total = 0;
    for (const auto& element : arg) total += bound(element);
    return total;
  }
}

// "<prefix><n>\r\n"
inline char* length(char* p, char prefix, std::size_t n) noexcept {
  *p++ = prefix;
  p = std::to_chars(p, p + 20, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

inline char* bulk(char* p, std::string_view bytes) noexcept {
  p = length(p, '$', bytes.size());
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  p += bytes.size();
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

template <class T>
char* argument(char* p, const T& arg) {
  if constexpr (StringArgument<T>) {
    return bulk(p, std::string_view(arg));
  } else if constexpr (NumberArgument<T>) {
    char digits[64];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, arg);
    return bulk(p, std::string_view(digits, ec == std::errc() ? static_cast<std::size_t>(end - digits) : 0));
  } else {
    for (const auto& element : arg) p = argument(p, element);
    return p;
  }
}

}  // namespace writer

/// Appends one command made of `args` (at least one, once ranges expand).
template <class... Args>
void append_command(OutputBuffer& out, const Args&... args) {
  std::size_t count = (std::size_t(0) + ... + argument_count(args));
  char* start = out.reserve(23 + (std::size_t(0) + ... + writer::bound(args)));
  char* p = writer::length(start, '*', count);
  ((p = writer::argument(p, args)), ...);
  out.commit(static_cast<std::size_t>(p - start));
}

/// How the client treats a command, by its name (and, for CLIENT, its
/// subcommand).
enum class CommandClass : std::uint8_t {
  ordinary,    // anything else
  subscriber,  // allowed on a RESP2 subscriber connection: PING, QUIT
  hello,       // HELLO: the reply says which protocol the connection speaks now
  pubsub,      // (P|S)(UN)SUBSCRIBE: only through Client::subscribe and friends
  refused      // MONITOR, RESET, CLIENT REPLY: they break the one-reply-per-command order
};

/// ASCII case-insensitive equality; `b` must be upper case.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;
  }
  return true;
}

/// `name` and `second` compared without case; see CommandClass.
inline CommandClass classify(std::string_view name, std::string_view second = {}) noexcept {
  switch (name.size()) {
    case 4:
      if (iequals(name, "PING") || iequals(name, "QUIT")) return CommandClass::subscriber;
      break;
    case 5:
      if (iequals(name, "HELLO")) return CommandClass::hello;
      if (iequals(name, "RESET")) return CommandClass::refused;
      break;
    case 6:
      if (iequals(name, "CLIENT") && iequals(second, "REPLY")) return CommandClass::refused;
      break;
    case 7:
      if (iequals(name, "MONITOR")) return CommandClass::refused;
      break;
    case 9: case 10: case 11: case 12:
      for (std::string_view p : {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"}) {
        if (iequals(name, p)) return CommandClass::pubsub;
      }
      break;
    default:
      break;
  }
  return CommandClass::ordinary;
}

/// The first two arguments (once ranges expand), as far as they are strings:
/// the command's name and, for CLIENT and the like, its subcommand.
struct CommandName {
  std::string_view words[2];
  std::size_t seen = 0;

  template <class T>
  void add(const T& arg) {
    if (seen >= 2) return;
    if constexpr (StringArgument<T>) {
      words[seen++] = std::string_view(arg);
    } else if constexpr (NumberArgument<T>) {
      ++seen;
    } else {
      for (const auto& element : arg) {
        if (seen >= 2) break;
        add(element);
      }
    }
  }
};

template <class... Args>
CommandClass classify_arguments(const Args&... args) {
  CommandName name;
  (name.add(args), ...);
  return classify(name.words[0], name.words[1]);
}

/// True for a command that may block on the server (BLPOP, BRPOP,
/// BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, WAIT, WAITAOF;
/// XREAD and XREADGROUP when `has_block` says a BLOCK option is given).
/// Checked when a sent command is cancelled (see connection_cancel.hpp).
inline bool blocking_name(std::string_view name, bool has_block) noexcept {
  if (name.empty()) return false;
  char first = name[0];
  if (first == 'W' || first == 'w') return iequals(name, "WAIT") || iequals(name, "WAITAOF");
  if (first == 'X' || first == 'x') return has_block && (iequals(name, "XREAD") || iequals(name, "XREADGROUP"));
  if (first != 'B' && first != 'b') return false;
  for (std::string_view b : {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP"}) {
    if (iequals(name, b)) return true;
  }
  return false;
}

/// Whether any string argument (ranges looked into) is BLOCK, any case.
template <class T>
bool has_block_word(const T& arg) {
  if constexpr (StringArgument<T>) {
    return iequals(std::string_view(arg), "BLOCK");
  } else if constexpr (NumberArgument<T>) {
    return false;
  } else {
    for (const auto& element : arg) {
      if (has_block_word(element)) return true;
    }
    return false;
  }
}

/// blocking_name for a command's arguments; the name scan is cheap, the
/// BLOCK scan runs only for XREAD and XREADGROUP.
template <class... Args>
bool is_blocking(std::string_view name, const Args&... args) {
  if (name.empty() || (name[0] != 'X' && name[0] != 'x')) return blocking_name(name, false);
  if (!blocking_name(name, true)) return false;
  return (false || ... || has_block_word(args));
}

}  // namespace eddy::detail::redis
