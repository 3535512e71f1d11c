// The separately compiled mode's HTTP half (EDDY_SEPARATE_COMPILATION, the
// eddy::compiled target): the explicit instantiation definitions of the HTTP
// layer's template bases, whose members a user's files then declare only
// (the `extern template` at the end of httpserver.hpp and httpclient.hpp).
// With them go the connection, parser and router those members reach.
#include <eddy/http.hpp>

template class eddy::detail::HTTPServerImpl<void>;
template class eddy::detail::AsyncHTTPClientImpl<void>;
template class eddy::detail::HTTPClientImpl<void>;
