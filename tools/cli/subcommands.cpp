// tools/cli/subcommands.cpp
#include "tools/cli/subcommand.h"

#include "tools/cli/changepassword_command.h"
#include "tools/cli/check_command.h"
#include "tools/cli/createuser_command.h"
#include "tools/cli/routes_command.h"
#include "tools/cli/token_command.h"

namespace laurel::cli {

std::vector<std::shared_ptr<Subcommand>> all_subcommands() {
  return {
      std::make_shared<RoutesCommand>(),
      std::make_shared<CreateUserCommand>(),
      std::make_shared<ChangePasswordCommand>(),
      std::make_shared<TokenCommand>(),
      std::make_shared<CheckCommand>(),
  };
}

}  // namespace laurel::cli
