// auth/user_store.h
#pragma once

// The user and session records laurel shares with Django (`auth_user`, `django_session`,
// DRF's `authtoken_token`), and the interface to where they live. Every UserStore method
// blocks: call it through auth/async_user_store.h (the thread pool), never on a loop thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "asgi/value.h"
#include "auth/db_datetime.h"

namespace laurel::auth {

// One `auth_user` row. An asgi::Object so it can sit in scope["user"]; consumers test
// is_authenticated(), as Channels consumers test `self.scope["user"].is_authenticated`.
class User : public asgi::Object {
 public:
  std::int64_t id = 0;
  std::string username;
  std::string password;  // the encoded hash (auth/password_hashers.h), never a password
  bool is_active = true;
  bool is_staff = false;
  bool is_superuser = false;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::optional<Timestamp> last_login;
  Timestamp date_joined{};

  virtual bool is_authenticated() const { return true; }
  bool is_anonymous() const { return !is_authenticated(); }
  std::string_view type_name() const override { return "User"; }
};
using UserPtr = std::shared_ptr<const User>;

// What scope["user"] holds without valid credentials: id 0, no username, never active.
class AnonymousUser final : public User {
 public:
  AnonymousUser() { is_active = false; }
  bool is_authenticated() const override { return false; }
  std::string_view type_name() const override { return "AnonymousUser"; }
};
UserPtr anonymous_user();  // one shared instance

// The fields create_user takes; the password is already hashed (make_password is slow and
// belongs on the thread pool too).
struct NewUser {
  std::string username;
  std::string password_hash;
  std::string email;
  std::string first_name;
  std::string last_name;
  bool is_staff = false;
  bool is_superuser = false;
  bool is_active = true;
};

// Django's normalisation for create_user: the domain part of the email lower-cased.
std::string normalize_email(std::string_view email);

// A `django_session` row that has not expired.
struct StoredSession {
  std::string session_key;
  std::string session_data;  // auth/session_store.h decodes it
  Timestamp expire_date;
};

// Raised by create_user when the username is taken (the UNIQUE constraint).
class UserExistsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised when the database fails (cannot open, locked past the busy timeout, disk full).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Lookups return nullptr when there is no such row. Exact, case-sensitive username match,
  // as Django's ModelBackend does.
  virtual UserPtr find_by_username(std::string_view username) = 0;
  virtual UserPtr find_by_id(std::int64_t id) = 0;
  // Inserts a row with date_joined = now; throws UserExistsError for a taken username.
  virtual UserPtr create_user(const NewUser& user) = 0;
  // Replaces the encoded password (a rehash on login or a password change). False: no row.
  virtual bool set_password(std::int64_t id, std::string_view password_hash) = 0;
  virtual bool update_last_login(std::int64_t id, Timestamp when) = 0;

  // `django_session`: the row when `expire_date > now`, as Django loads it.
  virtual std::optional<StoredSession> load_session(std::string_view session_key,
                                                    Timestamp now) = 0;
  // Inserts only (false if the key exists: pick another key), as Django's create() does.
  virtual bool create_session(std::string_view session_key, std::string_view session_data,
                              Timestamp expire_date) = 0;
  // Inserts or replaces.
  virtual void save_session(std::string_view session_key, std::string_view session_data,
                            Timestamp expire_date) = 0;
  virtual void delete_session(std::string_view session_key) = 0;
  // Django's clearsessions: deletes expired rows, returns how many.
  virtual std::size_t clear_expired_sessions(Timestamp now) = 0;

  // DRF `authtoken_token`: the user id a key belongs to. nullopt if there is no such key or
  // no such table (the project does not use rest_framework.authtoken).
  virtual std::optional<std::int64_t> find_token_user(std::string_view key) = 0;
  virtual bool has_token_table() = 0;
};

}  // namespace laurel::auth
