// Counts operator new calls made by the current thread, so tests can pin
// "steady-state scheduling allocates nothing". The replacement operators
// live in alloc_counter.cpp, linked into the test binaries; under
// ThreadSanitizer (whose runtime must own operator new) they are left out,
// and CHECK_ALLOCATIONS says so instead of checking.
#pragma once

#include <cstddef>

namespace eddy_test {

std::size_t allocations_on_this_thread() noexcept;
bool counting_allocations() noexcept;

// allocations made between construction and count().
class AllocationProbe {
 public:
  AllocationProbe() noexcept : start_(allocations_on_this_thread()) {}
  std::size_t count() const noexcept { return allocations_on_this_thread() - start_; }

 private:
  std::size_t start_;
};

}  // namespace eddy_test

// CHECK(probe.count() == expected) where allocations are counted.
#define CHECK_ALLOCATIONS(probe, expected)                                        \
  do {                                                                            \
    if (::eddy_test::counting_allocations()) {                                    \
      CHECK((probe).count() == (expected));                                       \
    } else {                                                                      \
      WARN("allocations are not counted in this build (ThreadSanitizer)");        \
    }                                                                             \
  } while (false)
