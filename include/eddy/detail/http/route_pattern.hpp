// RoutePattern: a route's regex, compiled once (route_pattern_parse.hpp)
// and matched against whole paths by a Pike VM: a Thompson NFA simulation
// that carries capture slots per thread (Russ Cox, "Regular Expression
// Matching: the Virtual Machine Approach"). std::regex in libstdc++ recurses
// once per character, so a long path against "/files/(.*)" overflowed the
// stack; this matcher never recurses and runs in O(path length x program
// size) time with memory bounded by the program (thread lists of one entry
// per instruction, an explicit work stack, all reused across matches).
//
// Semantics: std::regex_match's with ECMAScript's leftmost-first priority
// (the first alternative, greedy quantifiers taking as much as they can,
// lazy ones as little), so a group gets what a backtracking engine gives it,
// with one documented exception: a group repeated by * or + whose body can
// match the empty string keeps its last non-empty capture, where a
// backtracking engine records one more, empty, iteration.
//
// Thread contract: a RoutePattern is immutable after construction and may
// be matched from any thread; each thread has its own scratch space.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "route_pattern_parse.hpp"

namespace eddy::detail {

// Where a group matched: [begin, end) in the subject; both npos when the
// group took no part in the match.
struct RouteSpan {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t begin = npos;
  std::size_t end = npos;
  bool matched() const noexcept { return begin != npos; }
};

// The VM's working memory, one per thread, grown to the largest program it
// ran and then reused: no allocation per match in steady state.
struct RouteScratch {
  struct Entry {  // on the work stack: a pc to explore, or a slot to restore
    std::uint32_t pc;
    std::uint32_t slot;  // restore entry: the slot; else none
    std::size_t value;
  };
  static constexpr std::uint32_t none = 0xFFFFFFFFu;

  struct Threads {
    std::vector<std::uint32_t> pcs;
    std::vector<std::size_t> slots;  // pcs.size() x the program's slot count
    std::size_t size = 0;
  };
  Threads lists[2];
  std::vector<std::uint64_t> marks;  // per pc: the generation it was last visited in
  std::uint64_t generation = 0;
  std::vector<std::size_t> slots;    // the capture slots being built
  std::vector<Entry> stack;
  std::vector<RouteSpan> spans;      // the last match's groups

  static RouteScratch& local() {
    static thread_local RouteScratch scratch;
    return scratch;
  }
};

class RoutePattern {
 public:
  // Compiles `pattern`; RoutePatternError (a std::regex_error) when it is
  // malformed, outside the subset (route_pattern_program.hpp) or too large.
  explicit RoutePattern(std::string_view pattern) : program_(compile_route_pattern(pattern)) {}

  // The number of capturing groups, named ones included.
  std::size_t groups() const noexcept { return program_.groups(); }
  // Each group's name, or "" for an unnamed one, in group order.
  const std::vector<std::string>& names() const noexcept { return program_.names; }

  // True when the pattern matches the whole of `subject`. Then `groups`
  // holds one span per group (resized to groups()).
  bool match(std::string_view subject, std::vector<RouteSpan>& groups) const {
    const std::vector<RouteSpan>* found = match(subject);
    if (found != nullptr) groups = *found;
    return found != nullptr;
  }
  // The same without a copy: the groups of a match, or nullptr. The vector
  // is this thread's scratch, valid until its next match.
  const std::vector<RouteSpan>* match(std::string_view subject) const;

 private:
  std::size_t slot_count() const noexcept { return 2 * program_.groups(); }
  void prepare(RouteScratch& s) const;
  void add(RouteScratch& s, RouteScratch::Threads& list, std::uint32_t pc, const std::size_t* caps,
           std::string_view subject, std::size_t pos) const;
  bool passes(RouteOp op, std::string_view subject, std::size_t pos) const noexcept;

  RouteProgram program_;
};

// Copies a thread's few slots; returns `to`. A plain loop: a call to
// memcpy would cost more than the copy for the usual two to eight slots.
inline std::size_t* copy_slots(const std::size_t* from, std::size_t* to, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; i += 2) {  // n is even: two slots per group
    std::size_t begin = from[i], end = from[i + 1];
    to[i] = begin;
    to[i + 1] = end;
  }
  return to;
}

// Sizes the scratch for this program (no-op once it is big enough).
inline void RoutePattern::prepare(RouteScratch& s) const {
  std::size_t n = program_.code.size();
  std::size_t width = slot_count();
  for (RouteScratch::Threads& list : s.lists) {
    if (list.pcs.size() < n) list.pcs.resize(n);
    if (list.slots.size() < n * width) list.slots.resize(n * width);
    list.size = 0;
  }
  if (s.marks.size() < n) s.marks.resize(n, 0);
  s.slots.assign(width, RouteSpan::npos);
  // Every pc is explored at most once per generation, and each exploration
  // pushes at most one pc and one restore: the stack never outgrows 2n + 1.
  if (s.stack.size() < 2 * n + 1) s.stack.resize(2 * n + 1);
}

