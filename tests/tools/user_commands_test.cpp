// tests/tools/user_commands_test.cpp
// createuser, changepassword, token and check run as the command line runs them (parsed by
// parse_command_line, then run with a CommandContext) on temporary databases and key files;
// passwords and tokens come through pipes, never argv (reading them: secret_input_test.cpp).

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <vector>

#include "auth/encoding.h"
#include "auth/jwt.h"
#include "auth/password_hashers.h"
#include "auth/refresh_token_store.h"
#include "auth/signing.h"
#include "auth/sqlite_user_store.h"
#include <openssl/ssl.h>

#include "tests/server/test_cert.h"
#include "tests/tools/input_pipe.h"
#include "tools/cli/app_files.h"
#include "tools/cli/changepassword_command.h"
#include "tools/cli/check_command.h"
#include "tools/cli/command_line.h"
#include "tools/cli/createuser_command.h"
#include "tools/cli/redis_ping.h"
#include "tools/cli/secret_input.h"
#include "tools/cli/token_command.h"

namespace laurel::cli {
namespace {

namespace fs = std::filesystem;
using Status = auth::RefreshTokenStore::Status;
using test::InputPipe;

// A temporary directory holding the "application's" database (Django's schema) and key file,
// laid out as the demo lays them out: <db> and <db>.secret-key.
class UserCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/laurel-usercmd-XXXXXX";
    dir_ = mkdtemp(tmpl);
    db_ = dir_ + "/app.sqlite3";
    {
      auth::SqliteUserStore::Options options;
      options.create_schema = true;
      auth::SqliteUserStore store(db_, options);
    }
    key_ = auth::random_string(50, "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)");
    write_file(db_ + ".secret-key", key_ + "\n", 0600);
    info_.default_database = db_;
    info_.secret_key_file_suffix = ".secret-key";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write_file(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }

  // Runs `args` as `laurel args...` with the password/token input on `input_fd`.
  int run(std::vector<std::string> args, int input_fd = -1) {
    out_.str("");
    err_.str("");
    ParseResult parsed = parse_command_line(args, "laurel");
    EXPECT_EQ(parsed.action, ParseResult::Action::kCommand) << parsed.output;
    if (parsed.action != ParseResult::Action::kCommand) return -1;
    if (auto c = std::dynamic_pointer_cast<CreateUserCommand>(parsed.command)) c->input_fd = input_fd;
    if (auto c = std::dynamic_pointer_cast<ChangePasswordCommand>(parsed.command)) {
      c->input_fd = input_fd;
    }
    if (auto c = std::dynamic_pointer_cast<TokenCommand>(parsed.command)) c->input_fd = input_fd;
    AppFactory no_app = [](const CliOptions&) { return asgi::ApplicationPtr{}; };
    return parsed.command->run(CommandContext{parsed.options, info_, no_app, out_, err_});
  }

  auth::UserPtr user(const std::string& name) {
    return auth::SqliteUserStore(db_).find_by_username(name);
  }

  int create(const std::string& name, const std::string& password) {
    InputPipe in(password + "\n");
    return run({"createuser", name}, in.fd());
  }

  std::string dir_, db_, key_;
  ProgramInfo info_;
  std::ostringstream out_, err_;
};

// --- createuser ---

TEST_F(UserCommands, CreateUserWritesADjangoPbkdf2HashFromStdin) {
  InputPipe in("s3cret pass\n");
  ASSERT_EQ(run({"createuser", "alice", "--email", "Alice@EXAMPLE.com", "--superuser"}, in.fd()),
            0)
      << err_.str();
  auth::UserPtr alice = user("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->password.rfind("pbkdf2_sha256$" + std::to_string(auth::kDefaultPbkdf2Iterations) +
                                      "$",
                                  0),
            0u)
      << alice->password;
  EXPECT_TRUE(auth::check_password("s3cret pass", alice->password));
  EXPECT_FALSE(auth::check_password("s3cret pas", alice->password));
  EXPECT_EQ(alice->email, "Alice@example.com");
  EXPECT_TRUE(alice->is_superuser);
  EXPECT_TRUE(alice->is_staff);
  EXPECT_TRUE(alice->is_active);
  EXPECT_EQ(out_.str().find("s3cret"), std::string::npos);
  EXPECT_EQ(err_.str().find("s3cret"), std::string::npos);
  EXPECT_NE(out_.str().find("Created user 'alice'"), std::string::npos) << out_.str();
}

