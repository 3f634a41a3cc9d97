// auth/django_json.h
#pragma once

// JSON bytes exactly as Python's `json.dumps(obj, separators=(",", ":"))` writes them — the
// serializer behind Django's signing (sessions, signed cookies) and PyJWT payloads. Signatures
// cover these bytes, so "equivalent" JSON is not enough: keys keep insertion order (a Python
// dict), non-ASCII is written as lowercase `\uXXXX` (surrogate pairs above the BMP), DEL is
// escaped, floats use Python's repr.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace laurel::auth {

// Insertion-ordered, as a Python dict is: the order a session's keys were set in is the order
// Django writes them, and the bytes are signed.
using Json = nlohmann::ordered_json;

// Throws std::invalid_argument for a string that is not valid UTF-8 (Python's str cannot hold
// one, so Django could never have produced it).
std::string django_json_dumps(const Json& value);

// Parses JSON text (what Django's JSONSerializer.loads accepts, minus NaN/Infinity literals and
// lone surrogates); nullopt-like: returns a discarded value (`is_discarded()`) on malformed
// input instead of throwing.
Json django_json_loads(std::string_view text);

}  // namespace laurel::auth
