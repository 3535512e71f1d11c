// The part of <chrono> eddy uses: durations, time points, steady_clock and
// system_clock, duration_cast and the literals (std::chrono_literals).
//
// As C++20, libstdc++'s <chrono> adds the calendar, time zones and their
// stream output (<sstream>, <istream>, locales): 46,000 preprocessed lines,
// of which eddy uses none. libstdc++ keeps the clocks and durations in
// <bits/chrono.h> (10,000 lines), which <thread>, <mutex> and
// <condition_variable> include themselves; eddy includes that one when it is
// there and the standard header everywhere else. A program that wants the
// rest includes <chrono> itself.
#pragma once

#include <version>
#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif
