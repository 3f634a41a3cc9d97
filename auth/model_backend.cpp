// auth/model_backend.cpp
#include "auth/model_backend.h"

namespace laurel::auth {

UserPtr authenticate(UserStore& store, std::string_view username, std::string_view password,
                     const PasswordPolicy& policy) {
  UserPtr user = store.find_by_username(username);
  if (!user) {
    (void)make_password(password, policy);  // same cost as a real check (Django #20760)
    return nullptr;
  }
  if (!check_password(password, user->password, policy)) return nullptr;
  // Django's user_can_authenticate: inactive users never log in.
  if (!user->is_active) return nullptr;
  if (must_update(user->password, policy)) {
    auto upgraded = std::make_shared<User>(*user);
    upgraded->password = make_password(password, policy);
    if (store.set_password(user->id, upgraded->password)) return upgraded;
  }
  return user;
}

}  // namespace laurel::auth
