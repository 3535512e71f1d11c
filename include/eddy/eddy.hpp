// The umbrella header: everything eddy offers.
#pragma once

#include "ioloop.hpp"
#include "version.hpp"
#include "periodic.hpp"
