// testing/testing.h
#pragma once

// Everything a consumer test includes: the communicators and the loop drivers.

#include "testing/http_communicator.h"
#include "testing/recording_peer.h"
#include "testing/run_loop.h"
#include "testing/scope_for_test.h"
#include "testing/websocket_communicator.h"