TEST_F(UserCommands, CreateUserStaffFlagAndPlainUser) {
  InputPipe a("pw-one\n");
  ASSERT_EQ(run({"createuser", "bob", "--staff"}, a.fd()), 0) << err_.str();
  EXPECT_TRUE(user("bob")->is_staff);
  EXPECT_FALSE(user("bob")->is_superuser);
  InputPipe b("pw-two\n");
  ASSERT_EQ(run({"createuser", "carol"}, b.fd()), 0) << err_.str();
  EXPECT_FALSE(user("carol")->is_staff);
}

TEST_F(UserCommands, ExistingUsernameExitsOneWithoutReadingThePassword) {
  ASSERT_EQ(create("alice", "first"), 0);
  std::string before = user("alice")->password;
  InputPipe in("second\n");
  EXPECT_EQ(run({"createuser", "alice"}, in.fd()), 1);
  EXPECT_NE(err_.str().find("already taken"), std::string::npos) << err_.str();
  EXPECT_EQ(in.rest(), "second\n");
  EXPECT_EQ(user("alice")->password, before);
}

TEST_F(UserCommands, BlankPasswordOrNoInputCreatesNothing) {
  InputPipe blank("\n");
  EXPECT_EQ(run({"createuser", "nobody"}, blank.fd()), 1);
  InputPipe none("");
  EXPECT_EQ(run({"createuser", "nobody"}, none.fd()), 1);
  EXPECT_FALSE(user("nobody"));
}

TEST_F(UserCommands, MissingDatabaseOrSchemaIsACommandError) {
  InputPipe in("pw\n");
  EXPECT_THROW(run({"createuser", "x", "--database", dir_ + "/nope.sqlite3"}, in.fd()),
               CommandError);
  EXPECT_FALSE(fs::exists(dir_ + "/nope.sqlite3")) << "a typo must not create a database";
  std::string empty_db = dir_ + "/empty.sqlite3";
  { auth::SqliteUserStore store(empty_db); }  // a file without Django's tables
  EXPECT_THROW(run({"createuser", "x", "--database", empty_db}, in.fd()), CommandError);
  info_.default_database.clear();
  EXPECT_THROW(run({"createuser", "x"}, in.fd()), CommandError);
}

TEST_F(UserCommands, UsernameFollowsDjangosValidator) {
  InputPipe a("pw\n");
  EXPECT_EQ(run({"createuser", "bad name"}, a.fd()), 2);
  EXPECT_FALSE(user("bad name"));
  InputPipe b("pw\n");
  EXPECT_EQ(run({"createuser", "j.doe+ops@example-1_x"}, b.fd()), 0) << err_.str();
}

TEST_F(UserCommands, UsernameIsRequired) {
  ParseResult parsed = parse_command_line({"createuser"}, "laurel");
  EXPECT_EQ(parsed.action, ParseResult::Action::kExit);
  EXPECT_EQ(parsed.exit_code, 2);
}

// --- changepassword ---

