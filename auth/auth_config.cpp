// auth/auth_config.cpp
#include "auth/auth_config.h"

#include "auth/signing.h"

namespace laurel::auth {

double AuthConfig::now() const { return clock ? clock() : unix_now(); }

}  // namespace laurel::auth
