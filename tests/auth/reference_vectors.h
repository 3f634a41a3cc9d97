// tests/auth/reference_vectors.h
#pragma once

// Loads tests/reference/django-auth.json: vectors produced by real Django 3.2 / DRF / simplejwt
// (generator: shared reference tools/gen_auth_vectors.py). Insertion-ordered, so an object
// re-serialized here has the key order Django signed.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "auth/django_json.h"

namespace laurel::auth::testing {

inline const Json& django_vectors() {
  static const Json vectors = [] {
    std::string path = std::string(LAUREL_REFERENCE_DIR) + "/django-auth.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream buf;
    buf << in.rdbuf();
    return Json::parse(buf.str());
  }();
  return vectors;
}

inline std::string secret_key() { return django_vectors().at("SECRET_KEY").get<std::string>(); }
inline double frozen_time() { return django_vectors().at("frozen_time_for_signing").get<double>(); }

}  // namespace laurel::auth::testing