TEST_F(UserCommands, ChangePasswordReplacesTheHashAndRevokesRefreshTokens) {
  ASSERT_EQ(create("alice", "old-password"), 0);
  auth::UserPtr alice = user("alice");
  auth::RefreshTokenStore tokens(db_);
  double now = auth::unix_now();
  tokens.add("refresh-a", "family-a", alice->id, now, now + 3600);
  tokens.add("refresh-b", "family-b", alice->id, now, now + 3600);

  InputPipe in("new-password\n");
  ASSERT_EQ(run({"changepassword", "alice"}, in.fd()), 0) << err_.str();
  auth::UserPtr changed = user("alice");
  EXPECT_FALSE(auth::check_password("old-password", changed->password));
  EXPECT_TRUE(auth::check_password("new-password", changed->password));
  EXPECT_NE(out_.str().find("refresh tokens: 2 revoked"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("live sockets: not reached (no --redis"), std::string::npos)
      << out_.str();
  EXPECT_EQ(out_.str().find("new-password"), std::string::npos);
  EXPECT_NE(tokens.consume("refresh-a", now).status, Status::kOk);
  EXPECT_NE(tokens.consume("refresh-b", now).status, Status::kOk);
}

TEST_F(UserCommands, ChangePasswordOfUnknownUserOrBlankPasswordChangesNothing) {
  InputPipe in("pw\n");
  EXPECT_EQ(run({"changepassword", "ghost"}, in.fd()), 1);
  EXPECT_NE(err_.str().find("does not exist"), std::string::npos);
  ASSERT_EQ(create("alice", "keep-me"), 0);
  InputPipe blank("\n");
  EXPECT_EQ(run({"changepassword", "alice"}, blank.fd()), 1);
  EXPECT_TRUE(auth::check_password("keep-me", user("alice")->password));
}

// --- token ---

TEST_F(UserCommands, TokenIssuePrintsAnAccessTokenSignedWithTheAppKey) {
  ASSERT_EQ(create("alice", "pw"), 0);
  ASSERT_EQ(run({"token", "issue", "alice", "--lifetime", "120"}), 0) << err_.str();
  std::string token = out_.str();
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(token.back(), '\n');
  token.pop_back();
  EXPECT_EQ(token.find('\n'), std::string::npos) << "one line: the token";
  auth::JwtResult result = auth::verify_jwt(token, key_, auth::unix_now());
  ASSERT_TRUE(result) << auth::jwt_error_name(result.error);
  EXPECT_EQ(result.claims->token_type, "access");
  EXPECT_EQ(result.claims->user_pk(), user("alice")->id);
  EXPECT_EQ(result.claims->exp - result.claims->iat, 120);
  EXPECT_EQ(result.claims->jti.size(), 32u);
  EXPECT_FALSE(auth::verify_jwt(token, key_ + "x", auth::unix_now()));
}

TEST_F(UserCommands, TokenIssueDefaultsToSimplejwtLifetimeAndTakesFlagsAfterTheUser) {
  ASSERT_EQ(create("alice", "pw"), 0);
  std::string other_key = auth::random_string(60, auth::kAlphanumeric);
  write_file(dir_ + "/other.key", other_key, 0600);
  ASSERT_EQ(run({"token", "issue", "alice", "--secret-key-file", dir_ + "/other.key"}), 0)
      << err_.str();
  std::string token = out_.str().substr(0, out_.str().size() - 1);
  auth::JwtResult result = auth::verify_jwt(token, other_key, auth::unix_now());
  ASSERT_TRUE(result) << auth::jwt_error_name(result.error);
  EXPECT_EQ(result.claims->exp - result.claims->iat, auth::kAccessTokenLifetimeSeconds);
}

TEST_F(UserCommands, TokenIssueWithRefreshStoresItAsTheRefreshEndpointExpects) {
  ASSERT_EQ(create("alice", "pw"), 0);
  ASSERT_EQ(run({"token", "issue", "alice", "--refresh"}), 0) << err_.str();
  std::istringstream lines(out_.str());
  std::string access, refresh, extra;
  std::getline(lines, access);
  std::getline(lines, refresh);
  EXPECT_FALSE(std::getline(lines, extra));
  double now = auth::unix_now();
  auth::JwtResult a = auth::verify_jwt(access, key_, now);
  auth::JwtResult r = auth::verify_jwt(refresh, key_, now, {.expected_type = "refresh"});
  ASSERT_TRUE(a);
  ASSERT_TRUE(r);
  EXPECT_EQ(a.claims->iat, r.claims->iat) << "access made from the refresh token, as simplejwt";
  EXPECT_EQ(r.claims->user_pk(), user("alice")->id);
  auth::RefreshTokenStore tokens(db_);
  auto consumed = tokens.consume(refresh, now);
  EXPECT_EQ(consumed.status, Status::kOk);
  EXPECT_EQ(consumed.user_id, user("alice")->id);
}

TEST_F(UserCommands, TokenIssueRefusesUnknownAndInactiveUsersAndAMissingKey) {
  EXPECT_EQ(run({"token", "issue", "ghost"}), 1);
  ASSERT_EQ(create("alice", "pw"), 0);
  EXPECT_THROW(run({"token", "issue", "alice", "--secret-key-file", dir_ + "/none"}),
               CommandError);
  EXPECT_EQ(out_.str(), "") << "no token without the key";
}

TEST_F(UserCommands, TokenRevokeUserRevokesEveryRefreshToken) {
  ASSERT_EQ(create("alice", "pw"), 0);
  ASSERT_EQ(run({"token", "issue", "alice", "--refresh"}), 0);
  std::string refresh = out_.str().substr(out_.str().find('\n') + 1);
  refresh.pop_back();
  ASSERT_EQ(run({"token", "revoke", "--user", "alice"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("1 revoked"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("access tokens already issued: valid until they expire"),
            std::string::npos);
  EXPECT_NE(auth::RefreshTokenStore(db_).consume(refresh, auth::unix_now()).status, Status::kOk);
  EXPECT_EQ(run({"token", "revoke", "--user", "ghost"}), 1);
}

TEST_F(UserCommands, TokenRevokeReadsOneTokenFromStdinAndRevokesItsFamily) {
  ASSERT_EQ(create("alice", "pw"), 0);
  ASSERT_EQ(run({"token", "issue", "alice", "--refresh"}), 0);
  std::string first = out_.str().substr(out_.str().find('\n') + 1);
  ASSERT_EQ(run({"token", "issue", "alice", "--refresh"}), 0);
  std::string second = out_.str().substr(out_.str().find('\n') + 1);
  second.pop_back();

  InputPipe in(first);
  ASSERT_EQ(run({"token", "revoke"}, in.fd()), 0) << err_.str();
  EXPECT_NE(out_.str().find("family revoked: 1 token"), std::string::npos) << out_.str();
  first.pop_back();
  auth::RefreshTokenStore tokens(db_);
  EXPECT_NE(tokens.consume(first, auth::unix_now()).status, Status::kOk);
  EXPECT_EQ(tokens.consume(second, auth::unix_now()).status, Status::kOk) << "other login intact";

  InputPipe bogus("not-a-token\n");
  EXPECT_EQ(run({"token", "revoke"}, bogus.fd()), 1);
  InputPipe nothing("");
  EXPECT_EQ(run({"token", "revoke"}, nothing.fd()), 2);
}

TEST_F(UserCommands, TokenNeedsIssueOrRevoke) {
  ParseResult parsed = parse_command_line({"token"}, "laurel");
  EXPECT_EQ(parsed.action, ParseResult::Action::kExit);
  EXPECT_EQ(parsed.exit_code, 2);
  parsed = parse_command_line({"token", "issue"}, "laurel");
  EXPECT_EQ(parsed.exit_code, 2) << "issue needs a user";
}

// --- check ---

TEST(SecretKeyStrength, FollowsDjangosRule) {
  EXPECT_EQ(secret_key_weakness(std::string(50, 'a') + "bcde"), "");
  EXPECT_NE(secret_key_weakness(std::string(49, 'a') + "b"), "");                 // 49+1 < 50
  EXPECT_NE(secret_key_weakness(std::string(60, 'a') + "bcd"), "");               // 4 distinct
  EXPECT_NE(secret_key_weakness("django-insecure-" + auth::random_string(50, auth::kAlphanumeric)),
            "");
}

TEST_F(UserCommands, CheckPassesAGoodSetupWithOnlyWarnings) {
  server::testing::TestCert cert = server::testing::make_test_cert();
  int rc = run({"check", "--allowed-hosts", "chat.example.com", "--tls-cert", cert.cert_file,
                "--tls-key", cert.key_file});
  std::string text = out_.str();
  server::testing::remove_test_cert(cert);
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("OK   secret key: 50 characters"), std::string::npos) << text;
  EXPECT_NE(text.find("OK   allowed hosts: chat.example.com"), std::string::npos) << text;
  // The throw-away certificate expires within the hour: a warning, not a failure.
  EXPECT_NE(text.find("WARN tls " + cert.cert_file + ": the certificate expires"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("OK   database " + db_), std::string::npos) << text;
  EXPECT_EQ(text.find("FAIL"), std::string::npos) << text;
  EXPECT_EQ(text.find(key_), std::string::npos) << "the key is never printed";
}

TEST_F(UserCommands, CheckFailsOnWeakKeyMissingTablesBadTlsAndDeadRedis) {
  write_file(dir_ + "/weak.key", "short-key\n", 0644);
  std::string bare_db = dir_ + "/bare.sqlite3";
  { auth::SqliteUserStore store(bare_db); }
  server::testing::TestCert one = server::testing::make_test_cert();
  server::testing::TestCert two = server::testing::make_test_cert();
  // A port nobody listens on: bound, then closed.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(s);

  int rc = run({"check", "--secret-key-file", dir_ + "/weak.key", "--database", bare_db,
                "--tls-cert", one.cert_file, "--tls-key", two.key_file, "--redis",
                "redis://:hunter2@127.0.0.1:" + std::to_string(port) + "/0"});
  std::string text = out_.str();
  server::testing::remove_test_cert(one);
  server::testing::remove_test_cert(two);
  EXPECT_EQ(rc, 1) << text;
  EXPECT_NE(text.find("FAIL secret key: only 9 characters"), std::string::npos) << text;
  EXPECT_NE(text.find("WARN allowed hosts: not set"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL tls " + one.cert_file + ": the key does not belong"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("FAIL redis redis://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << "no Redis password in the output";
  EXPECT_NE(text.find("FAIL database " + bare_db + ": no table auth_user, django_session"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("check: 4 failed"), std::string::npos) << text;
}

TEST_F(UserCommands, CheckFailsWithoutKeyOrDatabaseAndOnUnreadableTls) {
  fs::remove(db_ + ".secret-key");
  fs::remove(db_);
  int rc = run({"check", "--tls-cert", dir_ + "/missing.pem", "--tls-key", dir_ + "/k.pem"});
  std::string text = out_.str();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(text.find("FAIL secret key: no secret key file"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL tls " + dir_ + "/missing.pem: cannot read"), std::string::npos)
      << text;
  EXPECT_NE(text.find("FAIL database " + db_ + ": does not exist"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(db_ + ".secret-key")) << "check never creates a key";
  EXPECT_FALSE(fs::exists(db_)) << "check never creates a database";
}

TEST(RedisPing, RefusedPortFailsWithinTheDeadline) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(s, 1);  // accepts the TCP connection but never answers PING
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto start = std::chrono::steady_clock::now();
  std::string why = redis_ping(url, std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  ::close(s);
  EXPECT_NE(why, "");
  EXPECT_NE(why.find("no answer"), std::string::npos) << why;
  EXPECT_LT(took, std::chrono::seconds(5)) << "bounded by the deadline";
  EXPECT_NE(redis_ping(url, std::chrono::milliseconds(300)), "") << "closed port refused";
}

}  // namespace
}  // namespace laurel::cli
