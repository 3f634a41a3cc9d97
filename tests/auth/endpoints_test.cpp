// tests/auth/endpoints_test.cpp
// POST /auth/token, /auth/refresh, /auth/login, /auth/logout, /auth/ticket through the
// in-process HTTP communicator: uniform errors, rotation and family revocation, Django's
// session row and cookie flags, CSRF, and the hash upgrade on login.

#include <gtest/gtest.h>

#include <cmath>

#include "auth/endpoints.h"
#include "auth/signing.h"
#include "auth/sqlite_user_store.h"
#include "testing/testing.h"

namespace laurel::auth {
namespace {

using testing::HttpCommunicator;
constexpr const char* kPassword = "correct horse battery staple";

class Endpoints : public ::testing::Test {
 protected:
  double now = std::floor(unix_now()) + 0.5;
  std::shared_ptr<SqliteUserStore> store;
  std::shared_ptr<AuthConfig> config = std::make_shared<AuthConfig>();
  UserPtr alice;

  Endpoints() {
    SqliteUserStore::Options options;
    options.create_schema = true;
    store = std::make_shared<SqliteUserStore>(":memory:", options);
    config->users = std::make_shared<AsyncUserStore>(store);
    config->keys.secret_key = "laurel-test-secret-key";
    config->refresh_tokens = std::make_shared<RefreshTokenStore>(":memory:");
    config->policy.pbkdf2_iterations = 1000;
    config->clock = [this] { return now; };
    alice = store->create_user(NewUser{"alice", make_password(kPassword, config->policy)});
  }

