// The parser behind RoutePattern: a recursive-descent reading of the
// subset described in route_pattern_program.hpp into a RouteNode tree, and
// compile_route_pattern(), which parses and emits. Runs once per route, at
// Application::route(); its recursion is bounded by route_pattern_max_depth.
//
// Thread contract: none (a RouteParser is a local of compile_route_pattern).
#pragma once

#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "route_pattern_program.hpp"

namespace eddy::detail {

class RouteParser {
 public:
  RouteParser(std::string_view pattern, RouteProgram& program) : s_(pattern), p_(program) {}

  RouteNode parse() {
    RouteNode root = alternation(0);
    if (pos_ < s_.size()) fail(std::regex_constants::error_paren, "')' without '('");
    return root;
  }

 private:
  using Kind = RouteNode::Kind;

  [[noreturn]] void fail(std::regex_constants::error_type code, const std::string& why) const {
    throw RoutePatternError(code, why + " at offset " + std::to_string(pos_));
  }
  bool more() const noexcept { return pos_ < s_.size(); }
  char peek() const noexcept { return s_[pos_]; }
  bool take(char c) noexcept {
    if (!more() || peek() != c) return false;
    ++pos_;
    return true;
  }
  bool next_is(std::string_view text) const noexcept { return s_.substr(pos_, text.size()) == text; }

  // alternation := sequence ('|' sequence)*
  RouteNode alternation(std::size_t depth) {
    if (depth > route_pattern_max_depth) fail(std::regex_constants::error_complexity, "groups nested too deeply");
    RouteNode first = sequence(depth);
    if (!more() || peek() != '|') return first;
    RouteNode alt = RouteNode::leaf(Kind::alternate);
    alt.children.push_back(std::move(first));
    while (take('|')) alt.children.push_back(sequence(depth));
    return alt;
  }

  // sequence := (atom quantifier?)*, up to '|', ')' or the end
  RouteNode sequence(std::size_t depth) {
    RouteNode seq = RouteNode::leaf(Kind::concat);
    while (more() && peek() != '|' && peek() != ')') {
      RouteNode item = atom(depth);
      quantify(item);
      seq.children.push_back(std::move(item));
    }
    if (seq.children.size() == 1) return std::move(seq.children[0]);
    return seq;
  }

  RouteNode atom(std::size_t depth) {
    char c = s_[pos_++];
    switch (c) {
      case '(': return group(depth);
      case '[': return bracket();
      case '\\': return escape();
      case '.': {
        ByteSet any;
        any.invert();
        any.bits[0] &= ~((std::uint64_t{1} << '\n') | (std::uint64_t{1} << '\r'));
        return set_node(any);
      }
      case '^': return assertion(RouteOp::begin);
      case '$': return assertion(RouteOp::end);
      case '*': case '+': case '?': case '{':
        --pos_;
        fail(std::regex_constants::error_badrepeat, std::string("'") + c + "' repeats nothing");
      default: return byte_node(static_cast<unsigned char>(c));
    }
  }

  // After '(': (?:...), (?P<name>...), (?<name>...) or a plain group.
  RouteNode group(std::size_t depth) {
    RouteNode g = RouteNode::leaf(Kind::group);
    if (take('?')) {
      if (take(':')) {
        g.index = 0;
      } else if (next_is("P<") || (next_is("<") && !next_is("<=") && !next_is("<!"))) {
        pos_ += peek() == 'P' ? 2 : 1;
        g.index = new_group(name());
      } else if (next_is("P=")) {
        fail(std::regex_constants::error_backref, "backreferences are not supported");
      } else {
        fail(std::regex_constants::error_badrepeat, "lookaround and other (?...) forms are not supported");
      }
    } else {
      g.index = new_group("");
    }
    g.children.push_back(alternation(depth + 1));
    if (!take(')')) fail(std::regex_constants::error_paren, "'(' without ')'");
    return g;
  }
  std::string name() {
    std::size_t start = pos_;
    while (more() && (route_is_word(static_cast<unsigned char>(peek())))) ++pos_;
    if (pos_ == start || (s_[start] >= '0' && s_[start] <= '9') || !take('>')) {
      fail(std::regex_constants::error_paren, "a group name must be an identifier closed by '>'");
    }
    return std::string(s_.substr(start, pos_ - 1 - start));
  }
  std::uint32_t new_group(std::string name) {
    p_.names.push_back(std::move(name));
    return static_cast<std::uint32_t>(p_.names.size());
  }

  // After '[': items up to ']'; ranges a-z; a leading '^' negates.
  RouteNode bracket() {
    if (next_is("[:") || next_is("[.") || next_is("[=")) {
      fail(std::regex_constants::error_ctype, "POSIX bracket classes are not supported");
    }
    bool negate = take('^');
    ByteSet set;
    while (!take(']')) {
      if (!more()) fail(std::regex_constants::error_brack, "'[' without ']'");
      ByteSet item;
      int lo = class_item(item);
      if (next_is("-") && pos_ + 1 < s_.size() && s_[pos_ + 1] != ']') {
        if (lo < 0) fail(std::regex_constants::error_range, "a range starts with a class escape");
        ++pos_;
        ByteSet ignored;
        int hi = class_item(ignored);
        if (hi < 0) fail(std::regex_constants::error_range, "a range ends in a class escape");
        if (hi < lo) fail(std::regex_constants::error_range, "a range runs backwards");
        item.add_range(static_cast<unsigned>(lo), static_cast<unsigned>(hi));
      }
      set.add(item);
    }
    if (negate) set.invert();
    return set_node(set);
  }
  // One byte (returned, and added to `out`) or a class escape (-1).
  int class_item(ByteSet& out) {
    unsigned char c = static_cast<unsigned char>(s_[pos_++]);
    if (c != '\\') {
      out.add(c);
      return c;
    }
    if (!more()) fail(std::regex_constants::error_escape, "'\\' at the end");
    char e = peek();
    if (e == 'b') {  // a backspace inside a class, as in ECMAScript
      ++pos_;
      out.add('\b');
      return '\b';
    }
    RouteNode n = escape();
    if (n.kind == Kind::set) {
      out.add(p_.sets[n.index]);
      p_.sets.pop_back();
      return -1;
    }
    if (n.kind != Kind::byte) fail(std::regex_constants::error_escape, "an assertion inside a class");
    out.add(n.byte);
    return n.byte;
  }

