// Job: what the loop queues for a callback or a timeout: the callable and
// where it was scheduled (for the blocking detector's report).
#pragma once

#include "function.hpp"
#include "source_location.hpp"

namespace eddy::detail {

struct Job {
  Function<void()> fn;
  SourceLocation where;

  explicit operator bool() const noexcept { return static_cast<bool>(fn); }
};

}  // namespace eddy::detail
