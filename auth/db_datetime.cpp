// auth/db_datetime.cpp
#include "auth/db_datetime.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace laurel::auth {

using namespace std::chrono;

Timestamp timestamp_now() { return time_point_cast<microseconds>(system_clock::now()); }

Timestamp timestamp_from_unix(double seconds) {
  return Timestamp(microseconds(static_cast<std::int64_t>(std::llround(seconds * 1e6))));
}

double to_unix(Timestamp t) { return static_cast<double>(t.time_since_epoch().count()) / 1e6; }

std::string format_db_datetime(Timestamp t) {
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> tod{t - day};
  char buf[40];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<long long>(tod.hours().count()), static_cast<long long>(tod.minutes().count()),
      static_cast<long long>(tod.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (auto us = tod.subseconds().count(); us != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(us));
    out += buf;
  }
  return out;
}

std::optional<Timestamp> parse_db_datetime(std::string_view text) {
  auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > text.size()) return std::nullopt;
    int v = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
    if (ec != std::errc() || ptr != text.data() + pos + len) return std::nullopt;
    return v;
  };
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto y = number(0, 4), mo = number(5, 2), d = number(8, 2);
  auto h = number(11, 2), mi = number(14, 2), s = number(17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  std::int64_t micros = 0;
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) micros *= 10;
  }
  std::string_view rest = text.substr(pos);
  if (!rest.empty() && rest != "Z" && rest != "+00:00") return std::nullopt;
  return time_point_cast<microseconds>(sys_days{ymd}) + hours{*h} + minutes{*mi} + seconds{*s} +
         microseconds{micros};
}

}  // namespace laurel::auth
