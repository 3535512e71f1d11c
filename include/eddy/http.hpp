/// @file
/// The whole HTTP layer in one include: headers and HTTP utilities
/// (httputil.hpp), the web layer (web.hpp: Application, RequestHandler,
/// HTTPError) and the server (httpserver.hpp: HTTPServer, HTTPServerOptions).
/// Needs C++20 (handlers may be coroutines). <eddy/eddy.hpp> does not
/// include it, so a program that speaks no HTTP does not compile it.
#pragma once

#if __cplusplus < 202002L
#error "eddy's HTTP layer needs C++20"
#endif

#include "eddy.hpp"
#include "httpserver.hpp"
#include "httputil.hpp"
#include "web.hpp"
#if defined(__has_include)
#if __has_include("httpclient.hpp")
#include "httpclient.hpp"
#endif
#endif
