// tools/cli/token_command.h
#pragma once

// `laurel token issue USER [--lifetime S] [--refresh]` prints an access token (and with
// --refresh a refresh token, stored hashed as /auth/token stores it) signed with the
// application's key and carrying simplejwt's claims, exactly what POST /auth/token issues.
// `laurel token revoke --user USER` revokes every refresh token of a user; `laurel token revoke`
// reads one refresh token on stdin and revokes its family (the chain of rotations it belongs
// to). With --redis both also close the user's live sockets. Access tokens already issued are
// stateless and stay valid until they expire; the command says so.

#include <cstdint>
#include <string>

#include "tools/cli/subcommand.h"

namespace laurel::cli {

class TokenCommand final : public Subcommand {
 public:
  std::string name() const override { return "token"; }
  std::string summary() const override {
    return "Issue an access (and refresh) token for a user, or revoke refresh tokens";
  }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;

  int input_fd = 0;  // where `revoke` reads a refresh token (tests: a pipe)

 private:
  int issue(const CommandContext& ctx);
  int revoke(const CommandContext& ctx);

  // Which of the two was named, recorded by CLI11 callbacks during the parse (the CLI::App
  // objects are gone by the time run() is called).
  enum class Action { kNone, kIssue, kRevoke };
  Action action_ = Action::kNone;
  std::string issue_user_;
  std::int64_t lifetime_ = 0;          // 0: the application's default (simplejwt's 5 minutes)
  std::int64_t refresh_lifetime_ = 0;  // 0: simplejwt's one day
  bool with_refresh_ = false;
  std::string revoke_user_;
};

}  // namespace laurel::cli
