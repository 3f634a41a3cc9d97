// tools/cli/routes_command.cpp
#include "tools/cli/routes_command.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "tools/cli/routes_table.h"

namespace laurel::cli {

void RoutesCommand::add_options(CLI::App&) {}

int RoutesCommand::run(const CommandContext& ctx) {
  asgi::ApplicationPtr app = ctx.make_app(ctx.options);
  if (!app) {
    ctx.err << "routes: the application factory returned nothing\n";
    return 1;
  }
  ctx.out << format_routes(collect_routes(*app));
  return 0;
}

}  // namespace laurel::cli
