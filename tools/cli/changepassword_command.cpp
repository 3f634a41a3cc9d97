// tools/cli/changepassword_command.cpp
#include "tools/cli/changepassword_command.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "auth/password_hashers.h"
#include "auth/refresh_token_store.h"
#include "tools/cli/app_files.h"
#include "tools/cli/secret_input.h"
#include "tools/cli/user_sockets.h"

namespace laurel::cli {

void ChangePasswordCommand::add_options(CLI::App& cmd) {
  cmd.add_option("username", username_, "The user whose password changes")->required();
}

int ChangePasswordCommand::run(const CommandContext& ctx) {
  const std::string database = database_path(ctx.options, ctx.info);
  auto store = open_user_database(database);
  auth::UserPtr user = store->find_by_username(username_);
  if (!user) {
    ctx.err << "changepassword: user '" << username_ << "' does not exist in " << database << "\n";
    return 1;
  }
  ctx.err << "Changing password for user '" << user->username << "'\n";
  std::string error;
  auto password = read_new_password(input_fd, ctx.err, &error);
  if (!password) {
    ctx.err << "changepassword: password unchanged: " << error << "\n";
    return 1;
  }
  if (!store->set_password(user->id, auth::make_password(*password))) {
    ctx.err << "changepassword: user '" << username_ << "' was deleted meanwhile\n";
    return 1;
  }
  ctx.out << "Password changed successfully for user '" << user->username << "'.\n";
  ctx.out << "sessions: ended (their session auth hash no longer matches the password)\n";

  std::size_t revoked = 0;
  if (probe_database(database).has_table("laurel_refresh_token")) {
    revoked = auth::RefreshTokenStore(database).revoke_user(user->id);
  }
  ctx.out << "refresh tokens: " << revoked << " revoked\n";

  std::string why = close_user_sockets(ctx.options.redis_urls, user->id, "password_change");
  if (why.empty()) {
    ctx.out << "live sockets: told to close (4401) through Redis\n";
  } else {
    ctx.out << "live sockets: not reached (" << why << "); open ones stay open (one opened with "
            << "an access token closes when the token expires)\n";
  }
  ctx.out << "access tokens already issued: valid until they expire (stateless JWTs)\n";
  return 0;
}

}  // namespace laurel::cli
