// auth/user_store.cpp
#include "auth/user_store.h"

#include <cctype>

namespace laurel::auth {

UserPtr anonymous_user() {
  static const UserPtr instance = std::make_shared<const AnonymousUser>();
  return instance;
}

std::string normalize_email(std::string_view email) {
  // BaseUserManager.normalize_email: rsplit at the last '@', lower-case the domain only.
  auto at = email.rfind('@');
  if (at == std::string_view::npos) return std::string(email);
  std::string out(email.substr(0, at + 1));
  for (char c : email.substr(at + 1)) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace laurel::auth
