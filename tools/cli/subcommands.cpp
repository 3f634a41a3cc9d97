// tools/cli/subcommands.cpp
#include "tools/cli/subcommand.h"

#include "tools/cli/routes_command.h"

namespace laurel::cli {

std::vector<std::shared_ptr<Subcommand>> all_subcommands() {
  return {
      std::make_shared<RoutesCommand>(),
  };
}

}  // namespace laurel::cli
