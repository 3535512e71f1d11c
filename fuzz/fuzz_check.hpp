// What the fuzz harnesses share (fuzz/*_fuzzer.cpp): the invariant check,
// which aborts with its text so libFuzzer and the corpus replay report it,
// and is never compiled out (unlike assert under NDEBUG).
#pragma once

#include <cstdio>
#include <cstdlib>

// An invariant that must hold for any input: abort with its text.
#define EDDY_FUZZ_CHECK(cond)                                                            \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
