// libpq's header, wherever the system put it.
//
// CMake's eddy::postgres (and pkg-config's libpq) put libpq's include folder
// on the path, so <libpq-fe.h> is found as libpq documents it. Debian installs
// it as /usr/include/postgresql/libpq-fe.h, off the default path: a program
// built by hand, `g++ -Iinclude app.cpp -lpq`, or a header compiled alone,
// still finds it there. Either way the same header is read.
#pragma once

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#elif __has_include(<postgresql/libpq-fe.h>)
#include <postgresql/libpq-fe.h>
#else
#error "eddy/postgres.hpp needs libpq's header libpq-fe.h (Debian: libpq-dev; link eddy::postgres or -lpq)"
#endif
