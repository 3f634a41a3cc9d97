// tools/cli/token_command.cpp
#include "tools/cli/token_command.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "auth/jwt.h"
#include "auth/password_hashers.h"
#include "auth/refresh_token_store.h"
#include "auth/signing.h"
#include "tools/cli/app_files.h"
#include "tools/cli/secret_input.h"
#include "tools/cli/user_sockets.h"

namespace laurel::cli {
namespace {

constexpr std::int64_t kMaxLifetimeSeconds = 366LL * 86400;

std::string signing_key(const CommandContext& ctx, const std::string& database) {
  SecretKeyLookup found = find_secret_key(ctx.options, ctx.info, database);
  if (!found.key) throw CommandError(found.error);
  if (found.key->empty()) throw CommandError("the secret key (" + found.source + ") is empty");
  return *found.key;
}

void report_sockets(const CommandContext& ctx, std::int64_t user_id) {
  std::string why = close_user_sockets(ctx.options.redis_urls, user_id, "revoked");
  if (why.empty()) {
    ctx.out << "live sockets: told to close (4401) through Redis\n";
  } else {
    ctx.out << "live sockets: not reached (" << why << ")\n";
  }
  ctx.out << "access tokens already issued: valid until they expire (stateless JWTs)\n";
}

}  // namespace

void TokenCommand::add_options(CLI::App& cmd) {
  cmd.require_subcommand(1);
  action_ = Action::kNone;
  CLI::App* issue_cmd =
      cmd.add_subcommand("issue", "Print an access token for USER (as POST /auth/token)");
  issue_cmd->fallthrough();  // --database and the other application flags may follow
  issue_cmd->add_option("user", issue_user_, "Username")->required();
  issue_cmd->add_option("--lifetime", lifetime_, "Access token lifetime in seconds (default 300)")
      ->check(CLI::Range(std::int64_t{1}, kMaxLifetimeSeconds));
  issue_cmd->add_flag("--refresh", with_refresh_,
                   "Also issue a refresh token (printed on a second line; stored hashed, usable "
                   "once at POST /auth/refresh)");
  issue_cmd->add_option("--refresh-lifetime", refresh_lifetime_,
                     "Refresh token lifetime in seconds (default 86400)")
      ->check(CLI::Range(std::int64_t{1}, kMaxLifetimeSeconds));

  CLI::App* revoke_cmd = cmd.add_subcommand(
      "revoke", "Revoke a user's refresh tokens (--user), or the one refresh token on stdin");
  revoke_cmd->fallthrough();
  revoke_cmd->add_option("--user", revoke_user_, "Revoke every refresh token of this user");
  issue_cmd->callback([this] { action_ = Action::kIssue; });
  revoke_cmd->callback([this] { action_ = Action::kRevoke; });
}

int TokenCommand::run(const CommandContext& ctx) {
  if (action_ == Action::kIssue) return issue(ctx);
  if (action_ == Action::kRevoke) return revoke(ctx);
  ctx.err << "token: say `issue USER` or `revoke`\n";
  return 2;
}

int TokenCommand::issue(const CommandContext& ctx) {
  const std::string database = database_path(ctx.options, ctx.info);
  auto store = open_user_database(database);
  auth::UserPtr user = store->find_by_username(issue_user_);
  if (!user) {
    ctx.err << "token issue: user '" << issue_user_ << "' does not exist in " << database << "\n";
    return 1;
  }
  if (!user->is_active) {
    ctx.err << "token issue: user '" << issue_user_ << "' is inactive (POST /auth/token refuses "
            << "it too)\n";
    return 1;
  }
  if (!auth::is_password_usable(user->password)) {
    // Not refused: a service account without a password is what this command is for. Said, so
    // nobody mistakes it for a login.
    ctx.err << "token issue: note: '" << issue_user_ << "' has no usable password\n";
  }
  const std::string key = signing_key(ctx, database);
  const auto now = static_cast<std::int64_t>(auth::unix_now());
  const std::int64_t access_lifetime = lifetime_ > 0 ? lifetime_ : auth::kAccessTokenLifetimeSeconds;
  if (!with_refresh_) {
    // simplejwt's AccessToken.for_user: token_type, exp, iat, jti, user_id.
    ctx.out << auth::make_token("access", auth::Json(user->id), now, access_lifetime, key) << "\n";
    return 0;
  }
  // As /auth/token: a refresh token starting a new family, stored hashed, and the access token
  // made from it (same iat and user_id).
  const std::int64_t refresh_lifetime =
      refresh_lifetime_ > 0 ? refresh_lifetime_ : auth::kRefreshTokenLifetimeSeconds;
  std::string refresh = auth::make_token("refresh", auth::Json(user->id), now, refresh_lifetime, key);
  auth::JwtResult claims = auth::verify_jwt(refresh, key, static_cast<double>(now),
                                            auth::JwtVerifyOptions{.expected_type = "refresh"});
  if (!claims) throw CommandError("the refresh token just made does not verify");
  std::string access = auth::access_token_for(*claims.claims, now, key, access_lifetime);
  auth::RefreshTokenStore(database).add(refresh, auth::new_jti(), user->id,
                                        static_cast<double>(now),
                                        static_cast<double>(now + refresh_lifetime));
  ctx.out << access << "\n" << refresh << "\n";
  return 0;
}

int TokenCommand::revoke(const CommandContext& ctx) {
  const std::string database = database_path(ctx.options, ctx.info);
  if (!revoke_user_.empty()) {
    auto store = open_user_database(database);
    auth::UserPtr user = store->find_by_username(revoke_user_);
    if (!user) {
      ctx.err << "token revoke: user '" << revoke_user_ << "' does not exist in " << database
              << "\n";
      return 1;
    }
    std::size_t revoked = 0;
    if (probe_database(database).has_table("laurel_refresh_token")) {
      revoked = auth::RefreshTokenStore(database).revoke_user(user->id);
    }
    ctx.out << "refresh tokens of '" << user->username << "': " << revoked << " revoked\n";
    report_sockets(ctx, user->id);
    return 0;
  }
  // One token, from stdin only: a token on the command line would sit in shell history.
  std::string error;
  auto token = read_secret(input_fd, ctx.err, "Refresh token: ", &error);
  if (!token) {
    ctx.err << "token revoke: give --user USER, or the refresh token on stdin (" << error << ")\n";
    return 2;
  }
  std::string text(*token);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.erase(0, 1);
  if (!probe_database(database).has_table("laurel_refresh_token")) {
    ctx.err << "token revoke: " << database << " holds no refresh tokens\n";
    return 1;
  }
  auth::RefreshTokenStore tokens(database);
  std::string family = tokens.family_of(text);
  if (family.empty()) {
    ctx.err << "token revoke: unknown refresh token (not issued with this database)\n";
    return 1;
  }
  std::size_t revoked = tokens.revoke_family(family);
  ctx.out << "refresh token family revoked: " << revoked << " token"
          << (revoked == 1 ? "" : "s") << " (the one given and the rotations of the same login)\n";
  // The user's sockets (their group is per user, not per login). The user id is taken from the
  // token only when it verifies with the key, so a forged token cannot name another user.
  SecretKeyLookup found = find_secret_key(ctx.options, ctx.info, database);
  auth::JwtResult result;
  if (found.key) {
    result = auth::verify_jwt(text, *found.key, auth::unix_now(),
                              auth::JwtVerifyOptions{.expected_type = "refresh"});
  }
  if (auto uid = result ? result.claims->user_pk() : std::nullopt) {
    report_sockets(ctx, *uid);
  } else {
    ctx.out << "live sockets: not touched (the token is expired or does not verify with the key)\n";
  }
  return 0;
}

}  // namespace laurel::cli
