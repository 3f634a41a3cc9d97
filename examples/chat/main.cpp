// examples/chat/main.cpp
// The demo program: the chat application of examples/chat behind laurel's command line
// (`laurel-chat -p 9000`, `laurel-chat routes`). main() chooses the process's channel layer
// before the application starts, as a Django settings module chooses CHANNEL_LAYERS.

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "channel_layer/default_layer.h"
#include "channel_layer/in_memory_layer.h"
#include "auth/auth_config.h"
#include "auth/encoding.h"
#include "auth/sqlite_user_store.h"
#include "examples/chat/chat_app.h"
#include "tools/cli/main.h"

namespace {

// Shared with the command line (ProgramInfo) so createuser, token and check use the same files.
constexpr const char* kDefaultDatabase = "laurel-demo.sqlite3";
constexpr const char* kSecretKeyEnv = "LAUREL_SECRET_KEY";
constexpr const char* kSecretKeySuffix = ".secret-key";

// SECRET_KEY: --secret-key-file, else $LAUREL_SECRET_KEY, else a key generated on first run
// and kept beside the database (mode 0600), so sessions and tokens survive restarts.
std::string load_secret_key(const laurel::CliOptions& options, const std::string& database) {
  std::string path = options.secret_key_file;
  if (path.empty()) {
    if (const char* env = std::getenv(kSecretKeyEnv); env != nullptr && *env != '\0') {
      return env;
    }
    path = database + kSecretKeySuffix;
  }
  if (std::ifstream in(path); in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string key = text.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() < 32) throw std::invalid_argument("the secret key in " + path + " is too short");
    return key;
  }
  std::string key = laurel::auth::random_string(
      50, "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)");
  mode_t old = umask(077);
  std::ofstream out(path);
  umask(old);
  out << key << "\n";
  if (!out) throw std::invalid_argument("cannot write the secret key file " + path);
  std::printf("laurel-chat: generated a secret key in %s\n", path.c_str());
  return key;
}

// The user database, created with Django's schema on first run with a demo user whose
// password is generated and printed once.
std::shared_ptr<laurel::auth::SqliteUserStore> open_users(const std::string& path) {
  laurel::auth::SqliteUserStore::Options options;
  options.create_schema = true;
  auto store = std::make_shared<laurel::auth::SqliteUserStore>(path, options);
  if (!store->find_by_username("demo")) {
    std::string password = laurel::auth::random_string(16, laurel::auth::kAlphanumeric);
    laurel::auth::NewUser demo{"demo", laurel::auth::make_password(password)};
    store->create_user(demo);
    std::printf("laurel-chat: created %s with the demo user: username demo, password %s "
                "(shown once)\n",
                path.c_str(), password.c_str());
    std::fflush(stdout);
  }
  return store;
}

laurel::asgi::ApplicationPtr make_demo(const laurel::CliOptions& options) {
  // Without --redis, one in-memory layer for the process; with it, laurel::main gives each
  // worker loop its own Redis layer, which takes precedence on that worker's thread.
  laurel::channel_layer::set_default_layer(
      std::make_shared<laurel::channel_layer::InMemoryChannelLayer>());
  std::string database = options.database.empty() ? kDefaultDatabase : options.database;
  auto config = std::make_shared<laurel::auth::AuthConfig>();
  auto store = open_users(database);
  config->users = std::make_shared<laurel::auth::AsyncUserStore>(store);
  config->keys.secret_key = load_secret_key(options, database);
  config->refresh_tokens = std::make_shared<laurel::auth::RefreshTokenStore>(database);
  if (options.access_token_lifetime > 0) {
    config->access_lifetime_seconds = options.access_token_lifetime;
  }
  return laurel::chat::make_application(config, options.allowed_hosts);
}

}  // namespace

int main(int argc, char** argv) {
  laurel::ProgramInfo info;
  info.description = "laurel chat demo: the Channels tutorial chat";
  info.ready_note = "(ws /ws/chat/<room>/ with login, /ws/echo/; POST /auth/token, /auth/login)";
  info.default_database = kDefaultDatabase;
  info.secret_key_env = kSecretKeyEnv;
  info.secret_key_file_suffix = kSecretKeySuffix;
  return laurel::main(argc, argv, make_demo, info);
}
