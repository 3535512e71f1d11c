// Replacement global operator new/delete that count allocations per thread.
// Every form is replaced (plain, array, nothrow, aligned, sized) so that no
// block is allocated by one family and freed by the other; they forward to
// malloc/free, so the sanitizers still see every block.
#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

#if EDDY_TEST_NO_ALLOC_COUNTER

namespace eddy_test {
std::size_t allocations_on_this_thread() noexcept { return 0; }
bool counting_allocations() noexcept { return false; }
}  // namespace eddy_test

#else

namespace {
thread_local std::size_t allocation_count = 0;

void* allocate(std::size_t size) noexcept {
  ++allocation_count;
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t align) noexcept {
  ++allocation_count;
  std::size_t a = static_cast<std::size_t>(align);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = nullptr;
  return ::posix_memalign(&p, a, size == 0 ? 1 : size) == 0 ? p : nullptr;
}

void* checked(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

namespace eddy_test {
std::size_t allocations_on_this_thread() noexcept { return allocation_count; }
bool counting_allocations() noexcept { return true; }
}  // namespace eddy_test

void* operator new(std::size_t size) { return checked(allocate(size)); }
void* operator new[](std::size_t size) { return checked(allocate(size)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) { return checked(allocate_aligned(size, align)); }
void* operator new[](std::size_t size, std::align_val_t align) { return checked(allocate_aligned(size, align)); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, align);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#endif  // EDDY_TEST_NO_ALLOC_COUNTER
