// tools/cli/changepassword_command.h
#pragma once

// `laurel changepassword USERNAME`: sets a new pbkdf2_sha256 hash, as Django's changepassword
// does, and ends what the old password opened: every session (their stored session auth hash no
// longer matches, as in Django), every refresh token of the user (laurel_refresh_token), and with
// --redis the user's live sockets (closed with 4401 "password_change").

#include <string>

#include "tools/cli/subcommand.h"

namespace laurel::cli {

class ChangePasswordCommand final : public Subcommand {
 public:
  std::string name() const override { return "changepassword"; }
  std::string summary() const override {
    return "Change a user's password and end their sessions and refresh tokens";
  }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;

  int input_fd = 0;  // where the password is read from (tests: a pipe or a pseudo-terminal)

 private:
  std::string username_;
};

}  // namespace laurel::cli
