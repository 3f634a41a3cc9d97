// auth/async_user_store.h
#pragma once

// The UserStore and the slow password functions as coroutines for middleware and consumers:
// each call runs on the loop's thread pool (laurel::run_blocking, Channels'
// database_sync_to_async) and resumes on the loop, so a login never blocks a socket.
// Arguments (and the store) are captured when the call is made, not when the task is first
// awaited, so neither the caller's buffers nor this AsyncUserStore need to outlive the task.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asgi/loop.h"
#include "asgi/task.h"
#include "auth/model_backend.h"
#include "auth/hash_gate.h"
#include "auth/password_hashers.h"
#include "auth/user_store.h"

namespace laurel::auth {

class AsyncUserStore {
 public:
  explicit AsyncUserStore(std::shared_ptr<UserStore> store) : store_(std::move(store)) {}

  UserStore& blocking() { return *store_; }

  Task<UserPtr> find_by_username(asgi::EventLoop& loop, std::string username) {
    return on_pool(loop, [store = store_, username = std::move(username)] {
      return store->find_by_username(username);
    });
  }
  Task<UserPtr> find_by_id(asgi::EventLoop& loop, std::int64_t id) {
    return on_pool(loop, [store = store_, id] { return store->find_by_id(id); });
  }
  // Hashes `password` (pbkdf2_sha256) and inserts the user, both on the pool.
  Task<UserPtr> create_user(asgi::EventLoop& loop, NewUser user, std::string password,
                            PasswordPolicy policy = {}) {
    return on_hashing_pool(loop, [store = store_, user = std::move(user),
                                  password = std::move(password),
                                  policy = std::move(policy)]() mutable {
      user.password_hash = make_password(password, policy);
      return store->create_user(user);
    });
  }
  // Hashes `password` and stores it; every session of the user stops matching its auth hash.
  Task<bool> set_password(asgi::EventLoop& loop, std::int64_t id, std::string password,
                          PasswordPolicy policy = {}) {
    return on_hashing_pool(
        loop, [store = store_, id, password = std::move(password), policy = std::move(policy)] {
          return store->set_password(id, make_password(password, policy));
        });
  }
  Task<bool> update_last_login(asgi::EventLoop& loop, std::int64_t id, Timestamp when) {
    return on_pool(loop, [store = store_, id, when] { return store->update_last_login(id, when); });
  }
  // ModelBackend.authenticate (auth/model_backend.h) on the pool.
  Task<UserPtr> authenticate(asgi::EventLoop& loop, std::string username, std::string password,
                             PasswordPolicy policy = {}) {
    return on_hashing_pool(loop, [store = store_, username = std::move(username),
                                  password = std::move(password), policy = std::move(policy)] {
      return auth::authenticate(*store, username, password, policy);
    });
  }

  Task<std::optional<StoredSession>> load_session(asgi::EventLoop& loop, std::string key,
                                                  Timestamp now) {
    return on_pool(loop, [store = store_, key = std::move(key), now] {
      return store->load_session(key, now);
    });
  }
  Task<bool> create_session(asgi::EventLoop& loop, std::string key, std::string data,
                            Timestamp expire_date) {
    return on_pool(loop, [store = store_, key = std::move(key), data = std::move(data),
                          expire_date] { return store->create_session(key, data, expire_date); });
  }
  Task<void> save_session(asgi::EventLoop& loop, std::string key, std::string data,
                          Timestamp expire_date) {
    return on_pool(loop, [store = store_, key = std::move(key), data = std::move(data),
                          expire_date] { store->save_session(key, data, expire_date); });
  }
  Task<void> delete_session(asgi::EventLoop& loop, std::string key) {
    return on_pool(loop, [store = store_, key = std::move(key)] { store->delete_session(key); });
  }
  Task<std::optional<std::int64_t>> find_token_user(asgi::EventLoop& loop, std::string key) {
    return on_pool(loop,
                   [store = store_, key = std::move(key)] { return store->find_token_user(key); });
  }

 private:
  template <class Fn>
  static Task<std::invoke_result_t<Fn&>> on_pool(asgi::EventLoop& loop, Fn fn) {
    co_return co_await run_blocking(loop, std::move(fn));
  }
  // Work that hashes a password: waits for a HashGate slot first, so that hashes never hold
  // every pool thread (auth/hash_gate.h).
  template <class Fn>
  static Task<std::invoke_result_t<Fn&>> on_hashing_pool(asgi::EventLoop& loop, Fn fn) {
    HashGate::Entry entry = HashGate::process().enter(loop);
    HashGate::Slot slot = co_await entry;
    co_return co_await run_blocking(loop, std::move(fn));
  }

  std::shared_ptr<UserStore> store_;
};

}  // namespace laurel::auth
