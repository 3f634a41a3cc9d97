// auth/model_backend.h
#pragma once

// Django's ModelBackend.authenticate against a UserStore: username + password → the user, or
// nothing, in about the same time whether or not the username exists. A successful login
// with an outdated hash rewrites it (Django's check_password setter). Blocking: run it on the
// thread pool (auth/async_user_store.h).

#include <string_view>

#include "auth/password_hashers.h"
#include "auth/user_store.h"

namespace laurel::auth {

// nullptr for an unknown username, a wrong password, an unusable password or an inactive
// user — deliberately indistinguishable to the caller. When the username is unknown the
// password is still hashed once, as Django does, so timing does not reveal which usernames exist.
UserPtr authenticate(UserStore& store, std::string_view username, std::string_view password,
                     const PasswordPolicy& policy = {});

}  // namespace laurel::auth
