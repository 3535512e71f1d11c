// eddy::redis::Error, Reply and Message: the values the Redis client hands
// to its callers. Public types (namespace eddy::redis), defined here so that
// the RESP parser, a pure function, can build them without the loop.
//
// Reply is an immutable RESP2/RESP3 value in 32 bytes. Strings of up to 24
// bytes live inside it, so most keys, counters and small values cost no
// allocation; a longer string or an aggregate lives in one heap node shared
// by every copy (an atomic count, as std::shared_ptr), so copying a 1 MiB
// reply, as `co_await` does, copies nothing of the payload.
//
// Thread contract: Reply, Error and Message are values. A Reply may be copied
// and read from several threads at once (its node's count is atomic);
// assigning to one object while another thread reads it is a data race, as
// for any standard value type.
#pragma once

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::redis {

/// A Redis error reply ("ERR ...", "WRONGTYPE ...") or a failure of the
/// client (connection lost, protocol error, timeout, misuse).
class Error : public std::runtime_error {
 public:
  /// What went wrong: the server answered an error, the connection failed or
  /// was closed, the server broke RESP, a connect timed out, or the call was
  /// not allowed (a bad URL, a command forbidden on a subscriber connection).
  enum class Kind : std::uint8_t { reply, connection, protocol, timeout, usage };

  /// A reply error: what() is the server's text, code() its first word.
  explicit Error(const std::string& message) : Error(message, Kind::reply, first_word(message)) {}
  /// An error of the given kind; `code` is the server's error code if any.
  Error(const std::string& message, Kind kind, std::string code = {})
      : std::runtime_error(message), kind_(kind), code_(std::move(code)) {}

  /// What went wrong (see Kind).
  Kind kind() const noexcept { return kind_; }
  /// The server's error code ("ERR", "WRONGTYPE", "NOAUTH", "WRONGPASS"), or
  /// "" when no error reply is behind this error.
  const std::string& code() const noexcept { return code_; }

 private:
  // Redis error codes are an upper-case word before the first space.
  static std::string first_word(const std::string& message) {
    std::size_t end = 0;
    while (end < message.size() && message[end] >= 'A' && message[end] <= 'Z') ++end;
    if (end == 0 || (end < message.size() && message[end] != ' ')) return {};
    return message.substr(0, end);
  }

  Kind kind_;
  std::string code_;
};

/// An immutable RESP2 or RESP3 value.
///
/// RESP2's null bulk string and null array, and RESP3's null, are all nil.
/// A RESP3 big number is a simple_string of its digits with is_big_number();
/// as_integer() and as_double() convert it. RESP3 attributes are parsed and
/// dropped (the value they annotate is the reply).
class Reply {
 public:
  /// The RESP2/RESP3 type of a reply.
  enum class Type : std::uint8_t {
    nil, integer, simple_string, bulk_string, error, array, map, set, double_, boolean, push, verbatim
  };

  /// A nil reply.
  Reply() noexcept { payload_.integer = 0; }
  /// A copy; a string longer than 24 bytes or an aggregate is shared, not copied.
  Reply(const Reply& other) noexcept : payload_(other.payload_), meta_(other.meta_) { retain(); }
  /// Takes over the value; `other` is left nil.
  Reply(Reply&& other) noexcept : payload_(other.payload_), meta_(other.meta_) { other.forget(); }
  /// Copy assignment (shares, as the copy constructor).
  Reply& operator=(const Reply& other) noexcept {
    Reply copy(other);
    swap(copy);
    return *this;
  }
  /// Move assignment; `other` is left nil.
  Reply& operator=(Reply&& other) noexcept {
    Reply taken(std::move(other));
    swap(taken);
    return *this;
  }
  ~Reply() { release(); }

  /// The reply's type.
  Type type() const noexcept { return meta_.type; }
  /// A nil reply (RESP2's null bulk string or null array, RESP3's null).
  bool is_nil() const noexcept { return meta_.type == Type::nil; }
  /// An error reply (only inside a pipeline's result or an aggregate: a
  /// command whose reply is an error fails with Error instead).
  bool is_error() const noexcept { return meta_.type == Type::error; }
  /// A RESP3 big number (type simple_string, the digits in as_string()).
  bool is_big_number() const noexcept { return meta_.big_number; }

  /// An integer, or a big number that fits; Error otherwise.
  std::int64_t as_integer() const;
  /// A RESP3 double, an integer or a big number; Error otherwise.
  double as_double() const;
  /// A RESP3 boolean; Error otherwise.
  bool as_boolean() const {
    if (meta_.type != Type::boolean) throw mismatch("as_boolean");
    return payload_.boolean;
  }
  /// The bytes of a bulk, simple or verbatim string (verbatim without its
  /// "txt:" prefix) or of an error reply; Error for any other type. Valid
  /// while this Reply (or a copy of it) lives.
  std::string_view as_string() const {
    if (!is_string_type(meta_.type)) throw mismatch("as_string");
    return string_view_unchecked();
  }
  /// A verbatim string's format ("txt", "mkd"); Error for other types.
  std::string_view verbatim_format() const {
    if (meta_.type != Type::verbatim) throw mismatch("verbatim_format");
    return std::string_view(meta_.format, 3);
  }
  /// The elements of an array, set, push or map (a map as key, value, key,
  /// value, ...); Error for any other type.
  const std::vector<Reply>& elements() const {
    if (!is_aggregate_type(meta_.type)) throw mismatch("elements");
    return payload_.array != nullptr ? payload_.array->elements : empty_elements();
  }

  /// Deep equality: same type, same value, same elements in order.
  friend bool operator==(const Reply& a, const Reply& b) noexcept;
  /// The negation of ==.
  friend bool operator!=(const Reply& a, const Reply& b) noexcept { return !(a == b); }

  // Builders, for the parser and for tests or mocks of a client.
  /// An integer reply.
  static Reply make_integer(std::int64_t value) noexcept { return scalar(Type::integer, [&](Payload& p) { p.integer = value; }); }
  /// A RESP3 double.
  static Reply make_double(double value) noexcept { return scalar(Type::double_, [&](Payload& p) { p.number = value; }); }
  /// A RESP3 boolean.
  static Reply make_boolean(bool value) noexcept { return scalar(Type::boolean, [&](Payload& p) { p.boolean = value; }); }
  /// A string reply of a string type (simple, bulk, error, verbatim). For
  /// verbatim, `format` is its three-letter format.
  static Reply make_string(Type type, std::string_view bytes, std::string_view format = "txt");
  /// A big number: `digits` as RESP3 sends them ("-123...").
  static Reply make_big_number(std::string_view digits) {
    if (!valid_big_number(digits)) throw std::invalid_argument("eddy: redis: a big number is [-]DIGITS");
    Reply r = make_string(Type::simple_string, digits);
    r.meta_.big_number = true;
    return r;
  }
  /// An aggregate (array, map, set, push); a map's elements alternate key, value.
  static Reply make_aggregate(Type type, std::vector<Reply> elements);

  /// simple_string, bulk_string, error or verbatim: what as_string() reads.
  static bool is_string_type(Type t) noexcept {
    return t == Type::simple_string || t == Type::bulk_string || t == Type::error || t == Type::verbatim;
  }
  /// array, map, set or push: what elements() reads.
  static bool is_aggregate_type(Type t) noexcept {
    return t == Type::array || t == Type::map || t == Type::set || t == Type::push;
  }
  /// "-"? DIGIT+, as RESP3 writes a big number.
  static bool valid_big_number(std::string_view s) noexcept {
    std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  }

  /// Exchanges two replies.
  void swap(Reply& other) noexcept {
    std::swap(payload_, other.payload_);
    std::swap(meta_, other.meta_);
  }

 private:
  // Heap payloads: one allocation each, shared by copies.
  struct StringNode {
    std::atomic<std::uint32_t> refs{1};
    std::size_t size = 0;
    char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  };
  struct ArrayNode {
    std::atomic<std::uint32_t> refs{1};
    std::vector<Reply> elements;
  };
  static constexpr std::size_t small_capacity = 24;
  static constexpr std::uint8_t heap_marker = 0xFF;
  union Payload {
    std::int64_t integer;
    double number;
    bool boolean;
    char small[small_capacity];
    StringNode* string;
    ArrayNode* array;  // null for an empty aggregate
  };
  struct Meta {
    Type type = Type::nil;
    std::uint8_t small_size = 0;  // bytes in `small`, or heap_marker
    bool big_number = false;
    bool heap = false;            // the payload is a shared node
    char format[3] = {'t', 'x', 't'};
  };

  template <class F>
  static Reply scalar(Type type, F&& set) noexcept {
    Reply r;
    r.meta_.type = type;
    set(r.payload_);
    return r;
  }
  bool on_heap() const noexcept { return meta_.heap; }
  std::atomic<std::uint32_t>* count() const noexcept {
    return is_aggregate_type(meta_.type) ? &payload_.array->refs : &payload_.string->refs;
  }
  void retain() noexcept {
    if (on_heap()) count()->fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (on_heap()) release_node();
  }
  void release_node() noexcept;
  // Leaves this a nil reply without touching the node (it was moved away).
  void forget() noexcept {
    meta_ = Meta();
    payload_.integer = 0;
  }
  std::string_view string_view_unchecked() const noexcept {
    if (meta_.small_size == heap_marker) return {payload_.string->data(), payload_.string->size};
    return {payload_.small, meta_.small_size};
  }
  Error mismatch(const char* what) const;
  static const std::vector<Reply>& empty_elements() noexcept {
    static const std::vector<Reply> none;
    return none;
  }

  Payload payload_;
  Meta meta_;
};

/// A message from a subscribed channel: `pattern` is the pattern it matched
/// (psubscribe), else empty.
struct Message {
  std::string channel;  ///< the channel it was published on
  std::string payload;  ///< what was published
  std::string pattern;  ///< the psubscribe pattern it matched, else empty
};

/// The name of a reply type, as it is spelled in the enum ("double_" without
/// the underscore): "nil", "integer", "simple_string", ...
inline std::string_view to_string(Reply::Type type) noexcept {
  static constexpr std::string_view names[] = {"nil",   "integer", "simple_string", "bulk_string",
                                               "error", "array",   "map",           "set",
                                               "double", "boolean", "push",         "verbatim"};
  auto i = static_cast<std::size_t>(type);
  return i < std::size(names) ? names[i] : std::string_view("unknown");
}

inline Error Reply::mismatch(const char* what) const {
  std::string message = "eddy: redis: Reply::" + std::string(what) + " on a " + std::string(to_string(meta_.type)) + " reply";
  if (meta_.type == Type::error) message += " (" + std::string(string_view_unchecked()) + ")";
  return Error(message, Error::Kind::usage);
}

inline Reply Reply::make_string(Type type, std::string_view bytes, std::string_view format) {
  if (!is_string_type(type)) throw std::invalid_argument("eddy: redis: Reply::make_string needs a string type");
  Reply r;
  r.meta_.type = type;
  if (type == Type::verbatim) {
    if (format.size() != 3) throw std::invalid_argument("eddy: redis: a verbatim format has three characters");
    std::memcpy(r.meta_.format, format.data(), 3);
  }
  if (bytes.size() <= small_capacity) {
    if (!bytes.empty()) std::memcpy(r.payload_.small, bytes.data(), bytes.size());
    r.meta_.small_size = static_cast<std::uint8_t>(bytes.size());
    return r;
  }
  void* memory = ::operator new(sizeof(StringNode) + bytes.size());
  auto* node = new (memory) StringNode();
  node->size = bytes.size();
  std::memcpy(node->data(), bytes.data(), bytes.size());
  r.payload_.string = node;
  r.meta_.small_size = heap_marker;
  r.meta_.heap = true;
  return r;
}

inline Reply Reply::make_aggregate(Type type, std::vector<Reply> elements) {
  if (!is_aggregate_type(type)) throw std::invalid_argument("eddy: redis: Reply::make_aggregate needs an aggregate type");
  if (type == Type::map && elements.size() % 2 != 0) {
    throw std::invalid_argument("eddy: redis: a map needs an even number of elements");
  }
  Reply r;
  r.meta_.type = type;
  r.payload_.array = nullptr;
  if (!elements.empty()) {
    r.payload_.array = new ArrayNode{{1}, std::move(elements)};
    r.meta_.heap = true;
  }
  return r;
}

inline void Reply::release_node() noexcept {
  if (count()->fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (is_aggregate_type(meta_.type)) {
    delete payload_.array;
  } else {
    StringNode* node = payload_.string;
    node->~StringNode();
    ::operator delete(static_cast<void*>(node));
  }
}

inline std::int64_t Reply::as_integer() const {
  if (meta_.type == Type::integer) return payload_.integer;
  if (!meta_.big_number) throw mismatch("as_integer");
  std::string_view digits = string_view_unchecked();
  bool negative = !digits.empty() && digits[0] == '-';
  std::uint64_t magnitude = 0;
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  const std::uint64_t limit = negative ? max + 1 : max;
  for (std::size_t i = negative ? 1 : 0; i < digits.size(); ++i) {
    auto d = static_cast<std::uint64_t>(digits[i] - '0');
    if (magnitude > (limit - d) / 10) throw Error("eddy: redis: big number " + std::string(digits) + " does not fit in 64 bits", Error::Kind::usage);
    magnitude = magnitude * 10 + d;
  }
  return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
}

inline double Reply::as_double() const {
  if (meta_.type == Type::double_) return payload_.number;
  if (meta_.type == Type::integer) return static_cast<double>(payload_.integer);
  if (!meta_.big_number) throw mismatch("as_double");
  // Digits only (checked when it was made); a huge one reads as +-inf.
  std::string_view digits = string_view_unchecked();
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) return digits[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  return value;
}

inline bool operator==(const Reply& a, const Reply& b) noexcept {
  using Type = Reply::Type;
  if (a.meta_.type != b.meta_.type || a.meta_.big_number != b.meta_.big_number) return false;
  switch (a.meta_.type) {
    case Type::nil: return true;
    case Type::integer: return a.payload_.integer == b.payload_.integer;
    case Type::boolean: return a.payload_.boolean == b.payload_.boolean;
    case Type::double_:  // NaN equals NaN here: a reply compares equal to its copy
      return a.payload_.number == b.payload_.number || (a.payload_.number != a.payload_.number && b.payload_.number != b.payload_.number);
    case Type::verbatim:
      if (std::memcmp(a.meta_.format, b.meta_.format, 3) != 0) return false;
      return a.string_view_unchecked() == b.string_view_unchecked();
    case Type::simple_string: case Type::bulk_string: case Type::error:
      return a.string_view_unchecked() == b.string_view_unchecked();
    default:
      return a.elements() == b.elements();
  }
}

}  // namespace eddy::redis