// True when a zero-width assertion holds at `pos`.
inline bool RoutePattern::passes(RouteOp op, std::string_view subject, std::size_t pos) const noexcept {
  switch (op) {
    case RouteOp::begin: return pos == 0;
    case RouteOp::end: return pos == subject.size();
    default: {
      bool before = pos > 0 && route_is_word(static_cast<unsigned char>(subject[pos - 1]));
      bool after = pos < subject.size() && route_is_word(static_cast<unsigned char>(subject[pos]));
      return (before != after) == (op == RouteOp::boundary);
    }
  }
}

// Adds the thread at `pc`, whose capture slots are at `caps`, to `list`,
// following jumps, splits, saves and assertions to the instructions that
// consume a byte or match. Splits are explored first branch first, so the
// list stays in priority order; a pc already visited in this generation was
// reached by a thread of higher priority and is skipped. Iterative: the
// work stack replaces recursion, and restore entries undo a save once the
// branch that made it is explored. The slots are copied to s.slots only at
// the first save, so a thread that saves nothing is copied once, into the
// list.
inline void RoutePattern::add(RouteScratch& s, RouteScratch::Threads& list, std::uint32_t pc,
                              const std::size_t* caps, std::string_view subject, std::size_t pos) const {
  const std::size_t width = slot_count();
  const RouteInst* code = program_.code.data();
  std::uint64_t* marks = s.marks.data();
  std::size_t* work = s.slots.data();
  RouteScratch::Entry* stack = s.stack.data();
  std::size_t top = 0;
  stack[top++] = {pc, RouteScratch::none, 0};
  while (top != 0) {
    RouteScratch::Entry e = stack[--top];
    if (e.slot != RouteScratch::none) {
      work[e.slot] = e.value;
      continue;
    }
    for (pc = e.pc; marks[pc] != s.generation;) {
      marks[pc] = s.generation;
      const RouteInst& inst = code[pc];
      if (inst.op == RouteOp::jump) {
        pc = inst.x;
      } else if (inst.op == RouteOp::split) {
        stack[top++] = {inst.y, RouteScratch::none, 0};
        pc = inst.x;
      } else if (inst.op == RouteOp::save) {
        if (caps != work) caps = copy_slots(caps, work, width);
        stack[top++] = {0, inst.x, work[inst.x]};
        work[inst.x] = pos;
        ++pc;
      } else if (inst.op == RouteOp::byte || inst.op == RouteOp::set || inst.op == RouteOp::match) {
        list.pcs[list.size] = pc;
        copy_slots(caps, list.slots.data() + list.size * width, width);
        ++list.size;
        break;
      } else if (passes(inst.op, subject, pos)) {
        ++pc;
      } else {
        break;
      }
    }
  }
}

inline const std::vector<RouteSpan>* RoutePattern::match(std::string_view subject) const {
  RouteScratch& s = RouteScratch::local();
  prepare(s);
  const std::size_t width = slot_count();
  RouteScratch::Threads* now = &s.lists[0];
  RouteScratch::Threads* next = &s.lists[1];
  ++s.generation;
  add(s, *now, 0, s.slots.data(), subject, 0);
  for (std::size_t pos = 0; pos < subject.size(); ++pos) {
    if (now->size == 0) return nullptr;  // every thread died: no match
    unsigned char c = static_cast<unsigned char>(subject[pos]);
    ++s.generation;
    next->size = 0;
    for (std::size_t t = 0; t < now->size; ++t) {
      const RouteInst& inst = program_.code[now->pcs[t]];
      bool step = (inst.op == RouteOp::byte && inst.byte == c) ||
                  (inst.op == RouteOp::set && program_.sets[inst.x].has(c));
      if (!step) continue;  // a match before the end does not count: the whole subject must match
      add(s, *next, now->pcs[t] + 1, now->slots.data() + t * width, subject, pos + 1);
    }
    std::swap(now, next);
  }
  // At the end, the first matching thread in priority order wins.
  for (std::size_t t = 0; t < now->size; ++t) {
    if (program_.code[now->pcs[t]].op != RouteOp::match) continue;
    s.spans.resize(program_.groups());
    for (std::size_t g = 0; g < s.spans.size(); ++g) {
      s.spans[g].begin = now->slots[t * width + 2 * g];
      s.spans[g].end = now->slots[t * width + 2 * g + 1];
      if (s.spans[g].end == RouteSpan::npos) s.spans[g].begin = RouteSpan::npos;
    }
    return &s.spans;
  }
  return nullptr;
}

}  // namespace eddy::detail
