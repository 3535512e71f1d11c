// detail::Function: the small-buffer, move-only callable behind every queued
// callback, timeout and handler.
#include <eddy/detail/base/function.hpp>

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "support/alloc_counter.hpp"

using eddy::detail::Function;

TEST_CASE("a lambda capturing three pointers is stored inline without allocating", "[function]") {
  int a = 1, b = 2, c = 3;
  int* pa = &a;
  int* pb = &b;
  int* pc = &c;
  eddy_test::AllocationProbe probe;
  Function<int()> f([pa, pb, pc] { return *pa + *pb + *pc; });
  Function<int()> g(std::move(f));
  CHECK(g() == 6);
  CHECK_ALLOCATIONS(probe, 0u);
  CHECK_FALSE(f);
}

TEST_CASE("a lambda capturing a std::string or a shared_ptr and two pointers fits inline", "[function]") {
  auto shared = std::make_shared<int>(5);
  std::string text = "a string too long for the short string buffer";
  int x = 1;
  auto holds_string = [text] { return text.size(); };
  CHECK(Function<std::size_t()>::stored_inline<decltype(holds_string)>);
  eddy_test::AllocationProbe probe;
  Function<int()> f([shared, p = &x, q = &x] { return *shared + *p + *q; });
  CHECK(f() == 7);
  Function<std::size_t()> g(std::move(holds_string));
  CHECK(g() == text.size());
  CHECK_ALLOCATIONS(probe, 0u);
}

TEST_CASE("large callables go to the heap and still work", "[function]") {
  struct Big {
    char bytes[256] = {};
    int operator()() const { return 42; }
  };
  Function<int()> f(Big{});
  Function<int()> g;
  g = std::move(f);
  CHECK(g() == 42);
}

TEST_CASE("move-only callables are accepted", "[function]") {
  auto owned = std::make_unique<int>(9);
  Function<int()> f([p = std::move(owned)] { return *p; });
  CHECK(f() == 9);
}

TEST_CASE("captured state is destroyed exactly once, on reset or destruction", "[function]") {
  auto token = std::make_shared<int>(0);
  {
    Function<void()> f([token] {});
    Function<void()> g(std::move(f));
    CHECK(token.use_count() == 2);
    g.reset();
    CHECK(token.use_count() == 1);
    Function<void()> h([token] {});
    CHECK(token.use_count() == 2);
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("calling an empty Function throws std::bad_function_call", "[function]") {
  Function<void()> f;
  CHECK_THROWS_AS(f(), std::bad_function_call);
  void (*null_fn)() = nullptr;
  Function<void()> g(null_fn);
  CHECK_FALSE(g);
}

TEST_CASE("arguments are forwarded", "[function]") {
  Function<int(int, const std::string&)> f([](int a, const std::string& s) { return a + static_cast<int>(s.size()); });
  CHECK(f(2, "abc") == 5);
}
