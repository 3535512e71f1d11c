// KqueuePoller: the macOS/BSD backend (and, for testing on Linux, libkqueue).
// Placeholder until the kqueue backend lands; only compiled when
// EDDY_HAVE_KQUEUE is set.
#pragma once

#include "config.hpp"
