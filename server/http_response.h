// server/http_response.h
#pragma once

// Pieces of HTTP/1.1 responses the server writes itself: status lines, a cached Date header,
// chunked framing and the short error responses (400, 408, 413, 431, 500, 504).

#include <string>
#include <string_view>

#include "asgi/events.h"

namespace laurel::server {

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view reason_phrase(int status);

// "Date: Fri, 04 Dec 2026 21:46:11 GMT\r\n", formatted once per second per thread.
void append_date_header(std::string& out);

// A header name or value an application gave that could split the response (CR, LF, NUL).
bool header_is_safe(std::string_view name, std::string_view value);
bool header_name_is(std::string_view name, std::string_view lower_name);

// Status line and headers of an application's response (without the blank line).
void append_status_line(std::string& out, int status);
void append_header(std::string& out, std::string_view name, std::string_view value);

// One chunk of a chunked body ("1a\r\n...\r\n"); an empty `data` appends nothing.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// A complete short response with a text body and `Connection: close`.
void append_error_response(std::string& out, int status, std::string_view message,
                           std::string_view server_name);

}  // namespace laurel::server
