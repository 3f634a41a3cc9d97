// auth/model_backend.cpp
#include "auth/model_backend.h"

#include "asgi/metrics.h"

namespace laurel::auth {

UserPtr authenticate(UserStore& store, std::string_view username, std::string_view password,
                     const PasswordPolicy& policy) {
  UserPtr user = store.find_by_username(username);
  // The reasons are told apart only in the metrics (operators), never in a response.
  if (!user) {
    (void)make_password(password, policy);  // same cost as a real check (Django #20760)
    metrics::count_auth_failure("unknown_user");
    return nullptr;
  }
  if (!check_password(password, user->password, policy)) {
    metrics::count_auth_failure("bad_password");
    return nullptr;
  }
  // Django's user_can_authenticate: inactive users never log in.
  if (!user->is_active) {
    metrics::count_auth_failure("inactive_user");
    return nullptr;
  }
  if (must_update(user->password, policy)) {
    auto upgraded = std::make_shared<User>(*user);
    upgraded->password = make_password(password, policy);
    if (store.set_password(user->id, upgraded->password)) return upgraded;
  }
  return user;
}

}  // namespace laurel::auth
