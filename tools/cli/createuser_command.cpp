// tools/cli/createuser_command.cpp
#include "tools/cli/createuser_command.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <ostream>

#include "auth/password_hashers.h"
#include "tools/cli/app_files.h"
#include "tools/cli/secret_input.h"

namespace laurel::cli {
namespace {

// Django's UnicodeUsernameValidator: letters, digits and @ . + - _ (bytes above ASCII are
// taken as letters of a UTF-8 name).
bool valid_username(const std::string& name) {
  for (unsigned char c : name) {
    bool ok = c >= 0x80 || std::isalnum(c) || c == '@' || c == '.' || c == '+' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return !name.empty();
}

}  // namespace

void CreateUserCommand::add_options(CLI::App& cmd) {
  cmd.add_option("username", username_, "Login name (Django's auth_user.username)")->required();
  cmd.add_option("--email", email_, "Email address (the domain part is lower-cased, as Django)");
  cmd.add_flag("--staff", staff_, "Mark the user as staff (is_staff)");
  cmd.add_flag("--superuser", superuser_,
               "Make the user a superuser (is_superuser and is_staff, as createsuperuser)");
}

int CreateUserCommand::run(const CommandContext& ctx) {
  if (username_.empty() || username_.size() > 150) {
    ctx.err << "createuser: the username must be 1 to 150 characters (Django's limit)\n";
    return 2;
  }
  if (!valid_username(username_)) {
    ctx.err << "createuser: Enter a valid username: letters, numbers, and @/./+/-/_ only\n";
    return 2;
  }
  const std::string database = database_path(ctx.options, ctx.info);
  auto store = open_user_database(database);
  // Checked before asking for the password, so nobody types one for nothing.
  if (store->find_by_username(username_)) {
    ctx.err << "createuser: Error: That username is already taken: '" << username_ << "' exists in "
            << database << "\n";
    return 1;
  }
  std::string error;
  auto password = read_new_password(input_fd, ctx.err, &error);
  if (!password) {
    ctx.err << "createuser: no password: " << error << "\n";
    return 1;
  }
  auth::NewUser user;
  user.username = username_;
  user.password_hash = auth::make_password(*password);
  user.email = auth::normalize_email(email_);
  user.is_superuser = superuser_;
  user.is_staff = staff_ || superuser_;
  try {
    auth::UserPtr created = store->create_user(user);
    ctx.out << "Created user '" << created->username << "' (id " << created->id
            << (created->is_superuser ? ", superuser" : created->is_staff ? ", staff" : "")
            << ") in " << database << "\n";
  } catch (const auth::UserExistsError&) {
    // Someone else created it while the password was typed.
    ctx.err << "createuser: Error: That username is already taken: '" << username_ << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace laurel::cli
