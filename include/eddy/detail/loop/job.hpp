// Job: what the loop queues for a callback or a timeout: the callable and
// where it was scheduled (for the blocking detector's report).
#pragma once

#include <utility>

#include "../base/function.hpp"
#include "../base/source_location.hpp"

namespace eddy::detail {

struct Job {
  Function<void()> fn;
  SourceLocation where;

  Job() = default;
  // Builds the callable in place, so queueing a lambda costs one
  // construction, not a construction and a move.
  template <class F>
  Job(F&& f, SourceLocation w) : fn(std::forward<F>(f)), where(w) {}

  explicit operator bool() const noexcept { return static_cast<bool>(fn); }
};

}  // namespace eddy::detail
