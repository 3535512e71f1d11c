// The umbrella header: everything eddy offers.
#pragma once

#include "future.hpp"
#include "gen.hpp"
#include "ioloop.hpp"
#include "periodic.hpp"
#include "version.hpp"
