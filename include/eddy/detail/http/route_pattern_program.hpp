// The program RoutePattern (route_pattern.hpp) runs: its instructions, the
// syntax tree route_pattern_parse.hpp builds, and the emitter from one to
// the other. Compiling runs once, when Application::route() adds the route,
// so it may allocate and recurse (to the pattern's nesting depth, which
// route_pattern_max_depth caps); matching never recurses.
//
// The subset (ECMAScript syntax, byte-wise): literals; '.' (any byte but CR
// and LF); bracket classes with ranges, negation and escapes; the escapes
// \d \w \s \D \W \S, \t \n \r \f \v \0 \xHH, \uHHHH below 0x80, \b and \B
// (word boundaries) and any escaped punctuation; quantifiers * + ? {n} {n,}
// {n,m}, greedy or lazy (a trailing '?'); capturing groups, (?:...), named
// groups (?P<name>...) or (?<name>...), which are numbered with the others;
// alternation; ^ and $. Everything else (backreferences, lookaround, POSIX
// classes, unknown escapes, a quantifier on nothing, a malformed pattern)
// throws RoutePatternError, a std::regex_error whose what() says what and
// where.
//
// Thread contract: none; a compiled program is immutable and may be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <regex>  // std::regex_error and its codes only: no std::regex is instantiated
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::detail {

// Limits that keep a program (and so the matcher's memory) small.
inline constexpr std::size_t route_pattern_max_size = 4096;  // instructions
inline constexpr std::size_t route_pattern_max_depth = 64;   // nested groups
inline constexpr std::uint32_t route_pattern_max_repeat = 1000;

// A bad or unsupported pattern: std::regex_error (as std::regex would
// throw, so callers catch one type) with a message naming the pattern,
// the offset and the reason.
class RoutePatternError : public std::regex_error {
 public:
  RoutePatternError(std::regex_constants::error_type code, std::string message)
      : std::regex_error(code), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// A set of bytes, one bit each.
struct ByteSet {
  std::uint64_t bits[4] = {0, 0, 0, 0};

  bool has(unsigned char c) const noexcept { return ((bits[c >> 6] >> (c & 63)) & 1u) != 0; }
  void add(unsigned char c) noexcept { bits[c >> 6] |= std::uint64_t{1} << (c & 63); }
  void add_range(unsigned lo, unsigned hi) noexcept {
    for (unsigned c = lo; c <= hi; ++c) add(static_cast<unsigned char>(c));
  }
  void add(const ByteSet& other) noexcept {
    for (int i = 0; i < 4; ++i) bits[i] |= other.bits[i];
  }
  void invert() noexcept {
    for (std::uint64_t& word : bits) word = ~word;
  }
};

enum class RouteOp : std::uint8_t {
  byte,          // consumes `byte`
  set,           // consumes a byte in sets[x]
  match,         // the whole pattern matched (counts only at the subject's end)
  split,         // continue at x, and at y with lower priority
  jump,          // continue at x
  save,          // slot x := the current position
  begin,         // ^: only at position 0
  end,           // $: only at the subject's end
  boundary,      // \b
  not_boundary,  // \B
};

struct RouteInst {
  RouteOp op = RouteOp::match;
  unsigned char byte = 0;
  std::uint32_t x = 0;
  std::uint32_t y = 0;
};

// What the VM runs. Group g (from 1) records its span in slots 2(g-1) and
// 2(g-1)+1; there is no slot for the whole match (it is the whole subject).
struct RouteProgram {
  std::vector<RouteInst> code;
  std::vector<ByteSet> sets;
  std::vector<std::string> names;  // one per group: its name, or ""
  std::size_t groups() const noexcept { return names.size(); }
};

// One node of the syntax tree.
struct RouteNode {
  enum class Kind : std::uint8_t { empty, byte, set, assertion, concat, alternate, repeat, group };
  static constexpr std::uint32_t unbounded = 0xFFFFFFFFu;

  Kind kind = Kind::empty;
  unsigned char byte = 0;
  RouteOp assertion = RouteOp::begin;
  std::uint32_t index = 0;  // set: index into sets; group: its number (0: non-capturing)
  std::uint32_t min = 0;    // repeat
  std::uint32_t max = 0;    // repeat; `unbounded` for * and +
  bool greedy = true;       // repeat
  std::vector<RouteNode> children;

  static RouteNode leaf(Kind kind) {
    RouteNode n;
    n.kind = kind;
    return n;
  }
};

inline ByteSet route_class_set(char letter) {
  ByteSet s;
  switch (letter | 0x20) {
    case 'd': s.add_range('0', '9'); break;
    case 's': s.add(' '); s.add_range('\t', '\r'); break;
    default:  s.add_range('0', '9'); s.add_range('a', 'z'); s.add_range('A', 'Z'); s.add('_'); break;
  }
  if (letter >= 'A' && letter <= 'Z') s.invert();
  return s;
}

inline bool route_is_word(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// The syntax tree emitted as code (see RouteProgram).
class RouteEmitter {
 public:
  explicit RouteEmitter(RouteProgram& program) : p_(program) {}

  void emit(const RouteNode& n) {
    switch (n.kind) {
      case RouteNode::Kind::empty: return;
      case RouteNode::Kind::byte: put(RouteOp::byte, 0, 0, n.byte); return;
      case RouteNode::Kind::set: put(RouteOp::set, n.index); return;
      case RouteNode::Kind::assertion: put(n.assertion); return;
      case RouteNode::Kind::concat:
        for (const RouteNode& child : n.children) emit(child);
        return;
      case RouteNode::Kind::alternate: return alternate(n);
      case RouteNode::Kind::repeat: return repeat(n);
      case RouteNode::Kind::group:
        if (n.index != 0) put(RouteOp::save, 2 * (n.index - 1));
        emit(n.children[0]);
        if (n.index != 0) put(RouteOp::save, 2 * (n.index - 1) + 1);
        return;
    }
  }

 private:
  std::uint32_t here() const noexcept { return static_cast<std::uint32_t>(p_.code.size()); }
  std::uint32_t put(RouteOp op, std::uint32_t x = 0, std::uint32_t y = 0, unsigned char byte = 0) {
    if (p_.code.size() >= route_pattern_max_size) {
      throw RoutePatternError(std::regex_constants::error_complexity,
                              "compiles to more than " + std::to_string(route_pattern_max_size) +
                                  " instructions (a large {n,m}?)");
    }
    RouteInst inst;
    inst.op = op;
    inst.x = x;
    inst.y = y;
    inst.byte = byte;
    p_.code.push_back(inst);
    return here() - 1;
  }

  // a|b|c: split a, (split b, c); each branch jumps past the last.
  void alternate(const RouteNode& n) {
    std::vector<std::uint32_t> exits;
    for (std::size_t i = 0; i < n.children.size(); ++i) {
      bool last = i + 1 == n.children.size();
      std::uint32_t split = last ? 0 : put(RouteOp::split, here() + 1);
      emit(n.children[i]);
      if (last) break;
      exits.push_back(put(RouteOp::jump));
      p_.code[split].y = here();
    }
    for (std::uint32_t j : exits) p_.code[j].x = here();
  }

  // x{min,max}: min copies, then either a loop (max unbounded) or max-min
  // optional copies, each skipping to the end when not taken. Greedy splits
  // prefer another copy; lazy ones prefer to stop.
  void repeat(const RouteNode& n) {
    const RouteNode& body = n.children[0];
    if (n.max == RouteNode::unbounded) {
      for (std::uint32_t i = 1; i < n.min; ++i) emit(body);
      if (n.min == 0) {
        std::uint32_t loop = put(RouteOp::split);
        emit(body);
        put(RouteOp::jump, loop);
        prefer(loop, loop + 1, here(), n.greedy);
      } else {
        std::uint32_t start = here();
        emit(body);
        std::uint32_t split = put(RouteOp::split);
        prefer(split, start, here(), n.greedy);
      }
      return;
    }
    for (std::uint32_t i = 0; i < n.min; ++i) emit(body);
    std::vector<std::uint32_t> skips;
    for (std::uint32_t i = n.min; i < n.max; ++i) {
      skips.push_back(put(RouteOp::split));
      emit(body);
    }
    for (std::uint32_t s : skips) prefer(s, s + 1, here(), n.greedy);
  }
  void prefer(std::uint32_t split, std::uint32_t more, std::uint32_t done, bool greedy) noexcept {
    p_.code[split].x = greedy ? more : done;
    p_.code[split].y = greedy ? done : more;
  }

  RouteProgram& p_;
};

}  // namespace eddy::detail
