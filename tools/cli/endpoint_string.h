// tools/cli/endpoint_string.h
#pragma once

// Daphne's `-e/--endpoint` strings (Twisted endpoint descriptions) → server::Endpoint:
//   tcp:8000   tcp:port=8000:interface=127.0.0.1   tcp:port=8000:interface=\:\:1
//   unix:/run/laurel.sock   unix:address=/run/laurel.sock
//   fd:3   fd:fileno=3
//   ssl:8443:privateKey=key.pem:certKey=cert.pem   (also interface=...)
// A colon inside a value is escaped as `\:`, as Twisted does.

#include <stdexcept>
#include <string>

#include "server/server.h"

namespace laurel::cli {

// Throws std::invalid_argument with a message that says what is wrong with `text`.
server::Endpoint parse_endpoint(const std::string& text);

// The address a person types to reach the endpoint: "http://127.0.0.1:8000/",
// "https://[::1]:8443/", "unix:/run/laurel.sock", "fd:3".
std::string endpoint_url(const server::Endpoint& endpoint);

}  // namespace laurel::cli
