// testing/scope_for_test.h
#pragma once

// The scope a test communicator hands the application: the same keys and types the server's
// scope builder produces (bytes for raw_path, query_string and header pairs).

#include <string>
#include <string_view>

#include "asgi/application.h"

namespace laurel::testing {

// `type` is "http" or "websocket"; `target` is a path with an optional query string.
asgi::Scope make_scope(std::string_view type, std::string_view target, const asgi::Headers& headers,
                       std::string_view method = "GET");

}  // namespace laurel::testing
