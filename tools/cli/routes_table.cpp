// tools/cli/routes_table.cpp
#include "tools/cli/routes_table.h"

#include <algorithm>
#include <array>

namespace laurel::cli {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace

std::vector<asgi::RouteDescription> collect_routes(const asgi::Application& app) {
  std::vector<asgi::RouteDescription> rows;
  app.describe(rows, asgi::RouteDescription{});
  return rows;
}

std::string format_routes(const std::vector<asgi::RouteDescription>& rows) {
  constexpr std::size_t kColumns = 5;
  std::vector<std::array<std::string, kColumns>> cells;
  cells.push_back({"PROTOCOL", "PATTERN", "NAME", "TARGET", "MIDDLEWARE"});
  for (const auto& r : rows) {
    cells.push_back({r.protocol.empty() ? "*" : r.protocol, r.pattern.empty() ? "-" : r.pattern,
                     r.name.empty() ? "-" : r.name, r.target.empty() ? "-" : r.target,
                     r.middleware.empty() ? "-" : join(r.middleware, " > ")});
  }
  std::array<std::size_t, kColumns> width{};
  for (const auto& row : cells) {
    for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t c = 0; c < kColumns; ++c) {
      line += row[c];
      if (c + 1 < kColumns) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  if (rows.empty()) out += "(the application describes no routes)\n";
  return out;
}

}  // namespace laurel::cli