  // After '\\'.
  RouteNode escape() {
    if (!more()) fail(std::regex_constants::error_escape, "'\\' at the end");
    char c = s_[pos_++];
    switch (c) {
      case 'd': case 'D': case 'w': case 'W': case 's': case 'S': return set_node(route_class_set(c));
      case 'b': return assertion(RouteOp::boundary);
      case 'B': return assertion(RouteOp::not_boundary);
      case 't': return byte_node('\t');
      case 'n': return byte_node('\n');
      case 'r': return byte_node('\r');
      case 'f': return byte_node('\f');
      case 'v': return byte_node('\v');
      case '0':
        if (more() && peek() >= '0' && peek() <= '9') break;
        return byte_node('\0');
      case 'x': return byte_node(static_cast<unsigned char>(hex(2)));
      case 'u': {
        unsigned v = hex(4);
        if (v >= 0x80) fail(std::regex_constants::error_escape, "\\u above 007F (match the UTF-8 bytes instead)");
        return byte_node(static_cast<unsigned char>(v));
      }
      default:
        if ((c >= '0' && c <= '9') || c == 'k') {
          fail(std::regex_constants::error_backref, "backreferences are not supported");
        }
        if (route_is_word(static_cast<unsigned char>(c))) break;
        return byte_node(static_cast<unsigned char>(c));  // escaped punctuation: itself
    }
    --pos_;
    fail(std::regex_constants::error_escape, std::string("unsupported escape \\") + c);
  }
  unsigned hex(int digits) {
    unsigned v = 0;
    for (int i = 0; i < digits; ++i) {
      char c = more() ? peek() : '\0';
      int d = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
      if (d < 0) fail(std::regex_constants::error_escape, "a hex escape needs " + std::to_string(digits) + " digits");
      v = v * 16 + static_cast<unsigned>(d);
      ++pos_;
    }
    return v;
  }

  // A quantifier after `item`, if any, wraps it in a repeat.
  void quantify(RouteNode& item) {
    if (!more()) return;
    std::uint32_t min = 0, max = RouteNode::unbounded;
    char c = peek();
    if (c == '*') {
      ++pos_;
    } else if (c == '+') {
      ++pos_;
      min = 1;
    } else if (c == '?') {
      ++pos_;
      max = 1;
    } else if (c == '{') {
      ++pos_;
      braces(min, max);
    } else {
      return;
    }
    if (item.kind == Kind::assertion) fail(std::regex_constants::error_badrepeat, "a quantifier after an anchor");
    RouteNode rep = RouteNode::leaf(Kind::repeat);
    rep.min = min;
    rep.max = max;
    rep.greedy = !take('?');
    rep.children.push_back(std::move(item));
    item = std::move(rep);
    if (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) {
      fail(std::regex_constants::error_badrepeat, "a quantifier after a quantifier");
    }
  }
  // After '{': n}, n,} or n,m}.
  void braces(std::uint32_t& min, std::uint32_t& max) {
    min = number();
    max = min;
    if (take(',')) max = more() && peek() == '}' ? RouteNode::unbounded : number();
    if (!take('}')) fail(std::regex_constants::error_brace, "'{' without a closing '}'");
    if (max < min) fail(std::regex_constants::error_badbrace, "{n,m} with m < n");
  }
  std::uint32_t number() {
    std::size_t start = pos_;
    std::uint32_t v = 0;
    while (more() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<std::uint32_t>(peek() - '0');
      if (v > route_pattern_max_repeat) {
        fail(std::regex_constants::error_badbrace, "a count above " + std::to_string(route_pattern_max_repeat));
      }
      ++pos_;
    }
    if (pos_ == start) fail(std::regex_constants::error_badbrace, "'{' needs a count");
    return v;
  }

  RouteNode byte_node(unsigned char c) {
    RouteNode n = RouteNode::leaf(Kind::byte);
    n.byte = c;
    return n;
  }
  RouteNode set_node(const ByteSet& set) {
    RouteNode n = RouteNode::leaf(Kind::set);
    n.index = static_cast<std::uint32_t>(p_.sets.size());
    p_.sets.push_back(set);
    return n;
  }
  RouteNode assertion(RouteOp op) {
    RouteNode n = RouteNode::leaf(Kind::assertion);
    n.assertion = op;
    return n;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  RouteProgram& p_;
};

// Parses and emits `pattern`; RoutePatternError (a std::regex_error) when it
// is malformed, unsupported or too large.
inline RouteProgram compile_route_pattern(std::string_view pattern) {
  RouteProgram program;
  try {
    RouteNode root = RouteParser(pattern, program).parse();
    RouteEmitter emitter(program);
    emitter.emit(root);
    RouteInst match;
    match.op = RouteOp::match;
    program.code.push_back(match);
  } catch (const RoutePatternError& e) {
    throw RoutePatternError(e.code(), "eddy: route pattern \"" + std::string(pattern) + "\": " + e.what());
  }
  return program;
}

}  // namespace eddy::detail
