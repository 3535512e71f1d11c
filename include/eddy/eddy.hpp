/// @file
/// The umbrella header: everything eddy offers.
#pragma once

#include "future.hpp"
#include "gen.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "locks.hpp"
#include "netutil.hpp"
#include "periodic.hpp"
#include "process.hpp"
#include "queues.hpp"
#include "tcpclient.hpp"
#include "tcpserver.hpp"
#include "version.hpp"