  HttpCommunicator::Response post(Endpoint which, const std::string& body,
                                  asgi::Headers headers = {{"content-type", "application/json"}},
                                  const std::string& scheme = "http") {
    HttpCommunicator comm(auth_endpoint(which, config), "POST", "/auth/x", body,
                          std::move(headers));
    comm.scope()["scheme"] = scheme;
    return comm.get_response(std::chrono::seconds(5));
  }
  HttpCommunicator::Response credentials(Endpoint which, const std::string& user,
                                         const std::string& password, asgi::Headers extra = {},
                                         const std::string& scheme = "http") {
    asgi::Headers headers = {{"content-type", "application/json"}};
    for (auto& h : extra) headers.push_back(h);
    return post(which, asgi::Value{{"username", user}, {"password", password}}.to_json(),
                std::move(headers), scheme);
  }
  static asgi::Value json(const HttpCommunicator::Response& r) {
    return asgi::Value::from_json(r.body);
  }
  static std::vector<std::string> set_cookies(const HttpCommunicator::Response& r) {
    std::vector<std::string> out;
    for (const auto& [name, value] : r.headers) {
      if (name == "set-cookie") out.push_back(value);
    }
    return out;
  }
};

TEST_F(Endpoints, TokenGivesSimpleJwtCompatiblePair) {
  auto r = credentials(Endpoint::kToken, "alice", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json(r);
  EXPECT_EQ(body["expires_in"].as_int(), 300);
  auto access = verify_jwt(body["access"].as_string(), config->signing_key(), now);
  ASSERT_TRUE(access);
  EXPECT_EQ(access.claims->user_pk(), alice->id);
  EXPECT_EQ(access.claims->exp, static_cast<std::int64_t>(now) + 300);
  JwtVerifyOptions refresh_options;
  refresh_options.expected_type = "refresh";
  EXPECT_TRUE(verify_jwt(body["refresh"].as_string(), config->signing_key(), now, refresh_options));
  EXPECT_EQ(r.header("cache-control"), "no-store");
}

TEST_F(Endpoints, WrongPasswordAndUnknownUserAreIndistinguishable) {
  auto wrong = credentials(Endpoint::kToken, "alice", "not the password");
  auto unknown = credentials(Endpoint::kToken, "nobody", "not the password");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.status, unknown.status);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.headers, unknown.headers);
  auto wrong_login = credentials(Endpoint::kLogin, "alice", "nope", {});
  EXPECT_EQ(wrong_login.status, 403);  // CSRF comes first for the cookie login
}

TEST_F(Endpoints, MissingFieldsAre400AndErrorsNeverEchoCredentials) {
  auto r = post(Endpoint::kToken, "{\"username\": \"alice\"}");
  EXPECT_EQ(r.status, 400);
  auto wrong = credentials(Endpoint::kToken, "alice", "s3cret-guess");
  EXPECT_EQ(wrong.body.find("s3cret-guess"), std::string::npos);
  EXPECT_EQ(wrong.body.find("alice"), std::string::npos);
}

TEST_F(Endpoints, FormBodyIsAccepted) {
  auto r = post(Endpoint::kToken, "username=alice&password=correct+horse+battery%20staple",
                {{"content-type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Endpoints, RefreshRotatesAndReuseRevokesTheFamily) {
  auto first = json(credentials(Endpoint::kToken, "alice", kPassword));
  std::string r1(first["refresh"].as_string());
  now += 1;
  auto second = post(Endpoint::kRefresh, asgi::Value{{"refresh", r1}}.to_json());
  ASSERT_EQ(second.status, 200) << second.body;
  std::string r2(json(second)["refresh"].as_string());
  EXPECT_NE(r1, r2);
  EXPECT_TRUE(verify_jwt(json(second)["access"].as_string(), config->signing_key(), now));

  // r1 again: someone else holds it. The whole family dies, r2 included.
  auto replay = post(Endpoint::kRefresh, asgi::Value{{"refresh", r1}}.to_json());
  EXPECT_EQ(replay.status, 401);
  auto after = post(Endpoint::kRefresh, asgi::Value{{"refresh", r2}}.to_json());
  EXPECT_EQ(after.status, 401);

  // Another login is another family and still works.
  auto other = json(credentials(Endpoint::kToken, "alice", kPassword));
  EXPECT_EQ(post(Endpoint::kRefresh, asgi::Value{{"refresh", other["refresh"]}}.to_json()).status,
            200);
}

TEST_F(Endpoints, RefreshTokensAreStoredHashed) {
  auto pair = json(credentials(Endpoint::kToken, "alice", kPassword));
  std::string refresh(pair["refresh"].as_string());
  EXPECT_FALSE(config->refresh_tokens->family_of(refresh).empty());
  // The store is keyed by SHA-256: the token text itself is not what it holds.
  EXPECT_EQ(hash_refresh_token(refresh).size(), 64u);
  EXPECT_NE(hash_refresh_token(refresh), refresh);
}

TEST_F(Endpoints, ExpiredOrTamperedRefreshIsRefused) {
  auto pair = json(credentials(Endpoint::kToken, "alice", kPassword));
  std::string refresh(pair["refresh"].as_string());
  std::string tampered = refresh;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(post(Endpoint::kRefresh, asgi::Value{{"refresh", tampered}}.to_json()).status, 401);
  EXPECT_EQ(post(Endpoint::kRefresh, asgi::Value{{"refresh", pair["access"]}}.to_json()).status,
            401);  // an access token is not a refresh token
  now += kRefreshTokenLifetimeSeconds + 1;
  EXPECT_EQ(post(Endpoint::kRefresh, asgi::Value{{"refresh", refresh}}.to_json()).status, 401);
}

TEST_F(Endpoints, LoginNeedsCsrfDoubleSubmit) {
  EXPECT_EQ(credentials(Endpoint::kLogin, "alice", kPassword).status, 403);
  std::string secret = new_csrf_secret();
  auto mismatched = credentials(Endpoint::kLogin, "alice", kPassword,
                                {{"cookie", "csrftoken=" + secret},
                                 {"x-csrftoken", new_csrf_secret()}});
  EXPECT_EQ(mismatched.status, 403);
  auto foreign = credentials(Endpoint::kLogin, "alice", kPassword,
                             {{"cookie", "csrftoken=" + secret},
                              {"x-csrftoken", secret},
                              {"host", "chat.example.com"},
                              {"origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
}

TEST_F(Endpoints, GetLoginHandsOutTheCsrfCookie) {
  HttpCommunicator comm(auth_endpoint(Endpoint::kLogin, config), "GET", "/auth/login");
  auto r = comm.get_response();
  ASSERT_EQ(r.status, 200);
  std::string token(json(r)["csrftoken"].as_string());
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(r.header("set-cookie").rfind("csrftoken=" + token + ";", 0), 0u);
}

TEST_F(Endpoints, LoginWritesADjangoSessionAndSafeCookie) {
  std::string secret = new_csrf_secret();
  auto r = credentials(Endpoint::kLogin, "alice", kPassword,
                       {{"cookie", "csrftoken=" + secret},
                        {"x-csrftoken", secret},
                        {"host", "chat.example.com"},
                        {"origin", "http://chat.example.com"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto cookies = set_cookies(r);
  ASSERT_EQ(cookies.size(), 2u);
  const std::string& session_cookie = cookies[0];
  ASSERT_EQ(session_cookie.rfind("sessionid=", 0), 0u);
  EXPECT_NE(session_cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(session_cookie.find("; SameSite=Lax"), std::string::npos);
  EXPECT_NE(session_cookie.find("; Path=/"), std::string::npos);
  EXPECT_NE(session_cookie.find("Max-Age=1209600"), std::string::npos);
  EXPECT_EQ(session_cookie.find("Secure"), std::string::npos);  // plain http
  std::string key = session_cookie.substr(10, 32);
  auto row = store->load_session(key, timestamp_from_unix(now));
  ASSERT_TRUE(row.has_value());
  auto data = decode_session(row->session_data, config->keys);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ((*data)["_auth_user_id"], std::to_string(alice->id));
  EXPECT_EQ((*data)["_auth_user_backend"], std::string(kModelBackend));
  EXPECT_TRUE(session_hash_matches(*data, alice->password, config->keys));
  // login() sets last_login, as Django does.
  EXPECT_TRUE(store->find_by_id(alice->id)->last_login.has_value());
}

TEST_F(Endpoints, LoginCookiesAreSecureUnderHttps) {
  std::string secret = new_csrf_secret();
  auto r = credentials(Endpoint::kLogin, "alice", kPassword,
                       {{"cookie", "csrftoken=" + secret}, {"x-csrftoken", secret}}, "https");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const auto& c : set_cookies(r)) EXPECT_NE(c.find("; Secure"), std::string::npos) << c;
}

TEST_F(Endpoints, TicketNeedsAuthenticationAndIsSingleUse) {
  EXPECT_EQ(post(Endpoint::kTicket, "{}").status, 403);  // no bearer: a cookie request, no CSRF
  auto pair = json(credentials(Endpoint::kToken, "alice", kPassword));
  auto r = post(Endpoint::kTicket, "{}",
                {{"authorization", "Bearer " + std::string(pair["access"].as_string())}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string ticket(json(r)["ticket"].as_string());
  EXPECT_EQ(json(r)["expires_in"].as_int(), 10);
  EXPECT_EQ(config->tickets->redeem(ticket, now), alice->id);
  EXPECT_FALSE(config->tickets->redeem(ticket, now).has_value());
  auto bad = post(Endpoint::kTicket, "{}", {{"authorization", "Bearer nonsense"}});
  EXPECT_EQ(bad.status, 401);
}

TEST_F(Endpoints, LogoutWithBearerRevokesTokensEverywhere) {
  auto pair = json(credentials(Endpoint::kToken, "alice", kPassword));
  now += 2;
  auto r = post(Endpoint::kLogout, "{}", {{"authorization", "Bearer " + std::string(pair["access"].as_string())}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto access = verify_jwt(std::string(pair["access"].as_string()), config->signing_key(), now);
  ASSERT_TRUE(access);  // still a valid JWT ...
  EXPECT_FALSE(config->revoked->token_valid(alice->id, static_cast<double>(access.claims->iat)));
  EXPECT_EQ(post(Endpoint::kRefresh, asgi::Value{{"refresh", pair["refresh"]}}.to_json()).status,
            401);  // ... but refused, and its refresh token is dead
}

TEST_F(Endpoints, LoginRightAfterALogoutGetsATokenThatWorks) {
  // Real time here: the endpoint waits out the logout's second on the loop's clock.
  config->clock = [] { return unix_now(); };
  auto first = json(credentials(Endpoint::kToken, "alice", kPassword));
  auto out = post(Endpoint::kLogout, "{}", {{"authorization", "Bearer " + std::string(first["access"].as_string())}});
  ASSERT_EQ(out.status, 200) << out.body;
  auto again = json(credentials(Endpoint::kToken, "alice", kPassword));
  auto access = verify_jwt(again["access"].as_string(), config->signing_key(), unix_now());
  ASSERT_TRUE(access);
  EXPECT_TRUE(config->revoked->token_valid(alice->id, static_cast<double>(access.claims->iat)));
}

TEST_F(Endpoints, LoginUpgradesAnOutdatedHash) {
  store->set_password(alice->id, make_pbkdf2_sha256(kPassword, "oldsaltoldsaltoldsalt0", 100));
  auto r = credentials(Endpoint::kToken, "alice", kPassword);
  ASSERT_EQ(r.status, 200);
  std::string stored = store->find_by_id(alice->id)->password;
  EXPECT_EQ(stored.rfind("pbkdf2_sha256$1000$", 0), 0u) << stored;
  EXPECT_TRUE(check_password(kPassword, stored, config->policy));
}

TEST(CsrfTokens, MaskedAndUnmaskedFormsMatchTheirSecret) {
  std::string secret = "abcdefghijklmnopqrstuvwxyzABCDEF";
  // Django's _mask_cipher_secret with the mask "0123...": each char shifted by the mask's.
  std::string mask = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
  const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string masked;
  for (std::size_t i = 0; i < 32; ++i) {
    masked += chars[(chars.find(secret[i]) + chars.find(mask[i])) % chars.size()];
  }
  EXPECT_TRUE(csrf_tokens_match(secret, mask + masked));
  EXPECT_TRUE(csrf_tokens_match(mask + masked, secret));
  EXPECT_FALSE(csrf_tokens_match(secret, "bbcdefghijklmnopqrstuvwxyzABCDEF"));
  EXPECT_FALSE(csrf_tokens_match("", ""));
}

}  // namespace
}  // namespace laurel::auth
