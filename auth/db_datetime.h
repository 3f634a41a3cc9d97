// auth/db_datetime.h
#pragma once

// Datetimes as Django stores them in SQLite with USE_TZ=True: UTC text
// `YYYY-MM-DD HH:MM:SS[.ffffff]` (the fraction only when non-zero, as Python's str(datetime)).
// Text order is time order, which is what `expire_date > ?` relies on.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace laurel::auth {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

Timestamp timestamp_now();
Timestamp timestamp_from_unix(double seconds);
double to_unix(Timestamp t);

std::string format_db_datetime(Timestamp t);
// Also accepts a `T` separator and a trailing `+00:00` / `Z`; nullopt on anything else.
std::optional<Timestamp> parse_db_datetime(std::string_view text);

}  // namespace laurel::auth
