// tools/cli/createuser_command.h
#pragma once

// `laurel createuser USERNAME [--email E] [--staff] [--superuser]`: adds a row to Django's
// auth_user with a pbkdf2_sha256 hash (auth/password_hashers.h), as Django's createsuperuser
// does. The password is typed twice with echo off, or read as one line from a pipe; it is never
// an argument and never printed.

#include <string>

#include "tools/cli/subcommand.h"

namespace laurel::cli {

class CreateUserCommand final : public Subcommand {
 public:
  std::string name() const override { return "createuser"; }
  std::string summary() const override {
    return "Create a user (password from the terminal, or one line on stdin)";
  }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;

  // Where the password is read from; a test points it at a pipe or a pseudo-terminal.
  int input_fd = 0;

 private:
  std::string username_;
  std::string email_;
  bool staff_ = false;
  bool superuser_ = false;
};

}  // namespace laurel::cli
