// The separately compiled mode's core (EDDY_SEPARATE_COMPILATION, the
// eddy::compiled target): the explicit instantiation definitions of the
// template bases whose members a user's files then declare only (the
// `extern template` at the end of each public header). The HTTP layer's are
// in eddy_http.cpp.
#include <eddy/eddy.hpp>

template class eddy::detail::IOLoopImpl<void>;
template class eddy::detail::PeriodicCallbackImpl<void>;
template class eddy::detail::IOStreamImpl<void>;
template class eddy::detail::TCPServerImpl<void>;
template class eddy::detail::TCPClientImpl<void>;
template class eddy::detail::EventImpl<void>;
template class eddy::detail::ConditionImpl<void>;
template class eddy::detail::SemaphoreImpl<void>;
template class eddy::detail::BoundedSemaphoreImpl<void>;
template class eddy::detail::LockImpl<void>;
