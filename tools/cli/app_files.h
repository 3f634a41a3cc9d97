// tools/cli/app_files.h
#pragma once

// The files the user, token and check commands share with the served application: which user
// database and which signing key it uses (the flags, else the program's defaults in
// ProgramInfo), and what a database holds, looked at read-only.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/sqlite_user_store.h"
#include "tools/cli/main.h"

namespace laurel::cli {

// A command cannot go on (no database given, missing table...): message for stderr, exit 1.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --database, else the program's default; throws CommandError when neither is set.
std::string database_path(const CliOptions& options, const ProgramInfo& info);

// Where the signing key comes from, in the order the application looks: --secret-key-file,
// the program's environment variable, then <database><suffix>. Never creates a key.
struct SecretKeyLookup {
  std::optional<std::string> key;  // trailing newlines dropped, as the application reads it
  std::string source;              // "file /path", "environment LAUREL_SECRET_KEY"
  std::string file;                // the file read or looked for ("" for the environment)
  std::string error;               // why there is no key
};
SecretKeyLookup find_secret_key(const CliOptions& options, const ProgramInfo& info,
                                const std::string& database);

// What a SQLite database holds, opened read-only (nothing is created).
struct DatabaseProbe {
  bool exists = false;
  std::string error;  // could not open or read it
  std::vector<std::string> tables;
  bool has_table(const std::string& name) const;
};
DatabaseProbe probe_database(const std::string& path);

// Opens the user database for a command that reads or writes users: it must exist and hold
// Django's auth_user (run Django's migrate, or start the server once). Throws CommandError.
std::shared_ptr<auth::SqliteUserStore> open_user_database(const std::string& path);

}  // namespace laurel::cli
